"""Regex URL patterns read by their groups: widening groups (and, loosely, classes) to accept
a run-time part without changing group numbers, names or what the rest matches."""

from __future__ import annotations

import re

import pytest

from e2e_otel.discovery.django_regex import widen


@pytest.mark.parametrize(
    ("regex", "widened"),
    [
        ("^a/(?P<pk>[0-9]+)/$", "^a/(?P<pk>(?:[0-9]+)|X)/$"),
        (r"^(\d+)/(x|y)/$", r"^((?:\d+)|X)/((?:x|y)|X)/$"),
        ("^(?P<k>[()]+)/$", "^(?P<k>(?:[()]+)|X)/$"),  # parentheses in a class are text
        ("^(?:a|b)/(?<=/)c[0-9]$", "^(?:a|b)/(?<=/)c[0-9]$"),  # no capture: unchanged
    ],
)
def test_capturing_groups_also_accept_the_alternative(regex: str, widened: str) -> None:
    assert widen(regex, "X") == widened
    assert re.compile(widened).groupindex == re.compile(regex).groupindex
    assert re.compile(widened).groups == re.compile(regex).groups


def test_loose_widens_classes_with_their_quantifier_and_non_capturing_groups() -> None:
    loose = widen(r"^v[0-9]{1,3}/(?:a|b)/\w+$", "X", loose=True)
    assert loose == r"^v(?:[0-9]{1,3}|X)/(?:(?:a|b)|X)/(?:\w+|X)$"
    assert re.fullmatch(loose, "vX/X/X") and re.fullmatch(loose, "v12/a/word")
