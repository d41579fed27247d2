"""Regex routes (``re_path``) resolved with the regexes discovery reports, on the real scan of
the discovery tests' project (``fx``): quantifiers and alternations match, run-time parts fill groups,
and a regex that cannot be evaluated leaves calls unresolved instead of 404."""

from __future__ import annotations

from dataclasses import replace

from e2e_otel.contract.models import ParamBinding
from e2e_otel.discovery.django_models import DjangoDiscovery, DjangoEndpoint
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


def test_a_regex_that_does_not_compile_here_leaves_calls_unresolved() -> None:
    broken = replace(endpoint("odd/{x}/"), regex=(r"^odd/(?P<x>[9-0]+)/$",))
    found = match([endpoint("api/products/"), broken], call("/odd/1/"))
    assert (found.verdict, found.endpoint) == ("unresolved", None)
    assert "cannot be evaluated here" in found.notes[-1]
    assert match([endpoint("api/products/"), broken], call("/api/products/")).verdict == "ok"
