"""Regressions from the backends' series with the service's defaults (1 h window, 24 h
baseline): Prometheus range results and Tempo's TraceQL metrics go through the grid and the
detector, a change in the middle of the window is found, and successive runs agree on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from e2e_otel import metrics as m
from e2e_otel.analyzers.backend_series import prometheus_series
from e2e_otel.analyzers.backends import analyze_backends
from e2e_otel.analyzers.models import Recommendation, Report
from e2e_otel.config import Config
from e2e_otel.sources.http import JsonClient
from e2e_otel.sources.models import MetricSeries
from e2e_otel.sources.prometheus import (
    METHOD,
    QUANTILE,
    PrometheusClient,
    SpanMetrics,
    range_queries,
)
from e2e_otel.sources.tempo import TempoClient

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
CHANGE = NOW - timedelta(minutes=30)
WINDOW, BASELINE = timedelta(hours=1), timedelta(hours=24)
ENDPOINT = {m.SERVICE: "shop-api", METHOD: "POST", m.HTTP_ROUTE: "api/orders/"}
Shape = Callable[[float], float]  # unix seconds -> value


def latency(t: float) -> float:
    """p95 in ms: 100 with a little deterministic noise, 250 from CHANGE on."""
    noise = (int(t) // 60 * 37) % 11
    return (250.0 if t >= CHANGE.timestamp() else 100.0) + noise


def failed(t: float) -> float:
    """Failed requests out of 60 per point: 1 before CHANGE, 15 after."""
    return 15.0 if t >= CHANGE.timestamp() else 1.0 + (int(t) // 60) % 2


def _points(params: httpx.QueryParams, shape: Shape) -> list[list[Any]]:
    start, end = float(params["start"]), float(params["end"])
    step = float(str(params["step"]).removesuffix("s"))
    count = int((end - start) / step) + 1
    return [[start + i * step, f"{shape(start + i * step):g}"] for i in range(count)]


class FakePrometheus:
    """Answers the fixed query set: one endpoint, its p95 and its calls by status."""

    def __init__(self) -> None:
        self.ranges: list[httpx.QueryParams] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if not request.url.path.endswith("query_range"):
            result: list[dict[str, Any]] = []
            if params["query"].startswith(f"sum by ({m.SERVICE}, {METHOD}"):
                result = [
                    {"metric": {**ENDPOINT, m.STATUS_CODE: "STATUS_CODE_UNSET"}, "value": [0, "60"]}
                ]
            return _success("vector", result)
        self.ranges.append(params)
        step = timedelta(seconds=float(params["step"]))
        name = {q: n for n, q in range_queries(step).items()}[params["query"]]
        series: list[dict[str, Any]] = []
        if name == "route_p95":
            labels = {**ENDPOINT, m.SPAN_NAME: "POST api/orders/", QUANTILE: "0.95"}
            series = [{"metric": labels, "values": _points(params, latency)}]
        elif name == "route_calls":
            ok = {**ENDPOINT, m.SPAN_NAME: "POST api/orders/", m.STATUS_CODE: "STATUS_CODE_UNSET"}
            error = {**ok, m.STATUS_CODE: m.STATUS_ERROR}
            series = [
                {"metric": ok, "values": _points(params, lambda t: 60 - failed(t))},
                {"metric": error, "values": _points(params, failed)},
            ]
        return _success("matrix", series)


def _success(kind: str, result: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(
        200, json={"status": "success", "data": {"resultType": kind, "result": result}}
    )


def _prometheus(fake: FakePrometheus) -> PrometheusClient:
    transport = httpx.MockTransport(fake.handler)
    return PrometheusClient(JsonClient("prometheus", "http://prom:9090", transport=transport))


def _analyze(now: datetime, **backends: Any) -> Report:
    return analyze_backends(Config(), window=WINDOW, baseline=BASELINE, now=now, **backends)


def _regressions(report: Report) -> dict[str, Recommendation]:
    return {r.rule: r for r in report.recommendations if r.rule.endswith("_regression")}


def test_prometheus_series_find_a_change_in_the_middle_of_the_window() -> None:
    fake = FakePrometheus()
    found = _regressions(_analyze(NOW, prometheus=_prometheus(fake), tempo=None))
    assert set(found) == {"latency_regression", "error_rate_regression"}
    slower = found["latency_regression"]
    assert slower.evidence.service == "shop-api" and slower.evidence.route == "api/orders/"
    assert slower.evidence.figures["changed_at_unix_s"] == CHANGE.timestamp()
    assert 2.2 < slower.evidence.figures["change_ratio"] < 2.6
    failing = found["error_rate_regression"].evidence.figures
    assert failing["current"] == 0.25 and failing["changed_at_unix_s"] == CHANGE.timestamp()
    # 6 min steps: ten points in the hour, the whole day of baseline before them.
    assert {p["step"] for p in fake.ranges} == {"360"}


def test_successive_runs_report_the_same_regression() -> None:
    runs = [NOW + timedelta(minutes=minutes, seconds=7) for minutes in (0, 5, 10)]
    findings = [
        _regressions(_analyze(at, prometheus=_prometheus(FakePrometheus()), tempo=None))
        for at in runs
    ]
    ids = [
        {rule: (r.id, r.evidence.figures["changed_at_unix_s"]) for rule, r in f.items()}
        for f in findings
    ]
    assert ids[0] == ids[1] == ids[2] and len(ids[0]) == 2


def test_tempo_metrics_series_find_the_change_without_request_counts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/search":
            return httpx.Response(200, json={"traces": []})
        if path != "/api/metrics/query_range":
            return httpx.Response(404)
        if "span.e2e.workflow.type" in request.url.params["q"]:
            return httpx.Response(200, json={"series": []})
        labels = [
            {"key": "resource.service.name", "value": {"stringValue": "shop-api"}},
            {"key": "span.http.route", "value": {"stringValue": "api/orders/"}},
            {"key": "span.http.request.method", "value": {"stringValue": "POST"}},
        ]
        samples = [
            {"timestampMs": str(int(t * 1000)), "value": float(v) / 1000}
            for t, v in _points(request.url.params, latency)
        ]
        return httpx.Response(200, json={"series": [{"labels": labels, "samples": samples}]})

    tempo = TempoClient(
        JsonClient("tempo", "http://tempo:3200", transport=httpx.MockTransport(handler))
    )
    report = _analyze(NOW, prometheus=None, tempo=tempo)
    (slower,) = _regressions(report).values()
    assert slower.rule == "latency_regression" and slower.evidence.route == "api/orders/"
    assert slower.evidence.figures["changed_at_unix_s"] == CHANGE.timestamp()


def test_percentiles_of_one_subject_are_not_added_up() -> None:
    # Two span names for one route (e.g. two instrumentation versions): the p95 is the larger
    # of the two, not their sum; calls do add up.
    points = tuple((float(t), 100.0) for t in range(0, 600, 60))
    faster = tuple((t, 80.0) for t, _ in points)
    names = ("POST api/orders/", "POST")
    route = {**ENDPOINT, QUANTILE: "0.95"}
    empty: dict[str, Any] = {
        f.name: [] for f in fields(SpanMetrics) if f.name not in ("start", "end", "step")
    }
    metrics = SpanMetrics(
        **{
            **empty,
            "route_p95": [
                MetricSeries({**route, m.SPAN_NAME: names[0]}, points),
                MetricSeries({**route, m.SPAN_NAME: names[1]}, faster),
            ],
            "route_calls": [MetricSeries({**ENDPOINT, m.SPAN_NAME: n}, faster) for n in names],
        },
        start=NOW,
        end=NOW,
        step=timedelta(minutes=1),
    )
    (series,) = prometheus_series(metrics)
    assert {v for _, v in series.points} == {100.0}
    assert set(series.counts) == {160}
