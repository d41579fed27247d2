from __future__ import annotations

from datetime import timedelta

import pytest

from e2e_otel.analyzers import regressions
from e2e_otel.analyzers.models import AnalyzerResult, Evidence, finding_id
from e2e_otel.analyzers.registry import REGRESSIONS
from e2e_otel.analyzers.series import ERROR_RATE_REGRESSION, LATENCY_REGRESSION, Series
from e2e_otel.config import Config, ConfigError
from tests.analyzers.conftest import BASE_NS, NOW, REVIEWS, Trace, config, only, run

MINUTE_MS = 60_000.0
BASE_S = BASE_NS / 1e9


def _traffic(
    minutes: int,
    latency: list[float],
    *,
    per_minute: int = 6,
    failing: list[int] | None = None,
    query_ms: list[float] | None = None,
) -> list[Trace]:
    """``per_minute`` requests to GET api/products/ each minute; in minute m they take
    ``latency[m]`` ms (a little spread so a bucket is not constant), the first ``failing[m]``
    of them fail, and each runs one reviews query of ``query_ms[m]`` ms."""
    traces = []
    for minute in range(minutes):
        for i in range(per_minute):
            trace = Trace()
            start = minute * MINUTE_MS + i * 5_000
            duration = latency[minute] * (1 + 0.01 * ((minute * 7 + i) % 5))
            error = failing is not None and i < failing[minute]
            server = trace.request(
                start=start,
                duration=duration,
                error=error,
                category="server_error" if error else None,
            )
            if query_ms is not None:
                trace.query(server, REVIEWS, start=start + 1, duration=query_ms[minute])
            traces.append(trace)
    return traces


def _step(minutes: int, before: float, after: float, at: int) -> list[float]:
    return [before if m < at else after for m in range(minutes)]


def _findings(result: AnalyzerResult, rule: str) -> list[str]:
    return [
        r.evidence.route or r.evidence.workflow or ""
        for r in result.recommendations
        if r.rule == rule
    ]


def test_latency_doubling_halfway_is_a_regression_at_the_step() -> None:
    result = run(regressions.analyze, _traffic(40, _step(40, 100, 200, 20)))
    endpoint = only([r for r in result.recommendations if r.evidence.route])
    assert endpoint.rule == LATENCY_REGRESSION
    assert endpoint.id == finding_id(LATENCY_REGRESSION, "route", "shop-api", "GET api/products/")
    figures = endpoint.evidence.figures
    assert figures["changed_at_unix_s"] == BASE_S + 20 * 60
    assert figures["change_ratio"] == pytest.approx(2.0, rel=0.05)
    assert figures["baseline"] == pytest.approx(104, rel=0.02)
    assert figures["p_value"] < 0.01
    assert endpoint.expected_improvement_ms == pytest.approx(
        figures["current"] - figures["baseline"]
    )
    assert endpoint.category == "api" and endpoint.priority == "high"
    assert "2026-01-01 00:20 UTC" in endpoint.description
    # The example traces come from after the change: the slowest of the new level.
    assert len(endpoint.evidence.trace_ids) == 3
    # The same rise is seen on the workflow, and the series is charted with its change point.
    assert _findings(result, LATENCY_REGRESSION) == ["api/products/", "product_fetch"]
    assert [c.series.target for c in result.charts] == ["GET api/products/", "product_fetch"]
    assert [cp.index for cp in result.charts[0].change_points] == [20]


def test_constant_latency_and_an_improvement_are_not_findings() -> None:
    flat = run(regressions.analyze, _traffic(40, [100.0] * 40))
    assert flat.recommendations == () and flat.charts == () and flat.sections == ()
    better = run(regressions.analyze, _traffic(40, _step(40, 200, 100, 20)))
    assert better.recommendations == ()
    statuses = {(row[0], row[4], row[-1]) for row in better.sections[0].rows}
    assert statuses == {("route", "down", "improvement"), ("workflow", "down", "improvement")}


def test_a_slower_statement_is_a_database_regression() -> None:
    traces = _traffic(40, [100.0] * 40, query_ms=_step(40, 5, 60, 25))
    result = run(regressions.analyze, traces)
    (statement,) = [r for r in result.recommendations if r.evidence.fingerprint_id]
    assert statement.category == "database" and statement.rule == LATENCY_REGRESSION
    assert statement.evidence.figures["changed_at_unix_s"] == BASE_S + 25 * 60
    assert "EXPLAIN" in statement.steps[1]


def test_error_ratio_rise() -> None:
    traces = _traffic(40, [100.0] * 40, failing=[0 if m < 20 else 3 for m in range(40)])
    result = run(regressions.analyze, traces)
    errors = [r for r in result.recommendations if r.rule == ERROR_RATE_REGRESSION]
    assert {r.evidence.workflow or r.evidence.route for r in errors} == {
        "api/products/",
        "product_fetch",
    }
    endpoint = next(r for r in errors if r.evidence.route)
    assert endpoint.evidence.figures["current"] == pytest.approx(0.5)
    assert endpoint.priority == "high"  # 50 % of requests fail: over the critical ratio
    assert endpoint.expected_improvement_ms is None


def _series(values: list[float]) -> Series:
    points = tuple((BASE_S + 60.0 * i, v) for i, v in enumerate(values))
    evidence = Evidence(service="s", method="GET", route="api/x/")
    return Series("route", "GET api/x/", "p95_ms", points, evidence)


def test_a_rise_before_the_window_that_still_holds_is_still_a_regression() -> None:
    values = [100.0 + i % 3 for i in range(60)]
    values = [v * (1 if i < 15 else 2) for i, v in enumerate(values)]
    series = [_series(values)]
    all_of_it = regressions.analyze_series(series, Config(), NOW)
    later = NOW + timedelta(minutes=30)
    windowed = regressions.analyze_series(series, Config(), NOW, window_start=later)
    # The same finding (same id) whether or not the window still holds the change.
    assert [r.id for r in windowed.recommendations] == [r.id for r in all_of_it.recommendations]
    assert len(windowed.recommendations) == 1
    assert [row[-1] for row in windowed.sections[0].rows] == ["regression (before window)"]


def test_window_start_keeps_older_change_points_as_history() -> None:
    # Up at 15, down at 30 (recovered), up again at 45 (the regression, inside the window).
    values = [100.0 + i % 3 for i in range(80)]
    values = [v * (2 if 15 <= i < 30 or i >= 45 else 1) for i, v in enumerate(values)]
    later = NOW + timedelta(minutes=40)
    windowed = regressions.analyze_series([_series(values)], Config(), NOW, window_start=later)
    assert len(windowed.recommendations) == 1
    statuses = [row[-1] for row in windowed.sections[0].rows]
    assert statuses == ["before window", "improvement", "regression"]
    assert len(windowed.charts) == 1


def test_a_rise_that_was_undone_is_recovered() -> None:
    values = [100.0 + i % 3 for i in range(60)]
    values = [v * (2 if 20 <= i < 40 else 1) for i, v in enumerate(values)]
    result = regressions.analyze_series([_series(values)], Config(), NOW)
    assert result.recommendations == ()
    assert [row[-1] for row in result.sections[0].rows] == ["recovered", "improvement"]


def test_charts_are_capped_most_significant_first() -> None:
    quiet = [100.0 + i % 3 for i in range(60)]
    steps = [[v * (1 if i < 30 else 1.2 + k / 10) for i, v in enumerate(quiet)] for k in range(4)]
    series = [_series(values) for values in steps]
    result = regressions.analyze_series(series, config(regressions={"max_charts": 2}), NOW)
    assert len(result.charts) == 2 and len(result.sections[0].rows) == 4


def test_settings_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"analyzers\.regressions\.p_valu\b"):
        REGRESSIONS.read(Config(analyzers={"regressions": {"p_valu": 0.05}}))
    # A Config built directly (not loaded) is checked when the analyzer reads its settings.
    bad = Config(analyzers={"regressions": {"min_points_per_segment": 2.5}})
    with pytest.raises(ConfigError, match=r"analyzers\.regressions\.min_points_per_segment"):
        regressions.analyze_series([], bad, NOW)


def test_long_series_without_request_counts_are_coarsened_too() -> None:
    # Tempo's TraceQL metrics give no request count per point.
    values = [100.0 + i % 3 for i in range(1200)]
    values = [v * (2 if i >= 900 else 1) for i, v in enumerate(values)]
    series = _series(values)
    assert series.counts == ()
    coarse = regressions.coarsen(series, 500)
    assert len(coarse.points) == 400 and coarse.counts == ()
    assert coarse.points[0][0] == BASE_S
    assert coarse.points[0][1] == pytest.approx(101.0)  # mean of 100, 101, 102
    result = regressions.analyze_series([series], Config(), NOW)
    (finding,) = result.recommendations
    assert finding.evidence.figures["changed_at_unix_s"] == BASE_S + 900 * 60


def test_the_finding_names_the_statistic_its_points_are() -> None:
    # 6 requests a minute: each point's nearest-rank p95 is its slowest request, and the
    # finding says so (and how to get a true p95); with 25 a minute it is a p95.
    sparse = only(
        [
            r
            for r in run(regressions.analyze, _traffic(40, _step(40, 100, 200, 20))).recommendations
            if r.evidence.route
        ]
    )
    assert sparse.title.startswith("Slowest-request latency of ")
    assert "nearest-rank p95 is the maximum" in sparse.description
    assert "min_requests_per_point to 20" in sparse.description
    dense = only(
        [
            r
            for r in run(
                regressions.analyze, _traffic(40, _step(40, 100, 200, 20), per_minute=25)
            ).recommendations
            if r.evidence.route
        ]
    )
    assert dense.title.startswith("P95 latency of ")
    assert "nearest-rank" not in dense.description
