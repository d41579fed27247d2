"""The real pipeline end to end: demo shop (opentelemetry-instrument + our distro, MariaDB) ->
OTLP/HTTP -> the built collector -> remote write -> Debian's Prometheus, plus the collector's
file exporter for trace completeness. Also the collector build and config contracts."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest
import yaml

from e2e_otel import metrics as m
from e2e_otel.config import Config, load_config
from e2e_otel.sources.models import SpanRecord
from e2e_otel.sources.otlp_files import read_spans
from e2e_otel.stack.native import NativeStack
from e2e_otel.stack.native_config import (
    COLLECTOR_CONFIG,
    ROOT,
    Ports,
    StackError,
    collector_env,
    find_collector,
    prometheus_config,
    validate,
)
from tests.integration.services import SHOP
from tests.stack.conftest import SERVICE, PipelineRun, eventually

pytestmark = pytest.mark.integration

WORKFLOWS = {rule.name for rule in load_config(str(SHOP / "e2e-otel.yaml")).workflows.rules}
# Demo workflows whose requests may end before touching the database (401, debug failure).
NO_DB_WORKFLOWS = {"debug", "order_history"}
BUCKETS_MS = ["1", "2", "5", "10", "20", "50", "100", "200", "300", "500", "1000", "2000", "5000"]
BUCKETS_MS += ["10000", "+Inf"]
TRAFFIC_AGENT = "python-httpx/"

Traces = dict[str, list[SpanRecord]]


def by_trace(spans: Iterable[SpanRecord]) -> Traces:
    traces: defaultdict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    return dict(traces)


def span_ids(traces: Traces) -> dict[str, set[str]]:
    return {trace_id: {s.span_id for s in spans} for trace_id, spans in traces.items()}


@pytest.fixture(scope="module")
def collected(pipeline_run: PipelineRun) -> Traces:
    """The collector's file export, once it holds every span the shop's SDK exported."""
    expected = span_ids(by_trace(read_spans([pipeline_run.sdk_traces])))
    assert expected, "the shop exported no spans"

    def complete() -> Traces | None:
        traces = by_trace(read_spans([pipeline_run.stack.traces_file]))
        return traces if span_ids(traces) == expected else None

    return eventually(complete, "the collector's trace file to match the SDK's spans", 30)


def requests_traces(traces: Traces) -> list[list[SpanRecord]]:
    """Traces whose root is a server span answering the traffic generator."""
    found = []
    for spans in traces.values():
        root = next((s for s in spans if s.parent_span_id is None), None)
        if root is None:  # a broken trace: the request count below will not match
            continue
        agent = str(root.attr("http.user_agent") or root.attr("user_agent.original"))
        if root.kind == "server" and agent.startswith(TRAFFIC_AGENT):
            found.append(spans)
    return found


def test_every_request_is_one_complete_trace(pipeline_run: PipelineRun, collected: Traces) -> None:
    traces = requests_traces(collected)
    assert len(traces) == pipeline_run.requests
    # The service-graph labels are set on the metrics' copy of the spans, never on stored ones.
    assert not [s for t in collected.values() for s in t if s.attr("connection_type")]
    seen: set[str] = set()
    with_db: set[str] = set()
    for spans in traces:
        assert sum(s.parent_span_id is None for s in spans) == 1
        ids = {s.attr("e2e.workflow.id") for s in spans}
        workflows = {s.attr("e2e.workflow.type") for s in spans}
        assert len(ids) == 1 and None not in ids, [
            (s.name, s.attr("e2e.workflow.id")) for s in spans
        ]
        assert len(workflows) == 1 and None not in workflows
        layers = {s.attr("e2e.layer") for s in spans}
        assert "api" in layers
        workflow = str(workflows.pop())
        seen.add(workflow)
        if "database" in layers:
            with_db.add(workflow)
    assert seen == WORKFLOWS
    assert with_db >= WORKFLOWS - NO_DB_WORKFLOWS


def test_span_metrics_have_workflow_layer_and_fingerprint_labels(
    pipeline_run: PipelineRun, collected: Traces
) -> None:
    prom = pipeline_run.prometheus
    spans = [s for trace in collected.values() for s in trace]
    # Every span is counted once: the counters sum to the spans the collector received.
    total = f'sum({m.SPAN_CALLS}{{{m.SERVICE}="{SERVICE}"}})'
    eventually(lambda: prom.scalar(total) == len(spans) or None, f"{total} == {len(spans)}")

    series = prom.series(f'{m.SPAN_CALLS}{{{m.SERVICE}="{SERVICE}"}}')
    api = {s[m.WORKFLOW] for s in series if s.get(m.LAYER) == m.LAYER_API and m.WORKFLOW in s}
    assert api == WORKFLOWS
    assert all(m.HTTP_ROUTE in s and m.HTTP_METHOD in s for s in series if s[m.LAYER] == "api")
    database = [s for s in series if s.get(m.LAYER) == m.LAYER_DATABASE]
    assert {s[m.SPAN_KIND] for s in database} == {m.KIND_CLIENT}
    fingerprints = {s[m.FINGERPRINT_ID] for s in database}
    assert fingerprints == {s.attr("e2e.db.fingerprint_id") for s in spans if s.attr("db.system")}
    assert all(re.fullmatch(r"[0-9a-f]{16}", f) for f in fingerprints)
    assert {s.get(m.WORKFLOW) for s in database} >= WORKFLOWS - NO_DB_WORKFLOWS
    errors = {s[m.ERROR_CATEGORY] for s in series if m.ERROR_CATEGORY in s}
    assert {"server_error", "db_integrity", "not_found", "authentication"} <= errors
    assert not prom.series('{otel_metric_overflow="true"}'), "cardinality limit reached"


def test_duration_buckets_cover_1ms_to_10s_and_every_threshold(pipeline_run: PipelineRun) -> None:
    series = pipeline_run.prometheus.series(m.SPAN_DURATION_BUCKET)
    bounds = {s[m.LE] for s in series}
    assert sorted(bounds, key=float) == BUCKETS_MS
    # The latency thresholds (not the error-ratio ones) must fall on bucket boundaries.
    thresholds = dataclasses.asdict(Config().thresholds)
    thresholds.pop("errors")
    for layer, levels in thresholds.items():
        for level, ms in levels.items():
            assert f"{ms:g}" in bounds, f"{layer}.{level} = {ms} ms is not a bucket boundary"


def test_exemplars_point_at_collected_traces(pipeline_run: PipelineRun, collected: Traces) -> None:
    data = pipeline_run.prometheus.get(
        "/api/v1/query_exemplars", query=m.SPAN_DURATION_BUCKET, start="0", end="9999999999"
    )
    trace_ids = {e["labels"]["trace_id"] for group in data for e in group["exemplars"]}
    assert trace_ids and trace_ids <= collected.keys()


def test_service_graph_has_the_api_to_database_edge(
    pipeline_run: PipelineRun, collected: Traces
) -> None:
    prom = pipeline_run.prometheus
    db_spans = [
        s for t in collected.values() for s in t if s.kind == "client" and s.attr("db.name")
    ]
    edge = f'{{client="{SERVICE}", server="shop", connection_type="database"}}'
    requests = f"{m.SERVICE_GRAPH_REQUESTS}{edge}"
    eventually(lambda: prom.scalar(requests) == len(db_spans) or None, f"{requests} == spans")
    failed = sum(s.status == "error" for s in db_spans)
    assert failed > 0  # the duplicate-SKU insert
    assert prom.scalar(f"{m.SERVICE_GRAPH_FAILED}{edge}") == failed
    for histogram in (m.SERVICE_GRAPH_SERVER_SECONDS, m.SERVICE_GRAPH_CLIENT_SECONDS):
        assert prom.scalar(f"{histogram}_count{edge}") == len(db_spans)
        assert prom.series(f'{histogram}_bucket{{le="0.05"}}')


def test_every_pipeline_metric_name_exists(pipeline_run: PipelineRun) -> None:
    produced = {
        m.SPAN_CALLS,
        m.SPAN_DURATION_BUCKET,
        m.SPAN_DURATION_SUM,
        m.SPAN_DURATION_COUNT,
        m.SERVICE_GRAPH_REQUESTS,
        m.SERVICE_GRAPH_FAILED,
        m.SERVICE_GRAPH_SERVER_SECONDS_BUCKET,
        m.SERVICE_GRAPH_CLIENT_SECONDS_BUCKET,
    }
    assert produced <= pipeline_run.prometheus.metric_names()
    # prometheus.yml scrapes the collector's own telemetry (every 5 s in native runs).
    eventually(
        lambda: pipeline_run.prometheus.scalar('up{job="otel-collector"}') == 1,
        "Prometheus to scrape the collector",
        timeout=30,
    )


def test_browsers_may_post_otlp_from_the_default_origin(native_stack: NativeStack) -> None:
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    url = f"{native_stack.otlp_http_endpoint}/v1/traces"
    allowed = httpx.options(url, headers=preflight, timeout=5)
    assert allowed.headers.get("access-control-allow-origin") == "http://localhost:3000"
    other = httpx.options(url, headers={**preflight, "Origin": "https://evil.example"}, timeout=5)
    assert "access-control-allow-origin" not in other.headers


def test_config_validates_for_compose_and_native(collector_bin: Path, tmp_path: Path) -> None:
    validate(collector_bin, {})  # compose: every E2E_OTELCOL_* at its default
    native = collector_env(Ports.free(), tmp_path / "t.jsonl", "2s")
    validate(collector_bin, native)
    validate(
        collector_bin, {**native, "E2E_OTELCOL_TRACES_EXPORTERS": "[file/traces, otlp_grpc/tempo]"}
    )
    broken = {**native, "E2E_OTELCOL_TRACES_EXPORTERS": "[nosuch]"}
    with pytest.raises(StackError, match="does not validate"):
        validate(collector_bin, broken)


def test_collector_has_exactly_the_components_the_config_uses(collector_bin: Path) -> None:
    """The single-box config and the scaled-out tiers' (collector-config/scale/) together use
    every component built, and nothing else."""
    built = yaml.safe_load(subprocess.check_output([str(collector_bin), "components"], text=True))
    scale = COLLECTOR_CONFIG.parent / "scale"
    configs = [yaml.safe_load(p.read_text()) for p in [COLLECTOR_CONFIG, *scale.glob("*.yaml")]]
    for kind in ("receivers", "processors", "exporters", "connectors", "extensions"):
        used = {name.split("/")[0] for config in configs for name in config.get(kind) or {}}
        assert {c["name"] for c in built[kind]} == used, kind
        versions = {c["module"].split()[-1] for c in built[kind]}
        assert versions == {"v0.161.0"}, f"{kind}: one release, got {versions}"


def test_native_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: apt-get install prometheus", pytrace=False)
    targets = {"prometheus": "127.0.0.1:1", "otel-collector": "127.0.0.1:2"}
    targets["e2e-otel-analyzer"] = "127.0.0.1:3"
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(prometheus_config(targets, "5s")))
    result = subprocess.run([promtool, "check", "config", str(path)], capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr
    with pytest.raises(StackError, match="no native target"):
        prometheus_config({}, "5s")


def test_missing_collector_fails_naming_the_build_script(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"scripts/build-collector\.sh"):
        find_collector({"E2E_OTELCOL_BIN": str(tmp_path / "missing")})
    empty_cache = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "E2E_OTEL_CACHE": str(tmp_path)}
    with pytest.raises(StackError, match=r"scripts/build-collector\.sh"):
        find_collector(empty_cache)
    assert (ROOT / "scripts" / "build-collector.sh").exists()
