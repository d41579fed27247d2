"""Span exporters named by ``OTEL_TRACES_EXPORTER``, plus our OTLP JSON file for the embedded mode.

Unknown or broken exporters are logged once and skipped: a typo in an env var must not take the
application down.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.util._importlib_metadata import entry_points

from e2e_otel import environment_variables as env

_logger = logging.getLogger(__name__)
_GROUP = "opentelemetry_traces_exporter"


def exporter_names(default: str | None = "otlp") -> list[str]:
    """Names from ``OTEL_TRACES_EXPORTER`` (comma separated), else ``default``."""
    raw = os.environ.get("OTEL_TRACES_EXPORTER")
    if raw is None:
        return [default] if default else []
    names = [n.strip() for n in raw.split(",") if n.strip()]
    return [] if names == ["none"] else [n for n in names if n != "none"]


def _resolve_otlp(name: str) -> str:
    # "otlp" is registered by the opentelemetry-exporter-otlp meta package only; pick the
    # transport the way the spec does, with http/protobuf (which we ship) as the default.
    if name != "otlp":
        return name
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    )
    return "otlp_proto_grpc" if protocol.strip() == "grpc" else "otlp_proto_http"


def load_exporters(names: list[str]) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    for name in names:
        resolved = _resolve_otlp(name)
        found = list(entry_points(group=_GROUP, name=resolved))
        if not found:
            _logger.error(
                "e2e_otel: trace exporter %r is not installed (entry point %s:%s); skipped",
                name,
                _GROUP,
                resolved,
            )
            continue
        try:
            exporters.append(found[0].load()())
        except Exception as exc:
            _logger.error("e2e_otel: trace exporter %r failed to start: %r; skipped", name, exc)
    return exporters


def file_exporter(path: str | os.PathLike[str] | None = None) -> SpanExporter | None:
    """An OTLP JSON lines file exporter for ``path`` or ``$E2E_OTEL_TRACES_FILE``."""
    chosen = path if path is not None else os.environ.get(env.E2E_OTEL_TRACES_FILE)
    if not chosen:
        return None
    from opentelemetry.exporter.otlp.json.file.trace_exporter import FileSpanExporter

    try:
        Path(chosen).parent.mkdir(parents=True, exist_ok=True)
        # Opened once without blocking first: a FIFO nobody reads would otherwise hang the
        # app at start (it fails with ENXIO instead); a FIFO with a reader still works.
        os.close(os.open(chosen, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644))
        return FileSpanExporter(chosen)
    except OSError as exc:
        _logger.error("e2e_otel: cannot open traces file %s: %s; file export disabled", chosen, exc)
        return None
