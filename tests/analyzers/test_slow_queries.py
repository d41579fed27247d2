from __future__ import annotations

from e2e_otel.analyzers import slow_queries
from e2e_otel.analyzers.models import finding_id
from e2e_otel.config import parse_config
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import PAGEVIEWS, PRODUCTS, REVIEWS, Trace, config, only, run


def _requests(
    statement: str, durations: list[float], route: str = "api/reports/pageviews/"
) -> list[Trace]:
    traces = []
    for duration in durations:
        trace = Trace()
        server = trace.request(route, workflow="reporting", duration=duration + 5)
        trace.query(server, statement, start=1, duration=duration)
        traces.append(trace)
    return traces


def test_profile_ranks_by_total_time_with_digest_figures() -> None:
    traces = _requests(PAGEVIEWS, [100, 200, 300]) + _requests(REVIEWS, [1.0] * 10, "api/x/")
    result = run(slow_queries.analyze, traces)
    (section,) = result.sections
    rows = [dict(zip(section.columns, row, strict=True)) for row in section.rows]
    assert [r["fingerprint_id"] for r in rows] == [
        fingerprint_id(PAGEVIEWS),
        fingerprint_id(REVIEWS),
    ]
    top = rows[0]
    assert (top["rank"], top["calls"], top["total_ms"], top["mean_ms"]) == (1, 3, 600.0, 200.0)
    assert (top["p50_ms"], top["p95_ms"], top["max_ms"]) == (200.0, 300.0, 300.0)
    assert top["share_pct"] == round(100 * 600 / 610, 2)
    # variance (100^2 + 0 + 100^2) / 3 ms^2 over a mean of 200 ms
    assert top["vmr"] == round(20000 / 3 / 200, 3)
    assert top["routes"] == "GET api/reports/pageviews/ (3)"
    assert top["workflows"] == "reporting (3)"
    slowest = [t.trace_id for t in reversed(traces[:3])]
    assert top["example_traces"] == ", ".join(slowest)


def test_slow_statement_gets_a_finding_with_an_index_suggestion() -> None:
    result = run(slow_queries.analyze, _requests(PAGEVIEWS, [120, 150, 180]))
    finding = only(result.recommendations)
    assert finding.id == finding_id("slow_queries", fingerprint_id(PAGEVIEWS))
    assert finding.category == "database"
    assert finding.title.startswith("Slow query SELECT shop_pageview: p95 180 ms")
    assert any(
        "shop_pageview.referrer" in step and "CREATE INDEX" in step for step in finding.steps
    )
    assert finding.evidence.route == "api/reports/pageviews/"
    assert finding.evidence.method == "GET" and finding.evidence.workflow == "reporting"
    assert finding.evidence.figures["p95_ms"] == 180.0
    assert finding.expected_improvement_ms == 150.0 - 50.0  # mean down to the warning threshold
    assert len(finding.evidence.trace_ids) == 3


def test_fast_statements_get_no_finding_but_stay_in_the_profile() -> None:
    result = run(slow_queries.analyze, _requests(PRODUCTS, [1.0, 2.0, 40.0]))
    assert result.recommendations == ()
    assert len(result.sections[0].rows) == 1


def test_priority_from_thresholds_and_share_of_database_time() -> None:
    busy = _requests(REVIEWS, [10.0] * 800, "api/busy/")  # 8 s of fast queries

    def priority(durations: list[float]) -> str:
        result = run(slow_queries.analyze, _requests(PAGEVIEWS, durations) + busy)
        return only(result.recommendations).priority

    assert priority([300, 300]) == "high"  # critical p95 and 7 % of database time
    assert priority([300]) == "medium"  # critical p95, 3.6 %
    assert priority([60, 60]) == "low"  # over warning, 1.5 %
    assert priority([60] * 8) == "medium"  # over warning, 5.7 %
    assert priority([60] * 60) == "high"  # over warning, 31 %: over high_share_pct


def test_thresholds_and_settings_come_from_config() -> None:
    cfg = parse_config(
        {
            "thresholds": {"database": {"warning_ms": 500, "critical_ms": 900}},
            "analyzers": {"slow_queries": {"top": 1}},
        }
    )
    traces = _requests(PAGEVIEWS, [300]) + _requests(REVIEWS, [1.0], "api/x/")
    result = run(slow_queries.analyze, traces, cfg)
    assert result.recommendations == ()
    assert len(result.sections[0].rows) == 1
    lowered = run(
        slow_queries.analyze,
        _requests(PRODUCTS, [5.0]),
        parse_config({"thresholds": {"database": {"warning_ms": 1, "critical_ms": 2}}}),
    )
    assert only(lowered.recommendations).priority == "high"
    assert (
        run(slow_queries.analyze, traces, config(slow_queries={"examples": 0}))
        .sections[0]
        .rows[0][-1]
        == ""
    )


def test_routes_are_shown_as_templates_as_in_every_other_table() -> None:
    # path() converters and DRF's re_path regexes, as http.route records them.
    traces = _requests(PAGEVIEWS, [100, 200], "api/reports/<int:pk>/") + _requests(
        PAGEVIEWS, [300], "api/v1/reports/(?P<slug>[^/.]+)/$"
    )
    (section,) = run(slow_queries.analyze, traces).sections
    (row,) = [dict(zip(section.columns, row, strict=True)) for row in section.rows]
    assert row["routes"] == "GET api/reports/{pk}/ (2), GET api/v1/reports/{slug}/ (1)"
