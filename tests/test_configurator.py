"""Under ``opentelemetry-instrument`` the SDK's configurator runs with our processors: the
standard variables for metrics, logs, id generator and sampler work as OpenTelemetry documents
them, a bad name is one log line, and our self-metrics appear when metrics are on. Real
subprocesses, telemetry read back from the console exporters and the OTLP JSON file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e_otel.sources.models import SpanRecord
from e2e_otel.sources.otlp_files import read_spans

APP = textwrap.dedent(
    """
    import logging, sys
    from opentelemetry import trace
    db = trace.get_tracer("opentelemetry.instrumentation.dbapi")
    with trace.get_tracer("app").start_as_current_span("job"):
        with db.start_as_current_span("q", kind=trace.SpanKind.CLIENT) as q:
            q.set_attribute("db.statement", "SELECT 1 FROM t WHERE a = 'secret'")
    logging.getLogger("app").warning("hello from the app")
    # The meter provider's exit hook runs before the tracer provider's: export spans first.
    trace.get_tracer_provider().force_flush()
    print("app ran", file=sys.stderr)
    """
)


def _run(
    tmp_path: Path, env: dict[str, str], *, instrument: bool = True
) -> tuple[subprocess.CompletedProcess[str], list[SpanRecord]]:
    """Run the app; its spans as written to an OTLP JSON file (``E2E_OTEL_TRACES_FILE``)."""
    traces = tmp_path / "traces.jsonl"
    app = tmp_path / "app.py"
    app.write_text(
        APP if instrument else "import e2e_otel; e2e_otel.configure(instrument=False)\n" + APP
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    # Spans go to the file unless a test names an exporter too.
    full_env.update({"OTEL_TRACES_EXPORTER": "none", **env, "E2E_OTEL_TRACES_FILE": str(traces)})
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "opentelemetry-instrument")] if instrument else []
    result = subprocess.run(
        [*command, sys.executable, str(app)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "app ran" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result, list(read_spans([traces])) if traces.exists() else []


def _documents(stdout: str) -> Iterator[dict[str, Any]]:
    """The JSON documents the console exporters print, one after the other."""
    decoder = json.JSONDecoder()
    index = stdout.find("{")
    while index != -1:
        document, end = decoder.raw_decode(stdout, index)
        yield document
        index = stdout.find("{", end)


def _metrics(stdout: str) -> dict[str, list[dict[str, Any]]]:
    """Data points by metric name, over every export the console printed."""
    points: dict[str, list[dict[str, Any]]] = {}
    for document in _documents(stdout):
        for resource in document.get("resource_metrics", []):
            for scope in resource["scope_metrics"]:
                for metric in scope["metrics"]:
                    points.setdefault(metric["name"], []).extend(metric["data"]["data_points"])
    return points


def test_metrics_set_by_the_user_are_exported_with_our_delivery_counts(tmp_path: Path) -> None:
    result, exported_spans = _run(
        tmp_path,
        {
            "OTEL_METRICS_EXPORTER": "console",
            "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "true",
        },
    )
    points = _metrics(result.stdout)
    ended = {
        p["attributes"]["e2e_otel.exporter"]: p["value"] for p in points["e2e_otel.span.ended"]
    }
    assert ended == {"FileSpanExporter": 2}
    exported = {
        p["attributes"].get("error.type", "delivered"): p["value"]
        for p in points["e2e_otel.span.exported"]
    }
    assert exported == {"delivered": 2, "rejected": 0, "shutdown_timeout": 0}
    # The SDK's own metrics, which ours do not repeat.
    assert "otel.sdk.span.started" in points
    assert "otel.sdk.processor.span.processed" in points
    spans = {s.name: s for s in exported_spans}
    assert spans["q"].attributes["e2e.layer"] == "database"
    assert spans["q"].attributes["e2e.db.fingerprint"] == "select ? from t where a = ?"
    assert "secret" not in str(spans["q"].attributes)


def test_metrics_stay_off_by_default(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, {"OTEL_TRACES_EXPORTER": "console"})
    assert _metrics(result.stdout) == {}
    spans = [d for d in _documents(result.stdout) if "context" in d]
    assert {s["name"] for s in spans} == {"job", "q"}
    assert all("e2e.layer" in s["attributes"] for s in spans)


def test_logs_set_by_the_user_are_exported(tmp_path: Path) -> None:
    result, _ = _run(
        tmp_path,
        {
            "OTEL_LOGS_EXPORTER": "console",
            # The SDK's logging handler; opentelemetry-instrumentation-logging also does it.
            "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
        },
    )
    bodies = [d["body"] for d in _documents(result.stdout) if "body" in d]
    assert "hello from the app" in bodies


FIXED_IDS = textwrap.dedent(
    """
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class FixedIds(IdGenerator):
        def generate_span_id(self) -> int:
            return 0x1234

        def generate_trace_id(self) -> int:
            return 0xABC
    """
)


@pytest.mark.parametrize("instrument", [True, False], ids=["instrument", "configure"])
def test_id_generator_from_an_entry_point(tmp_path: Path, instrument: bool) -> None:
    site = tmp_path / "site"
    dist = site / "fixed_ids-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "fixed_ids.py").write_text(FIXED_IDS)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fixed-ids\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[opentelemetry_id_generator]\nfixed = fixed_ids:FixedIds\n"
    )
    env = {
        "OTEL_PYTHON_ID_GENERATOR": "fixed",
        "PYTHONPATH": str(site),
    }
    _, spans = _run(tmp_path, env, instrument=instrument)
    assert {s.trace_id for s in spans} == {f"{0xABC:032x}"}
    assert all(s.attributes["e2e.layer"] for s in spans)


def test_sampler_from_the_environment(tmp_path: Path) -> None:
    env = {
        "OTEL_TRACES_SAMPLER": "always_off",
    }
    assert _run(tmp_path, env)[1] == []


def test_unknown_names_are_one_line_each_and_tracing_runs(tmp_path: Path) -> None:
    result, spans = _run(
        tmp_path,
        {
            "OTEL_TRACES_EXPORTER": "nosuchtraces,console",
            "OTEL_METRICS_EXPORTER": "nosuchmetrics",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "carrier-pigeon",
            "OTEL_PYTHON_ID_GENERATOR": "nosuchids",
        },
    )
    lines = result.stderr.splitlines()
    for name in ("nosuchtraces", "nosuchmetrics", "carrier-pigeon", "nosuchids"):
        naming = [line for line in lines if name in line]
        assert len(naming) == 1, result.stderr[-3000:]
        assert naming[0].startswith("e2e_otel: OTEL_")
    assert {s.name for s in spans} == {"job", "q"}
    # The usable exporter named beside the unknown one still gets the spans.
    assert {d["name"] for d in _documents(result.stdout) if "context" in d} == {"job", "q"}


def test_disabled_is_the_plain_sdk(tmp_path: Path) -> None:
    env = {"E2E_OTEL_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}
    result, in_file = _run(tmp_path, env)
    spans = [d for d in _documents(result.stdout) if "context" in d]
    assert {s["name"] for s in spans} == {"job", "q"}
    assert not any("e2e.layer" in s["attributes"] for s in spans)
    assert in_file == []
