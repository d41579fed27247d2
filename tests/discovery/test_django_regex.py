"""Regex URL patterns read by their groups: widening groups (and, loosely, classes) to accept
a run-time part without changing group numbers, names or what the rest matches; the literal
start of every path a pattern matches, read without compiling it."""

from __future__ import annotations

import re

import pytest

from e2e_otel.discovery.django_regex import literal_prefix, widen


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


@pytest.mark.parametrize(
    ("regex", "prefix"),
    [
        (r"^odd/(?P<x>[9-0]+)/$", ("odd/", False)),  # [9-0] does not compile: read as text
        ("^api/", ("api/", True)),
        (r"^v1\.0/items/$", ("v1.0/items/", False)),  # escaped punctuation is text
        ("^items?/", ("item", False)),  # "s" may be missing
        ("^ab+c", ("ab", False)),  # "b" may not
        ("^archive/(?:jan|feb)/$", ("archive/", False)),  # the alternation is inside a group
        ("^a/|^b/", ("", False)),  # a path may start with either
        ("^api/(?i)x/$", ("", False)),  # older Pythons: the flag covers "api/" too
        (r"^\d+/", ("", False)),
    ],
)
def test_literal_prefix(regex: str, prefix: tuple[str, bool]) -> None:
    assert literal_prefix(regex) == prefix
