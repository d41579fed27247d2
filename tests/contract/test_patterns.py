"""Regex routes (``re_path``) resolved with the regexes discovery reports, on the real scan of
the discovery tests' project (``fx``): quantifiers and alternations match, run-time parts fill groups,
a regex widening would break is matched as written, and one that cannot be evaluated leaves the
calls it might match unresolved instead of 404."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from e2e_otel.contract.models import ParamBinding
from e2e_otel.contract.paths import PROBES
from e2e_otel.discovery.django_models import DjangoDiscovery, DjangoEndpoint
from e2e_otel.discovery.django_regex import widen
from tests.contract.test_match import call, endpoint, match


def named(discovery: DjangoDiscovery, name: str) -> DjangoEndpoint:
    return next(e for e in discovery.endpoints if e.name == name)


def test_alternations_and_quantifiers_match_as_django_matches_them(fx: DjangoDiscovery) -> None:
    archive = match(list(fx.endpoints), call("/archive/2024/feb/"))
    assert (archive.verdict, archive.endpoint) == ("ok", named(fx, "archive"))
    assert archive.parameters == (ParamBinding("2024", "year", "[0-9]{4}"),)
    status = match(list(fx.endpoints), call("/v12/status/"))
    assert (status.verdict, status.endpoint) == ("ok", named(fx, "status"))
    for wrong in ("/archive/2024/mar/", "/archive/24/jan/", "/vx/status/"):
        assert match(list(fx.endpoints), call(wrong)).verdict == "not_found", wrong


def test_run_time_parts_fill_regex_groups(fx: DjangoDiscovery) -> None:
    archive = match(list(fx.endpoints), call("/archive/{y}/jan/", params=("y",)))
    assert archive.endpoint == named(fx, "archive")
    assert archive.parameters == (ParamBinding("y", "year", "[0-9]{4}"),)
    # A router's regex below a path() include, with Django's positional-only groups too.
    publish = match(
        list(fx.endpoints), call("/api/books/{b.id}/publish/", "POST", params=("b.id",))
    )
    assert publish.endpoint == named(fx, "v1:book-publish")
    assert publish.parameters == (ParamBinding("b.id", "pk", "[^/.]+"),)


def test_a_run_time_part_where_the_regex_has_text_is_unresolved_not_404(
    fx: DjangoDiscovery,
) -> None:
    for path, param in (("/archive/2024/{month}/", "month"), ("/v{n}/status/", "n")):
        found = match(list(fx.endpoints), call(path, params=(param,)))
        assert found.verdict == "unresolved", (path, found.notes)


def test_positional_groups_are_passed_only_without_named_ones() -> None:
    legacy = replace(endpoint("legacy/{arg0}/{arg1}/"), regex=(r"^legacy/([a-z]+)/(\d+)/$",))
    found = match([legacy], call("/legacy/{s}/42/", params=("s",)))
    assert [(p.expression, p.name) for p in found.parameters] == [("s", "arg0"), ("42", "arg1")]


def test_a_regex_widening_would_break_is_matched_as_written(fx: DjangoDiscovery) -> None:
    feed = named(fx, "feed")
    with pytest.raises(re.error, match="look-behind requires fixed-width"):
        re.compile(widen(feed.regex[0], PROBES))
    found = match(list(fx.endpoints), call("/feed/latest/"))
    assert (found.verdict, found.endpoint) == ("ok", feed)
    assert match(list(fx.endpoints), call("/feed/oldest/")).verdict == "not_found"


def test_a_regex_that_does_not_compile_here_leaves_calls_it_might_match_unresolved(
    fx: DjangoDiscovery,
) -> None:
    broken = replace(endpoint("odd/{x}/"), regex=("^api/", r"^odd/(?P<x>[9-0]+)/$"))
    endpoints = [*fx.endpoints, broken]
    for path in ("/api/odd/1/", "/api/odd"):  # APPEND_SLASH would try /api/odd/
        found = match(endpoints, call(path))
        assert (found.verdict, found.endpoint) == ("unresolved", None), path
        assert "cannot be evaluated here" in found.notes[-1]
    for path in ("/{seg}/odd/1/", "/api/{seg}/"):  # a run-time part could be its text
        found = match([broken], call(path, params=("seg",)))
        assert (found.verdict, found.endpoint) == ("unresolved", None), path
    # Other 404s stay 404s: no path starting so reaches the broken pattern.
    for path in ("/api/ode/1/", "/odd/1/", "/vx/status/"):
        found = match(endpoints, call(path))
        assert found.verdict == "not_found", (path, found.notes)
    assert match(endpoints, call("/api/ping/")).verdict == "ok"
