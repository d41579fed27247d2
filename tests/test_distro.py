"""opentelemetry-instrument loads our distro and configurator through entry points."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from e2e_otel.sources.otlp_files import read_spans
from tests.hostile_configs import KINDS, hostile_file

APP = textwrap.dedent(
    """
    from opentelemetry import trace
    from opentelemetry.instrumentation.propagators import get_global_response_propagator
    tracer = trace.get_tracer("opentelemetry.instrumentation.dbapi")
    with trace.get_tracer("app").start_as_current_span("job") as s:
        s.set_attribute("e2e.workflow.id", "w-1")
        with tracer.start_as_current_span("q", kind=trace.SpanKind.CLIENT) as q:
            q.set_attribute("db.statement", "SELECT name FROM t WHERE email = 'a@b.c'")
    print(type(get_global_response_propagator()).__name__)
    from django.conf import settings
    print("django settings configured:", settings.configured)
    """
)


def _instrument(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    app = tmp_path / "app.py"
    app.write_text(APP)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    full_env.update(env)
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        [str(bin_dir / "opentelemetry-instrument"), sys.executable, str(app)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_opentelemetry_instrument_uses_the_distro_with_no_code_change(tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    result = _instrument(
        tmp_path, {"OTEL_TRACES_EXPORTER": "none", "E2E_OTEL_TRACES_FILE": str(traces)}
    )
    assert result.returncode == 0, result.stderr
    assert "TraceResponsePropagator" in result.stdout
    # Without DJANGO_SETTINGS_MODULE, Django is left alone (the contrib instrumentor would
    # configure empty settings behind the app's back) and the reason is logged.
    assert "django settings configured: False" in result.stdout
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr
    spans = {s.name: s for s in read_spans([traces])}
    q = spans["q"]
    assert q.attributes["e2e.layer"] == "database"
    assert q.attributes["e2e.workflow.id"] == "w-1"
    assert q.attributes["e2e.db.fingerprint"] == "select name from t where email = ?"
    assert "a@b.c" not in str(q.attributes)


def test_bad_config_under_auto_instrumentation_is_reported_and_the_app_runs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("privacy: {keep_raw_sql: 7}\n")
    traces = tmp_path / "traces.jsonl"
    result = _instrument(
        tmp_path,
        {
            "OTEL_TRACES_EXPORTER": "none",
            "E2E_OTEL_TRACES_FILE": str(traces),
            "E2E_OTEL_CONFIG": str(bad),
        },
    )
    assert result.returncode == 0, result.stderr
    assert f"{bad}: privacy.keep_raw_sql: expected true or false" in result.stderr
    assert {s.name for s in read_spans([traces])} == {"job", "q"}


class _OtlpSink(http.server.ThreadingHTTPServer):
    """A minimal OTLP/HTTP trace receiver: decodes every protobuf export request."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        super().__init__(("127.0.0.1", 0), _OtlpHandler)


class _OtlpHandler(http.server.BaseHTTPRequestHandler):
    server: _OtlpSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.requests.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_default_exporter_is_otlp_http_protobuf(tmp_path: Path) -> None:
    sink = _OtlpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        result = _instrument(
            tmp_path,
            {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}"},
        )
    finally:
        sink.shutdown()
    assert result.returncode == 0, result.stderr
    spans = [
        span
        for request in sink.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    by_name = {s.name: {a.key: a.value.string_value for a in s.attributes} for s in spans}
    assert by_name["q"]["e2e.layer"] == "database"
    assert by_name["q"]["e2e.db.fingerprint"] == "select name from t where email = ?"


TINY_APP = textwrap.dedent(
    """
    from opentelemetry import trace
    db = trace.get_tracer("opentelemetry.instrumentation.dbapi")
    with trace.get_tracer("app").start_as_current_span("job"):
        with db.start_as_current_span("q", kind=trace.SpanKind.CLIENT) as q:
            q.set_attribute("db.statement", "SELECT 1 FROM t WHERE a = 'x'")
    print("app ran")
    """
)


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_config_file_is_one_log_line_and_tracing_runs_on_defaults(
    tmp_path: Path, kind: str
) -> None:
    # Before: a FIFO hung the app, nesting 20k deep left it untraced under ~6,000 log lines, an
    # alias bomb exploded whatever walked the configuration.
    config = hostile_file(kind, tmp_path)
    traces = tmp_path / "traces.jsonl"
    app = tmp_path / "tiny_app.py"
    app.write_text(TINY_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        OTEL_TRACES_EXPORTER="none",
        E2E_OTEL_TRACES_FILE=str(traces),
        E2E_OTEL_CONFIG=str(config),
        E2E_OTEL_KEEP_RAW_SQL="true",
    )
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "opentelemetry-instrument"), sys.executable, str(app)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "app ran\n"
    lines = result.stderr.splitlines()
    naming = [line for line in lines if str(config) in line]
    assert len(naming) == 1, result.stderr[-2000:]
    assert naming[0].startswith(f"e2e_otel: {config}: ")
    assert naming[0].endswith("; continuing with the default configuration")
    # The other line: Django is not instrumented without DJANGO_SETTINGS_MODULE.
    assert len(lines) <= 2, result.stderr[-2000:]
    spans = {s.name: s for s in read_spans([traces])}
    assert set(spans) == {"job", "q"}
    # Defaults, with the E2E_OTEL_* overrides still applied (E2E_OTEL_KEEP_RAW_SQL=true).
    assert spans["q"].attributes["db.statement"] == "SELECT 1 FROM t WHERE a = 'x'"
