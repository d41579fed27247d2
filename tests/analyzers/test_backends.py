"""analyze_backends with Tempo and/or Prometheus served over httpx MockTransport: Tempo's traces
go through the file analyzers, Prometheus' findings win on the same id, a backend missing is
said in the report, unreadable traces make it incomplete, a failing backend raises."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_otel import metrics as m
from e2e_otel.analyzers.backends import analyze_backends
from e2e_otel.analyzers.models import Report, finding_id
from e2e_otel.cli.analyze import verdict
from e2e_otel.config import parse_config
from e2e_otel.publish import render_json
from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.prometheus import METHOD, PrometheusClient, instant_queries
from e2e_otel.sources.tempo import TempoClient

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tempo"
TRACE_ID = "00f067aa0ba902b7a3ce1d4e5f607182"
NOW = datetime(2023, 11, 14, 23, tzinfo=timezone.utc)
WINDOW = timedelta(hours=1)
CONFIG = parse_config({"thresholds": {"api": {"warning_ms": 100, "critical_ms": 1000}}})
ROUTE = "api/products/with-reviews/"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def tempo(
    traces: int = 1,
    metrics: bool = True,
    extra: list[dict[str, Any]] | None = None,
    metrics_body: object = None,
    resource: list[dict[str, Any]] | None = None,
) -> TempoClient:
    """Tempo serving the fixture trace (plus the ``extra`` resource batches in it, and the
    ``resource`` attributes added to its resources), and TraceQL metrics (``metrics_body``
    instead of the fixture's when given)."""
    search = fixture("search.json")
    search["traces"] = search["traces"][:traces]
    trace = fixture("trace_v2.json")
    trace["trace"]["resourceSpans"] += extra or []
    for batch in trace["trace"]["resourceSpans"]:
        batch["resource"]["attributes"] += resource or []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/search":
            return httpx.Response(200, json=search)
        if path == f"/api/v2/traces/{TRACE_ID}":
            return httpx.Response(200, json=trace)
        if path == "/api/metrics/query_range" and metrics:
            return httpx.Response(200, json=metrics_body or fixture("metrics_query_range.json"))
        return httpx.Response(404, text="not found")

    return TempoClient(
        JsonClient("tempo", "http://tempo:3200", transport=httpx.MockTransport(handler))
    )


def prometheus(
    status: int = 200, p95: str = "420", warnings: tuple[str, ...] = ()
) -> PrometheusClient:
    """Prometheus knowing 40 requests to the reviews endpoint, p95 420 ms."""
    endpoint: dict[str, str] = {m.SERVICE: "shop-api", METHOD: "GET", m.HTTP_ROUTE: ROUTE}
    answers: dict[str, list[dict[str, Any]]] = {
        "endpoint_calls": [
            {
                "metric": {
                    **endpoint,
                    m.WORKFLOW: "product_reviews",
                    m.STATUS_CODE: "STATUS_CODE_UNSET",
                },
                "value": [0, "40"],
            }
        ],
        "endpoint_quantiles": [
            {"metric": {**endpoint, "quantile": "0.95"}, "value": [0, p95]},
            {"metric": {**endpoint, "quantile": "0.5"}, "value": [0, "NaN"]},
        ],
    }
    by_query = {q: answers.get(name, []) for name, q in instant_queries(WINDOW).items()}

    def handler(request: httpx.Request) -> httpx.Response:
        if status != 200:
            return httpx.Response(status)
        if request.url.path.endswith("query_range"):
            data: dict[str, Any] = {"resultType": "matrix", "result": []}
        else:
            data = {"resultType": "vector", "result": by_query[request.url.params["query"]]}
        body = {"status": "success", "data": data, **({"warnings": warnings} if warnings else {})}
        return httpx.Response(200, json=body)

    http = JsonClient(
        "prometheus", "http://prom:9090", transport=httpx.MockTransport(handler), retries=0
    )
    return PrometheusClient(http)


def coverage(report: Report) -> dict[str, tuple[str, str]]:
    (section,) = [s for s in report.sections if s.name == "backends"]
    return {str(row[0]): (str(row[1]), str(row[2])) for row in section.rows}


def test_tempo_only_runs_the_file_analyzers_on_fetched_traces() -> None:
    report = analyze_backends(
        CONFIG, prometheus=None, tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert report.complete and report.traces == 1 and report.spans == 8
    assert report.source.startswith("tempo: http://tempo:3200 (window 3600s")
    (loop,) = [r for r in report.recommendations if r.rule == "n_plus_one"]
    assert loop.evidence.route == ROUTE and loop.evidence.trace_ids == (TRACE_ID,)
    seen = coverage(report)
    assert seen["n_plus_one"] == ("tempo", "1 traces")
    assert seen["health"][0] == "tempo" and "sample" in seen["health"][1]
    assert seen["regressions"] == ("tempo", "TraceQL metrics (p95 only)")


def test_without_traceql_metrics_regressions_are_not_analyzed() -> None:
    report = analyze_backends(
        CONFIG, prometheus=None, tempo=tempo(metrics=False), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert coverage(report)["regressions"][1].startswith("not analyzed")
    assert "regressions" not in {s.name for s in report.sections}


def test_unreadable_traces_make_the_report_incomplete() -> None:
    report = analyze_backends(
        CONFIG, prometheus=None, tempo=tempo(traces=2), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete
    assert report.problems == ("tempo trace 2f3e0cee77ae5dc9c17ade3689eb2e54:0: trace not found",)


def test_prometheus_only_says_what_needs_traces() -> None:
    report = analyze_backends(
        CONFIG, prometheus=prometheus(), tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert report.complete and report.traces == 0
    assert coverage(report)["n_plus_one"] == ("-", "not analyzed: needs traces (Tempo)")
    (slow,) = report.recommendations
    assert slow.rule == "slow_endpoint" and slow.evidence.figures["requests"] == 40


def test_prometheus_wins_on_the_same_finding_with_the_traces_examples() -> None:
    only_traces = analyze_backends(
        CONFIG, prometheus=None, tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    both = analyze_backends(
        CONFIG, prometheus=prometheus(), tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    # From the one trace alone, the endpoint is slow because of its N+1 loop: one finding, the
    # loop's, which says so (analyzers/consolidate.py).
    (loop,) = only_traces.recommendations
    assert loop.rule == "n_plus_one" and f"It is also why GET {ROUTE} is slow" in loop.description
    # Prometheus knows the p95 of every request but no typical request: its finding stands.
    (merged,) = [r for r in both.recommendations if r.rule == "slow_endpoint"]
    assert merged.id == finding_id("slow_endpoint", "shop-api", "GET", ROUTE)
    assert merged.evidence.figures["requests"] == 40 and merged.evidence.figures["p95_ms"] == 420
    assert merged.evidence.trace_ids == (TRACE_ID,)
    # The workflow's requests are all this endpoint's: one problem, reported as the endpoint.
    assert "slow_workflow" not in {r.rule for r in only_traces.recommendations}
    assert {r.rule for r in both.recommendations} == {"slow_endpoint", "n_plus_one"}
    (thresholds,) = [s for s in both.sections if s.name == "thresholds"]
    assert thresholds.rows == (
        ("endpoint", f"GET {ROUTE}", "product_reviews", 40, "", 420.0, "", "", "warning"),
    )
    assert coverage(both)["thresholds"] == ("prometheus", "every request")


def test_the_verdict_of_a_backend_report_names_its_source() -> None:
    report = analyze_backends(
        CONFIG, prometheus=prometheus(), tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert verdict(report) == (
        "e2e-otel: prometheus: http://prom:9090 (window 3600s, baseline 3600s), 0 traces read, "
        "complete; findings: 0 high, 1 medium, 0 low"
    )


def test_prometheus_overrules_what_only_the_biased_sample_of_traces_shows() -> None:
    # The sampled trace is slow, but over every request Prometheus counted the p95 is 50 ms.
    both = analyze_backends(
        CONFIG,
        prometheus=prometheus(p95="50"),
        tempo=tempo(),
        window=WINDOW,
        baseline=WINDOW,
        now=NOW,
    )
    assert {r.rule for r in both.recommendations} == {"n_plus_one"}  # the trace-only rule stays
    (thresholds,) = [s for s in both.sections if s.name == "thresholds"]
    assert [row[-1] for row in thresholds.rows] == ["ok"]


def test_prometheus_without_span_metrics_is_not_a_clean_report() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        kind = "matrix" if request.url.path.endswith("query_range") else "vector"
        return httpx.Response(
            200, json={"status": "success", "data": {"resultType": kind, "result": []}}
        )

    client = PrometheusClient(
        JsonClient("prometheus", "http://prom:9090", transport=httpx.MockTransport(handler))
    )
    report = analyze_backends(
        CONFIG, prometheus=client, tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete and report.recommendations == ()
    (problem,) = report.problems
    assert problem.startswith("prometheus http://prom:9090: no span metrics")


def test_prometheus_warnings_make_the_report_incomplete() -> None:
    client = prometheus(warnings=("partial response: store 10.0.0.3:10901 unavailable",))
    report = analyze_backends(
        CONFIG, prometheus=client, tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete
    assert report.problems == (
        "prometheus warned: partial response: store 10.0.0.3:10901 unavailable",
    )
    assert [r.rule for r in report.recommendations] == ["slow_endpoint"]  # still analyzed


def _page_load(route: str, ms: int) -> dict[str, Any]:
    """A frontend page span of the fixture trace (Prometheus' queries leave frontends out)."""
    attributes = {"e2e.layer": "frontend", "http.route": route, "e2e.workflow.type": "browse"}
    return {
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
        "scopeSpans": [
            {
                "scope": {"name": "e2e-otel.browser"},
                "spans": [
                    {
                        "traceId": "APBnqgupArejzh1OX2Bxgg==",
                        "spanId": "AAAAAAAAAQE=",
                        "name": f"page {route}",
                        "kind": "SPAN_KIND_INTERNAL",
                        "startTimeUnixNano": "1699999999000000000",
                        "endTimeUnixNano": str(1699999999000000000 + ms * 1_000_000),
                        "attributes": [
                            {"key": k, "value": {"stringValue": v}} for k, v in attributes.items()
                        ],
                        "status": {},
                    }
                ],
            }
        ],
    }


def test_what_span_metrics_cannot_see_stays_with_prometheus_there() -> None:
    page = [_page_load("/products", 900)]
    both = analyze_backends(
        CONFIG,
        prometheus=prometheus(p95="50"),
        tempo=tempo(extra=page),
        window=WINDOW,
        baseline=WINDOW,
        now=NOW,
    )
    # The slow page stays (Prometheus counts no frontend); the API endpoint it judged goes.
    assert {r.rule for r in both.recommendations} == {"slow_frontend", "n_plus_one"}
    (thresholds,) = [s for s in both.sections if s.name == "thresholds"]
    assert [(row[0], row[1], row[-1]) for row in thresholds.rows] == [
        ("endpoint", f"GET {ROUTE}", "ok"),
        ("frontend", "/products (web)", "critical"),
    ]


def test_a_failing_backend_alone_raises() -> None:
    with pytest.raises(BackendError, match=r"^prometheus http://prom:9090/api/v1/query: HTTP 503"):
        analyze_backends(
            CONFIG, prometheus=prometheus(503), tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
        )


def test_with_prometheus_failing_the_traces_still_make_an_incomplete_report() -> None:
    report = analyze_backends(
        CONFIG, prometheus=prometheus(503), tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete
    (problem,) = report.problems
    assert problem.startswith("prometheus http://prom:9090/api/v1/query: HTTP 503 after 1 attempts")
    assert problem.endswith("; analyzed without span metrics")
    # The findings of the traces, the population ones from the sample (the slow endpoint is
    # its N+1 loop's: one finding).
    (loop,) = [r for r in report.recommendations if r.rule == "n_plus_one"]
    assert "is slow" in loop.description
    assert coverage(report)["thresholds"][0] == "tempo"
    assert coverage(report)["regressions"] == ("tempo", "TraceQL metrics (p95 only)")
    assert "INCOMPLETE (1 problems)" in verdict(report)


def broken(name: str, answer: httpx.Response) -> JsonClient:
    """A client whose every request gets ``answer`` (once: no retries)."""
    url = {"tempo": "http://tempo:3200", "prometheus": "http://prom:9090"}[name]
    transport = httpx.MockTransport(lambda request: answer)
    return JsonClient(name, url, transport=transport, retries=0)


def test_with_tempo_failing_prometheus_still_makes_an_incomplete_report() -> None:
    down = TempoClient(broken("tempo", httpx.Response(502, text="bad gateway")))
    report = analyze_backends(
        CONFIG, prometheus=prometheus(), tempo=down, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete and report.traces == 0
    assert report.problems == (
        "tempo http://tempo:3200/api/search: HTTP 502 after 1 attempts; analyzed without traces",
    )
    assert [r.rule for r in report.recommendations] == ["slow_endpoint"]
    assert coverage(report)["n_plus_one"] == ("-", "not analyzed: Tempo failed (see the problems)")
    assert coverage(report)["thresholds"] == ("prometheus", "every request")


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"traces": [{"traceID": "1", "spanSets": [1]}]}),
        httpx.Response(200, json={"traces": [1]}),
        httpx.Response(200, content=b"<html>not json</html>"),
        httpx.Response(200, content=b"[" * 100_000),
    ],
)
def test_tempo_answering_garbage_is_a_problem_beside_prometheus(answer: httpx.Response) -> None:
    report = analyze_backends(
        CONFIG,
        prometheus=prometheus(),
        tempo=TempoClient(broken("tempo", answer)),
        window=WINDOW,
        baseline=WINDOW,
        now=NOW,
    )
    assert not report.complete
    (problem,) = report.problems
    assert problem.startswith("tempo http://tempo:3200/api/search: ")
    assert "malformed answer" in problem or "invalid JSON" in problem
    assert [r.rule for r in report.recommendations] == ["slow_endpoint"]


def test_prometheus_answering_garbage_is_a_problem_beside_tempo() -> None:
    body = {"status": "success", "data": {"resultType": "vector", "result": [{"value": {"a": 1}}]}}
    garbage = PrometheusClient(broken("prometheus", httpx.Response(200, json=body)))
    report = analyze_backends(
        CONFIG, prometheus=garbage, tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete
    assert report.problems == (
        "prometheus http://prom:9090/api/v1/query: malformed answer: data.result[0].value: "
        "expected a list, got an object {'a': 1}; analyzed without span metrics",
    )
    assert "n_plus_one" in {r.rule for r in report.recommendations}


def test_when_every_backend_fails_the_error_names_both() -> None:
    with pytest.raises(BackendError) as info:
        analyze_backends(
            CONFIG,
            prometheus=PrometheusClient(broken("prometheus", httpx.Response(503))),
            tempo=TempoClient(broken("tempo", httpx.Response(200, json=[1]))),
            window=WINDOW,
            baseline=WINDOW,
            now=NOW,
        )
    assert str(info.value) == (
        "tempo http://tempo:3200/api/search: malformed answer: the answer: expected an object, "
        "got a list [1]; and prometheus http://prom:9090/api/v1/query: HTTP 503 after 1 attempts"
    )


def test_failing_traceql_metrics_leave_the_traces_findings() -> None:
    client = tempo(metrics_body={"series": [{"labels": [], "samples": [5]}]})
    report = analyze_backends(
        CONFIG, prometheus=None, tempo=client, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert not report.complete and report.traces == 1
    (problem,) = report.problems
    assert problem.startswith("tempo http://tempo:3200/api/metrics/query_range: malformed answer")
    assert problem.endswith("; analyzed without regression series")
    assert coverage(report)["regressions"][1].startswith("not analyzed: Tempo's TraceQL metrics")
    assert "n_plus_one" in {r.rule for r in report.recommendations}


def test_odd_series_from_prometheus_are_left_out_and_the_report_renders() -> None:
    """A bucket bound that is no number, negative counts, statement series whose fingerprint
    id is not ours: well-formed answers a broken exporter or a hostile backend can send."""
    endpoint = {m.SERVICE: "shop-api", METHOD: "GET", m.HTTP_ROUTE: ROUTE}
    answers: dict[str, list[dict[str, Any]]] = {
        "endpoint_calls": [{"metric": endpoint, "value": [0, "-40"]}],
        "service_buckets": [
            {"metric": {m.SERVICE: "shop-api", m.LE: "shop-api"}, "value": [0, "1"]}
        ],
        "statement_calls": [{"metric": {m.FINGERPRINT_ID: ""}, "value": [0, "1"]}],
        "statement_ms": [{"metric": {m.FINGERPRINT_ID: "zz"}, "value": [0, "900"]}],
        "statement_quantiles": [
            {"metric": {m.FINGERPRINT_ID: "", "quantile": "0.95"}, "value": [0, "51"]}
        ],
    }
    by_query = {q: answers.get(name, []) for name, q in instant_queries(WINDOW).items()}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("query_range"):
            series = [{"metric": {m.FINGERPRINT_ID: "x"}, "values": [[0, "1"], [60, "2"]]}]
            data: dict[str, Any] = {"resultType": "matrix", "result": series}
        else:
            data = {"resultType": "vector", "result": by_query[request.url.params["query"]]}
        return httpx.Response(200, json={"status": "success", "data": data})

    client = PrometheusClient(
        JsonClient("prometheus", "http://prom:9090", transport=httpx.MockTransport(handler))
    )
    report = analyze_backends(
        CONFIG, prometheus=client, tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert report.recommendations == ()
    assert all(not s.rows for s in report.sections if s.name != "backends")
    render_json(report)  # valid against the report's schema


def test_at_least_one_backend() -> None:
    with pytest.raises(ValueError, match="Prometheus, Tempo or both"):
        analyze_backends(
            CONFIG, prometheus=None, tempo=None, window=WINDOW, baseline=WINDOW, now=NOW
        )


def test_traces_tempo_got_from_a_sampling_tier_are_said_to_be_a_sample() -> None:
    mark = [
        {"key": "e2e.sampling.policy", "value": {"stringValue": "tail"}},
        {"key": "e2e.sampling.baseline_percent", "value": {"doubleValue": 10}},
    ]
    sampled = analyze_backends(
        CONFIG,
        prometheus=prometheus(),
        tempo=tempo(resource=mark),
        window=WINDOW,
        baseline=WINDOW,
        now=NOW,
    )
    assert sampled.sampling is not None
    assert (sampled.sampling.policy, sampled.sampling.baseline_percent) == ("tail", (10.0,))
    plain = analyze_backends(
        CONFIG, prometheus=prometheus(), tempo=tempo(), window=WINDOW, baseline=WINDOW, now=NOW
    )
    assert plain.sampling is None
