"""The SDK components the environment names, looked up the SDK's way but one at a time, plus our
OTLP JSON file for the embedded mode.

The SDK's own lookup (``_import_exporters``, ``_import_id_generator``) raises on the first
unknown name, which under ``opentelemetry-instrument`` stops the whole configuration: no
tracing, no instrumentation. Here each name goes through the same SDK functions alone, so an
unknown or broken one is one log line and the rest still start: a typo in an environment
variable must not take tracing (or the application) down.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from opentelemetry.sdk._configuration import (
    _EXPORTER_ENV_BY_SIGNAL_TYPE,
    _get_exporter_entry_point,
    _get_id_generator,
    _import_exporters,
    _import_id_generator,
)
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
)
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

from e2e_otel import environment_variables as env

Signal = Literal["traces", "metrics", "logs"]
SIGNALS: tuple[Signal, ...] = ("traces", "metrics", "logs")
_logger = logging.getLogger(__name__)


def exporter_names(default: str | None = "otlp", signal: Signal = "traces") -> list[str]:
    """Names in ``OTEL_<SIGNAL>_EXPORTER`` (comma separated, ``none`` for none), else
    ``default`` when the variable is unset."""
    raw = os.environ.get(_EXPORTER_ENV_BY_SIGNAL_TYPE[signal])
    if raw is None:
        return [default] if default else []
    return [n for n in (part.strip() for part in raw.split(",")) if n and n.lower() != "none"]


def usable(names: list[str], signal: Signal = "traces") -> list[tuple[str, type]]:
    """``(name, class)`` of each name the SDK can load for ``signal``; the others are logged
    once each and left out."""
    found: list[tuple[str, type]] = []
    for name in names:
        try:
            wanted: dict[Signal, list[str]] = {s: [] for s in SIGNALS}
            wanted[signal] = [_entry_point(name, signal)]
            loaded = _import_exporters(wanted["traces"], wanted["metrics"], wanted["logs"])
            (cls,) = loaded[SIGNALS.index(signal)].values()
        except Exception as exc:  # the SDK's RuntimeError, or an entry point failing to import
            _logger.error(
                "e2e_otel: %s=%s cannot be used (%s); skipped",
                _EXPORTER_ENV_BY_SIGNAL_TYPE[signal],
                name,
                exc,
            )
            continue
        found.append((name, cls))
    return found


def keep_usable_names() -> None:
    """Before the SDK reads them: leave in ``OTEL_{TRACES,METRICS,LOGS}_EXPORTER`` only the
    names it can load, so one bad name does not stop the SDK's configuration."""
    for signal in SIGNALS:
        names = exporter_names(None, signal)
        if names:
            kept = [name for name, _ in usable(names, signal)]
            os.environ[_EXPORTER_ENV_BY_SIGNAL_TYPE[signal]] = ",".join(kept) or "none"


def load_exporters(names: list[str]) -> list[SpanExporter]:
    """One span exporter per usable name; one that fails to start is logged and skipped."""
    exporters: list[SpanExporter] = []
    for name, cls in usable(names):
        try:
            exporters.append(cls())
        except Exception as exc:
            _logger.error("e2e_otel: trace exporter %r failed to start: %r; skipped", name, exc)
    return exporters


def id_generator() -> IdGenerator:
    """The generator ``OTEL_PYTHON_ID_GENERATOR`` names (default ``random``); an unknown one
    is logged once and the random generator used."""
    name = _get_id_generator()
    try:
        return _import_id_generator(name)
    except Exception as exc:
        _logger.error(
            "e2e_otel: OTEL_PYTHON_ID_GENERATOR=%s cannot be used (%s); using random", name, exc
        )
        return RandomIdGenerator()


def _entry_point(name: str, signal: Signal) -> str:
    # Without a protocol the SDK maps "otlp" to gRPC, an extra here (e2e-otel[grpc]); we ship
    # http/protobuf, the distro's default protocol, so code-based setup picks the same.
    protocol = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) or os.environ.get(
        OTEL_EXPORTER_OTLP_PROTOCOL
    )
    if name == "otlp" and signal == "traces" and not protocol:
        return "otlp_proto_http"
    return str(_get_exporter_entry_point(name, signal))


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
