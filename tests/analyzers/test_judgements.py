"""One judgement per rule: the same subject measured from spans and from Prometheus' span
metrics gets the same finding id, priority, title and steps (what differs is only what one
source cannot measure, e.g. the database share of an endpoint)."""

from __future__ import annotations

from datetime import datetime, timezone

from e2e_otel import metrics as m
from e2e_otel.analyzers import error_hotspots, slow_queries, thresholds
from e2e_otel.analyzers.backend_metrics import analyze_thresholds
from e2e_otel.analyzers.backend_statements import analyze_errors, analyze_statements
from e2e_otel.analyzers.models import Recommendation
from e2e_otel.config import Config, parse_config
from e2e_otel.sources.models import MetricSample
from e2e_otel.sources.prometheus import METHOD, QUANTILE, SpanMetrics
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import REVIEWS, Trace, only, run

ROUTE = "api/products/"
ENDPOINT = {m.SERVICE: "shop-api", METHOD: "GET", m.HTTP_ROUTE: ROUTE}
CONFIG = parse_config({"thresholds": {"api": {"warning_ms": 100, "critical_ms": 1000}}})


def _metrics(**lists: list[MetricSample]) -> SpanMetrics:
    empty: dict[str, list[MetricSample]] = {
        name: []
        for name in SpanMetrics.__dataclass_fields__
        if name not in ("start", "end", "step")
    }
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return SpanMetrics(now, now, now - now, **{**empty, **lists})  # type: ignore[arg-type]


def _calls(count: int, **labels: str) -> MetricSample:
    status = {m.STATUS_CODE: "STATUS_CODE_UNSET", m.WORKFLOW: "product_fetch"}
    return MetricSample({**ENDPOINT, **status, **labels}, count)


def _same(file: Recommendation, prom: Recommendation, *, steps: bool = True) -> None:
    fields = ("id", "rule", "category", "priority", "title", "expected_improvement_ms")
    assert [getattr(file, f) for f in fields] == [getattr(prom, f) for f in fields]
    if steps:
        assert file.steps == prom.steps


def test_a_slow_endpoint_is_judged_alike() -> None:
    traces = []
    for _ in range(20):
        trace = Trace()
        trace.request(ROUTE, duration=400.0)
        traces.append(trace)
    file = only(
        [
            r
            for r in run(thresholds.analyze, traces, CONFIG).recommendations
            if r.rule == "slow_endpoint"
        ]
    )
    metrics = _metrics(
        endpoint_calls=[_calls(20)],
        endpoint_quantiles=[
            MetricSample({**ENDPOINT, QUANTILE: "0.95"}, 400.0),
            MetricSample({**ENDPOINT, QUANTILE: "0.5"}, 400.0),
        ],
    )
    prom = only(
        [
            r
            for r in analyze_thresholds(metrics, CONFIG).recommendations
            if r.rule == "slow_endpoint"
        ]
    )
    # Neither knows the database's share (no database spans at all is not "0 % in the
    # database"), so both point to the traces.
    _same(file, prom, steps=False)
    assert file.steps == prom.steps
    assert "db_share_pct" not in file.evidence.figures and "database" not in file.description
    assert "db_share_pct" not in prom.evidence.figures
    assert prom.steps[0].startswith("Open the slowest example traces")


def test_a_slow_statement_is_judged_alike() -> None:
    traces = []
    for i in range(10):
        trace = Trace()
        request = trace.request(ROUTE, start=0.0, duration=400.0)
        query = trace.query(request, REVIEWS, start=1.0, duration=300.0 + i)
        # Only the fingerprint id recorded, as span metrics know a statement.
        for key in ("db.statement", "e2e.db.fingerprint"):
            query.attributes.pop(key)  # type: ignore[attr-defined]
        traces.append(trace)
    file = only(run(slow_queries.analyze, traces, Config()).recommendations)
    fp = fingerprint_id(REVIEWS)
    labels = {m.SERVICE: "shop-api", m.FINGERPRINT_ID: fp, m.WORKFLOW: "product_fetch"}
    total = sum(300.0 + i for i in range(10))
    metrics = _metrics(
        statement_calls=[MetricSample(labels, 10)],
        statement_ms=[MetricSample(labels, total)],
        statement_quantiles=[
            MetricSample({m.FINGERPRINT_ID: fp, QUANTILE: "0.95"}, 309.0),
            MetricSample({m.FINGERPRINT_ID: fp, QUANTILE: "0.5"}, 304.0),
        ],
    )
    prom = only(analyze_statements(metrics, Config()).recommendations)
    _same(file, prom)
    assert prom.title == f"Slow query {fp}: p95 309 ms, 100% of database time"


def test_an_error_hotspot_is_judged_alike() -> None:
    traces = []
    for i in range(10):
        trace = Trace()
        trace.request(
            ROUTE,
            status_code=500 if i < 3 else 200,
            error=i < 3,
            category="server_error" if i < 3 else None,
        )
        traces.append(trace)
    file = only(run(error_hotspots.analyze, traces, CONFIG).recommendations)
    error = {m.WORKFLOW: "product_fetch", m.ERROR_CATEGORY: "server_error"}
    metrics = _metrics(
        endpoint_calls=[_calls(7), _calls(3, **{m.STATUS_CODE: m.STATUS_ERROR})],
        errors=[MetricSample({**ENDPOINT, **error}, 3)],
    )
    prom = only(analyze_errors(metrics, CONFIG).recommendations)
    _same(file, prom)
    assert file.description == prom.description
