"""Backend analysis on the real pipeline: the demo shop's traffic through the real collector into
real Prometheus, analyzed with :func:`analyze_backends` (Prometheus only: Tempo does not run
here), against the analysis of the spans the shop itself wrote to a file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from e2e_otel import metrics as m
from e2e_otel.analyzers.backends import analyze_backends
from e2e_otel.analyzers.common import endpoint_title
from e2e_otel.analyzers.models import Recommendation, Report, finding_id
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import parse_config
from e2e_otel.sources.http import JsonClient
from e2e_otel.sources.otlp_files import read_spans
from e2e_otel.sources.prometheus import QUERY_COUNT, PrometheusClient
from tests.stack.conftest import SERVICE, PipelineRun, eventually

pytestmark = pytest.mark.integration

# Thresholds low enough that the planted problems are findings on any machine (the session
# database is small): what is tested is that both sources find the same subjects.
CONFIG = parse_config(
    {
        "thresholds": {
            "api": {"warning_ms": 1, "critical_ms": 10000},
            "database": {"warning_ms": 1, "critical_ms": 200},
        }
    }
)
WINDOW = timedelta(minutes=30)


class Analyses:
    def __init__(self, backend: Report, files: Report, requests: int, now: datetime) -> None:
        self.backend, self.files, self.requests, self.now = backend, files, requests, now


@pytest.fixture(scope="module")
def analyses(pipeline_run: PipelineRun) -> Analyses:
    prom = pipeline_run.prometheus
    spans = list(read_spans([pipeline_run.sdk_traces]))
    calls = f'{m.SPAN_CALLS}{{{m.SERVICE}="{SERVICE}"}}'

    def settled() -> bool:
        # Every span counted, and every series sampled twice (increase() needs two samples).
        counted = prom.scalar(f"sum({calls})") == len(spans)
        return counted and not prom.query(f"count_over_time({calls}[1h]) < 2")

    eventually(settled, "Prometheus to count every span with two samples per series", 120)
    now = datetime.now(timezone.utc)
    client = PrometheusClient(JsonClient("prometheus", pipeline_run.stack.prometheus_url))
    with client.http:
        backend = analyze_backends(
            CONFIG, prometheus=client, tempo=None, window=WINDOW, baseline=WINDOW, now=now
        )
        requests = client.requests
    files = analyze_files([pipeline_run.sdk_traces], CONFIG, now)
    return Analyses(backend, files, requests, now)


def _rows(report: Report, section: str) -> list[tuple[object, ...]]:
    (found,) = [s for s in report.sections if s.name == section]
    return list(found.rows)


def _one(report: Report, rule: str, match: str) -> Recommendation:
    found = [r for r in report.recommendations if r.rule == rule and match in r.title]
    assert len(found) == 1, [r.title for r in report.recommendations if r.rule == rule]
    return found[0]


def test_the_number_of_queries_is_fixed(analyses: Analyses) -> None:
    assert analyses.requests == QUERY_COUNT
    assert analyses.backend.complete, analyses.backend.problems
    assert "prometheus: http://" in analyses.backend.source


def test_calls_per_endpoint_are_what_prometheus_counts(
    analyses: Analyses, pipeline_run: PipelineRun
) -> None:
    seconds = int(WINDOW.total_seconds())
    by = f"{m.HTTP_ROUTE}, {m.SPAN_NAME}, {m.HTTP_METHOD}, {m.HTTP_REQUEST_METHOD}"
    promql = (
        f'sum by ({by}) (increase({m.SPAN_CALLS}{{{m.SERVICE}="{SERVICE}", '
        f'{m.SPAN_KIND}="{m.KIND_SERVER}"}}[{seconds}s]))'
    )
    result = pipeline_run.prometheus.get(
        "/api/v1/query", query=promql, time=f"{analyses.now.timestamp():.3f}"
    )["result"]
    expected: dict[str, int] = {}
    for item in result:
        labels = item["metric"]
        method = labels.get(m.HTTP_REQUEST_METHOD) or labels.get(m.HTTP_METHOD, "")
        route = labels.get(m.HTTP_ROUTE) or labels.get(m.SPAN_NAME, "")
        label = endpoint_title((SERVICE, method, route))  # tables show route templates
        expected[label] = expected.get(label, 0) + round(float(item["value"][1]))
    expected = {label: n for label, n in expected.items() if n}
    rows = _rows(analyses.backend, "thresholds")
    found = {str(row[1]): row[3] for row in rows if row[0] == "endpoint"}
    assert found == expected
    # Every endpoint Prometheus saw is one the shop's own spans show.
    file_endpoints = {str(r[1]) for r in _rows(analyses.files, "thresholds") if r[0] == "endpoint"}
    assert set(found) <= file_endpoints and len(found) >= 8


def test_the_slow_endpoint_and_statement_have_the_files_ids(analyses: Analyses) -> None:
    backend_ids = {r.id for r in analyses.backend.recommendations}
    statement = [
        r
        for r in analyses.files.recommendations
        if r.rule == "slow_queries" and "shop_pageview" in (r.evidence.fingerprint or "")
    ]
    assert len(statement) == 1
    assert statement[0].id in backend_ids
    # From the spans, the unindexed statement is most of a pageviews request: the endpoint's
    # slowness is that finding's (one problem, one finding). Prometheus has no typical request
    # to tell, so it reports the endpoint, under the id the files would give it.
    route = "api/reports/pageviews/"
    assert f"It is also why GET {route} is slow" in statement[0].description
    assert not [
        r for r in analyses.files.recommendations if r.rule == "slow_endpoint" and route in r.title
    ]
    endpoint = _one(analyses.backend, "slow_endpoint", route)
    assert endpoint.id == finding_id("slow_endpoint", SERVICE, "GET", route)


def test_the_integrity_error_hotspot_has_the_files_id(analyses: Analyses) -> None:
    files = _one(analyses.files, "error_hotspot", "db_integrity errors in POST api/products/")
    backend = _one(analyses.backend, "error_hotspot", "db_integrity errors in POST api/products/")
    assert backend.id == files.id
    assert backend.evidence.fingerprint_id == files.evidence.fingerprint_id
    assert backend.priority == "high" and backend.evidence.figures["rate_pct"] == 100.0


def test_health_rows_per_service_and_workflow(analyses: Analyses) -> None:
    rows = _rows(analyses.backend, "health")
    names = {(row[0], row[1]) for row in rows}
    assert ("service", SERVICE) in names
    file_workflows = {row[1] for row in _rows(analyses.files, "health") if row[0] == "workflow"}
    assert {name for kind, name in names if kind == "workflow"} == file_workflows
    assert all(0 <= int(str(row[2])) <= 100 for row in rows)
