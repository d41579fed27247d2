from __future__ import annotations

from e2e_otel.analyzers import chatty
from e2e_otel.analyzers.models import finding_id
from tests.analyzers.conftest import PAGEVIEWS, Trace, config, only, run


def _request(queries: int, route: str = "api/cart/") -> Trace:
    trace = Trace()
    server = trace.request(route, workflow="cart_update", duration=50)
    for i in range(queries):
        trace.query(server, f"SELECT c FROM t{i % 4} WHERE id = %s", start=i, duration=0.5)
    return trace


def test_endpoint_over_the_median_query_count_is_chatty() -> None:
    result = run(chatty.analyze, [_request(16), _request(18), _request(20)])
    finding = only(result.recommendations)
    assert finding.id == finding_id("chatty", "shop-api", "GET", "api/cart/")
    assert finding.evidence.figures["db_spans_p50"] == 18
    assert finding.evidence.figures["db_spans_max"] == 20
    assert finding.evidence.figures["db_ms_per_request"] == 9.0
    assert finding.priority == "low" and finding.category == "api"
    # Down to 15 queries at the same cost each: 9 ms * 3/18.
    assert finding.expected_improvement_ms == 1.5
    assert "SELECT c FROM t" in finding.description or "select c from t" in finding.description
    assert finding.evidence.trace_ids[0] == result.recommendations[0].evidence.trace_ids[0]


def test_below_the_threshold_at_the_median_is_not_chatty() -> None:
    # One request with 40 queries does not make the endpoint chatty when most send 14.
    result = run(chatty.analyze, [_request(14), _request(14), _request(40)])
    assert result.recommendations == ()
    (row,) = result.sections[0].rows
    assert row[3:6] == (14, 40, 40)


def test_priority_grows_with_the_count_and_the_threshold_is_configurable() -> None:
    assert only(run(chatty.analyze, [_request(46)]).recommendations).priority == "high"
    assert only(run(chatty.analyze, [_request(31)]).recommendations).priority == "medium"
    assert only(
        run(chatty.analyze, [_request(5)], config(chatty={"min_db_spans": 5})).recommendations
    )


def test_endpoints_without_queries_are_not_listed() -> None:
    busy = Trace()
    server = busy.request("api/busy/")
    busy.query(server, PAGEVIEWS, start=1, duration=1)
    idle = Trace()
    idle.request("api/idle/")
    (section,) = run(chatty.analyze, [busy, idle]).sections
    assert [row[0] for row in section.rows] == ["GET api/busy/"]
