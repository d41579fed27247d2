"""One problem, one finding: an N+1 loop that explains its endpoint's query count and latency
is one finding, not three; a symptom the loop does not explain stays a finding of its own."""

from __future__ import annotations

from dataclasses import replace

from e2e_otel.analyzers.consolidate import consolidate
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import Evidence, Priority, Recommendation
from e2e_otel.analyzers.run import analyze_dataset
from e2e_otel.config import Config
from tests.analyzers.conftest import NOW, PAGEVIEWS, PRODUCTS, REVIEWS, Trace, dataset, spans_of

ROUTE = "api/products/with-reviews/"
EVERY_REQUEST = {"requests_affected": 10.0, "requests": 10.0}  # the loop ran in each request


def _report(traces: list[Trace]) -> list[Recommendation]:
    ds: Dataset = dataset(spans_of(traces))
    return list(analyze_dataset(ds, Config(), NOW, "test").recommendations)


def _for(found: list[Recommendation], route: str) -> dict[str, Recommendation]:
    return {r.rule: r for r in found if r.evidence.route == route}


def test_a_loop_that_is_the_endpoints_time_and_queries_is_one_finding() -> None:
    traces = []
    for _ in range(6):
        trace = Trace()
        server = trace.request(ROUTE, workflow="product_reviews", duration=260)
        trace.query(server, PRODUCTS, start=0, duration=2)
        trace.loop(server, REVIEWS, 20, start=3, duration=11)  # ~222 ms of 260, 20 of 21 queries
        traces.append(trace)
    found = _for(_report(traces), ROUTE)
    assert set(found) == {"n_plus_one"}, sorted(found)
    loop = found["n_plus_one"]
    assert loop.priority == "high"
    # One sentence for both symptoms: the slowness and the query count, each said once.
    assert loop.description.count("It is also why") == 1
    assert (
        "It is also why GET api/products/with-reviews/ is slow (p95 260 ms; the loop takes "
        "220 ms of a typical 260 ms request) and runs 21 queries per request (median), 20 of "
        "them this loop's."
    ) in loop.description
    assert loop.evidence.figures["endpoint_p95_ms"] == 260
    assert loop.evidence.figures["endpoint_db_db_spans_p50"] == 21


def test_a_slow_endpoint_the_loop_does_not_explain_stays_its_own_finding() -> None:
    traces = []
    for _ in range(6):
        trace = Trace()
        server = trace.request(ROUTE, workflow="product_reviews", duration=400)
        trace.query(server, PRODUCTS, start=0, duration=2)
        trace.loop(server, REVIEWS, 6, start=3, duration=1)  # the time is in the view code
        traces.append(trace)
    found = _for(_report(traces), ROUTE)
    assert {"n_plus_one", "slow_endpoint"} <= set(found)
    assert "is slow" not in found["n_plus_one"].description


def test_a_slow_statement_that_is_most_of_the_request_is_the_slow_endpoints_finding() -> None:
    traces = []
    for _ in range(6):
        trace = Trace()
        server = trace.request("api/reports/pageviews/", workflow="reporting", duration=320)
        trace.query(server, PAGEVIEWS, start=1, duration=300)  # an unindexed scan
        traces.append(trace)
    found = _for(_report(traces), "api/reports/pageviews/")
    assert set(found) == {"slow_queries"}, sorted(found)
    assert "It is also why GET api/reports/pageviews/ is slow (p95 320 ms)" in (
        found["slow_queries"].description
    )


def _loop(priority: Priority, avg_loop_ms: float) -> Recommendation:
    """An N+1 finding on ROUTE whose loop of 20 queries ran in every request."""
    figures = {"avg_loop_ms": avg_loop_ms, "avg_repeats": 20.0, **EVERY_REQUEST}
    return Recommendation(
        id="loop",
        rule="n_plus_one",
        category="database",
        priority=priority,
        title="N+1",
        description="A loop.",
        steps=(),
        expected_improvement_ms=None,
        expected_improvement_pct=None,
        evidence=Evidence(service="shop-api", method="GET", route=ROUTE, figures=figures),
    )


def test_the_absorbing_finding_takes_the_higher_priority() -> None:
    evidence = Evidence(service="shop-api", method="GET", route=ROUTE)
    loop = _loop("low", avg_loop_ms=300.0)
    slow = replace(
        loop,
        id="slow",
        rule="slow_endpoint",
        category="api",
        priority="high",
        evidence=replace(evidence, figures={"p50_ms": 350.0, "p95_ms": 900.0}),
    )
    (merged,) = consolidate([loop, slow])
    assert merged.id == "loop" and merged.priority == "high"
    assert merged.evidence.figures["endpoint_p95_ms"] == 900.0
    # Not explained (the loop is under half of a typical request): both stay.
    quick = replace(
        loop, evidence=replace(loop.evidence, figures={"avg_loop_ms": 100.0, **EVERY_REQUEST})
    )
    assert [r.id for r in consolidate([quick, slow])] == ["loop", "slow"]


def test_a_slow_endpoint_put_on_its_query_count_is_the_loops() -> None:
    # The loop's queries are quick in the database (100 ms of a 1 s request), but the slow
    # endpoint rule found the time in the per-query cost of 21 queries, 20 of them the loop's.
    evidence = Evidence(service="shop-api", method="GET", route=ROUTE)
    loop = _loop("medium", avg_loop_ms=100.0)
    figures = {"p50_ms": 1000.0, "p95_ms": 1500.0, "db_queries_median": 21}
    slow = replace(
        loop, id="slow", rule="slow_endpoint", evidence=replace(evidence, figures=figures)
    )
    (merged,) = consolidate([loop, slow])
    assert "its 21 queries per request (median), 20 of them this loop's" in merged.description
    few = replace(slow, evidence=replace(evidence, figures={**figures, "db_queries_median": 60}))
    assert len(consolidate([loop, few])) == 2
    # Chatty too, for the same 21 queries: one sentence, the count said once.
    chatty = replace(
        loop,
        id="chatty",
        rule="chatty",
        evidence=replace(evidence, figures={"db_spans_p50": 21.0}),
    )
    for order in ([loop, chatty, slow], [loop, slow, chatty]):
        (both,) = consolidate(order)
        assert both.description == (
            "A loop. It is also why GET api/products/with-reviews/ is slow (p95 1500 ms) and "
            "chatty: its 21 queries per request (median), 20 of them this loop's, cost "
            "application time (ORM, driver, tracing) on top of their time in the database."
        )


def test_a_regex_route_is_named_by_its_template_in_the_sentence() -> None:
    # DRF's routers record re_path regexes as http.route; the titles show templates.
    regex = "api/v1/events/(?P<pk>[^/.]+)/$"
    loop = _loop("medium", avg_loop_ms=100.0)
    loop = replace(loop, evidence=replace(loop.evidence, route=regex))
    chatty = replace(
        loop,
        id="chatty",
        rule="chatty",
        evidence=replace(loop.evidence, figures={"db_spans_p50": 21.0}),
    )
    (merged,) = consolidate([loop, chatty])
    assert "It is also why GET api/v1/events/{pk}/ runs 21 queries per request" in (
        merged.description
    )


def test_a_rare_loop_does_not_swallow_what_most_requests_do() -> None:
    # 19 requests run 46 distinct queries each (chatty, slow); one request in 20 also loops.
    traces = []
    for index in range(20):
        trace = Trace()
        server = trace.request(ROUTE, workflow="product_reviews", duration=400)
        for q in range(46):
            trace.query(server, f"SELECT * FROM t{q} WHERE id = %s", start=1 + q * 7, duration=7)
        if index == 0:
            trace.query(server, PRODUCTS, start=330, duration=1)
            trace.loop(server, REVIEWS, 24, start=332, duration=1)
        traces.append(trace)
    found = _for(_report(traces), ROUTE)
    assert {"n_plus_one", "chatty", "slow_endpoint"} <= set(found), sorted(found)
    assert "It is also why" not in found["n_plus_one"].description
