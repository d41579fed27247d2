"""configure(): the code path shared with the distro. Each case runs in a fresh interpreter
because the global tracer provider can be set only once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from e2e_otel.sources.otlp_files import read_spans

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import e2e_otel

    memory = InMemorySpanExporter()
    first = e2e_otel.configure(service_name="svc", span_exporter=memory, instrument=False)
    second = e2e_otel.configure(service_name="other", instrument=False)
    tracer = trace.get_tracer("opentelemetry.instrumentation.pymysql")
    with trace.get_tracer("app").start_as_current_span("request", kind=trace.SpanKind.SERVER) as s:
        s.set_attribute("e2e.workflow.type", "checkout")
        s.set_attribute("e2e.workflow.id", "corr-7")
        with tracer.start_as_current_span("SELECT", kind=trace.SpanKind.CLIENT) as db:
            db.set_attribute("db.statement", "SELECT * FROM t WHERE secret = 'hunter2'")
    first.shutdown()
    first.shutdown()
    spans = {s.name: dict(s.attributes) for s in memory.get_finished_spans()}
    print(json.dumps({"same": first is second, "spans": spans,
                      "service": memory.get_finished_spans()[0].resource.attributes["service.name"]}))
    """
)


def _run(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=full_env, timeout=60
    )


def test_configure_installs_processors_and_is_idempotent() -> None:
    result = _run(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["same"] is True
    assert out["service"] == "svc"
    db = out["spans"]["SELECT"]
    assert db["e2e.layer"] == "database"
    assert db["e2e.workflow.type"] == "checkout"
    assert db["e2e.workflow.id"] == "corr-7"
    assert len(db["e2e.db.fingerprint_id"]) == 16
    assert "hunter2" not in json.dumps(out)
    assert out["spans"]["request"]["e2e.layer"] == "api"


def test_traces_file_is_otlp_json_readable_by_our_source(tmp_path: Path) -> None:
    traces = tmp_path / "sub" / "traces.jsonl"
    script = textwrap.dedent(
        """
        from opentelemetry import trace
        import e2e_otel
        handle = e2e_otel.configure(service_name="filesvc", instrument=False)
        with trace.get_tracer("x").start_as_current_span("work"):
            pass
        handle.shutdown()
        """
    )
    result = _run(script, {"E2E_OTEL_TRACES_FILE": str(traces), "OTEL_TRACES_EXPORTER": "none"})
    assert result.returncode == 0, result.stderr
    (span,) = list(read_spans([traces]))
    assert span.name == "work"
    assert span.service_name == "filesvc"
    assert span.attributes["e2e.layer"] == "internal"


def test_bad_exporter_name_and_disabled_flag_never_break_the_app(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from opentelemetry import trace
        import e2e_otel
        handle = e2e_otel.configure(instrument=False)
        with trace.get_tracer("x").start_as_current_span("work"):
            pass
        handle.shutdown()
        print("app still running")
        """
    )
    result = _run(script, {"OTEL_TRACES_EXPORTER": "nosuchexporter"})
    assert result.returncode == 0, result.stderr
    assert "app still running" in result.stdout
    assert "nosuchexporter" in result.stderr
    disabled = _run(script, {"E2E_OTEL_DISABLED": "true"})
    assert disabled.returncode == 0 and "app still running" in disabled.stdout


def test_bad_config_file_is_logged_and_defaults_used_but_a_bad_argument_raises(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("thresholds: {api: {warning_ms: nope}}\n")
    script = textwrap.dedent(
        f"""
        import e2e_otel
        handle = e2e_otel.configure(instrument=False)
        print("started with api warning", handle.config.thresholds.api.warning_ms)
        handle.shutdown()
        try:
            e2e_otel.configure(config={str(bad)!r}, instrument=False)
        except e2e_otel.ConfigError as exc:
            print("ConfigError:", exc)
        """
    )
    result = _run(script, {"E2E_OTEL_CONFIG": str(bad)})
    assert result.returncode == 0, result.stderr
    assert "started with api warning 200.0" in result.stdout
    assert f"ConfigError: {bad}: thresholds.api.warning_ms:" in result.stdout
    logged = [line for line in result.stderr.splitlines() if str(bad) in line]
    assert len(logged) == 1 and "continuing with the default configuration" in logged[0]


def test_traces_file_that_is_a_fifo_without_reader_does_not_hang_the_app(tmp_path: Path) -> None:
    fifo = tmp_path / "traces.fifo"
    os.mkfifo(fifo)
    script = "import e2e_otel; e2e_otel.configure(instrument=False); print('started')"
    result = _run(script, {"E2E_OTEL_TRACES_FILE": str(fifo), "OTEL_TRACES_EXPORTER": "none"})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    assert f"cannot open traces file {fifo}" in result.stderr
    assert "file export disabled" in result.stderr
