"""Spans of the test process, in memory, through the same processors and enrichers the app
exports with in production: e2e-otel's setup (reused when the app already configured it) with
one more exporter, an in-memory one, fed synchronously so a span is readable as soon as it
ends (a Django response is sent after its request span ends).

When the plugin installs the tracer provider itself, its sampler records spans only while a
test that asked for them runs: the other tests of a suite create non-recording spans, which
cost next to nothing."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from e2e_otel.config import Config
from e2e_otel.processors import EnrichingSpanExporter
from e2e_otel.setup import Handle, configure, export_processor
from e2e_otel.sources.models import SpanRecord
from e2e_otel.testing.records import records

if TYPE_CHECKING:
    from e2e_otel.testing.database import DjangoQueries
    from e2e_otel.testing.receiver import OtlpReceiver


class CaptureError(RuntimeError):
    """Spans cannot be captured in this process (the reason says why and what to do)."""


class Switch(Sampler):
    """Samples every span while on, none while off."""

    def __init__(self) -> None:
        self.on = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        sampler = ALWAYS_ON if self.on else ALWAYS_OFF
        return sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "e2e_otel.testing.Switch"


class SpanCapture:
    """The in-memory exporter behind e2e-otel's processors, and the handle it hangs on."""

    def __init__(
        self, exporter: InMemorySpanExporter, handle: Handle, owned: bool, switch: Switch | None
    ) -> None:
        self.exporter = exporter
        self.handle = handle
        self.owned = owned
        self._switch = switch
        self._receivers: list[OtlpReceiver] = []
        self.queries: DjangoQueries | None = None

    def record(self, on: bool) -> None:
        """Record spans from now on, or stop (a no-op when the app's own sampler decides)."""
        if self._switch is not None:
            self._switch.on = on

    def recording(self) -> bool:
        """Whether spans are recorded now (always when the app's own sampler decides)."""
        return self._switch is None or self._switch.on

    @property
    def config(self) -> Config:
        return self.handle.config

    def attach(self, receiver: OtlpReceiver) -> None:
        """Add the spans ``receiver`` gets from other processes (a browser, a Next.js server)."""
        self._receivers.append(receiver)

    def detach(self, receiver: OtlpReceiver) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def records(self) -> tuple[SpanRecord, ...]:
        """Every span finished in this process or received since the last :meth:`clear`, in
        start order."""
        own = records(self.exporter.get_finished_spans())
        if not self._receivers:
            return own
        received = [s for r in self._receivers for s in r.records()]
        return tuple(sorted((*own, *received), key=lambda r: (r.start_ns, r.span_id)))

    def problems(self) -> tuple[str, ...]:
        """What the receivers could not read since the last :meth:`clear`."""
        return tuple(p for r in self._receivers for p in r.problems)

    def clear(self) -> None:
        self.exporter.clear()
        for receiver in self._receivers:
            receiver.clear()

    def close(self) -> None:
        """Stop the tracing this capture installed (a setup it reused is left running)."""
        if self.queries is not None:
            self.queries.uninstall()
            self.queries = None
        if self.owned:
            self.handle.shutdown()


def install(config: str | os.PathLike[str] | None = None) -> SpanCapture:
    """Install e2e-otel's tracing with an in-memory exporter (or add one to the tracing the
    app installed), and instrument Django and the MySQL drivers. Spans are recorded while
    :meth:`SpanCapture.record` is on, or always when the app's tracer provider was there first.

    ``config``: the e2e-otel YAML file, else ``$E2E_OTEL_CONFIG``'s; ignored when the app
    already configured e2e-otel (its configuration is used). Raises :class:`CaptureError` when
    ``E2E_OTEL_DISABLED`` turned tracing off or Django's instrumentation is missing, and
    :class:`~e2e_otel.config.ConfigError` when ``config`` is bad."""
    exporter = InMemorySpanExporter()
    switch = Switch()
    # Only the in-memory exporter: OTEL_TRACES_EXPORTER / E2E_OTEL_TRACES_FILE set for the app
    # would otherwise export every test span too, one at a time (batch=False), to a real
    # collector (or block on a dead one).
    handle = configure(
        config=config,
        span_exporter=exporter,
        sampler=switch,
        instrument=False,
        batch=False,
        environment_exporters=False,
    )
    provider = handle.tracer_provider
    if provider is None:
        raise CaptureError(
            "e2e-otel tracing is disabled (E2E_OTEL_DISABLED is set): unset it for the tests"
        )
    owned = any(_exports_to(p, exporter) for p in handle.processors)
    if not owned:
        provider.add_span_processor(export_processor(exporter, handle.config, batch=False))
    ours = getattr(provider, "sampler", None) is switch
    capture = SpanCapture(exporter, handle, owned, switch if ours else None)
    capture.queries = _instrument(capture)
    return capture


def _exports_to(processor: SpanProcessor, exporter: InMemorySpanExporter) -> bool:
    wrapped = getattr(processor, "span_exporter", None)
    return (
        isinstance(processor, SimpleSpanProcessor)
        and isinstance(wrapped, EnrichingSpanExporter)
        and wrapped.wrapped is exporter
    )


def _instrument(capture: SpanCapture) -> DjangoQueries | None:
    """The MySQL drivers, and Django when its settings are known (pytest-django, a conftest
    or ``DJANGO_SETTINGS_MODULE``): a project without Django gets no error about it. Django's
    other database backends (SQLite, PostgreSQL, ...) get spans from an execute wrapper."""
    from e2e_otel.instrumentation import instrument_db

    mysql_traced = bool(instrument_db())
    if importlib.util.find_spec("django") is None:
        return None
    from e2e_otel.instrumentation.django import django_settings_known, instrument_django

    if not django_settings_known():
        return None
    try:
        instrument_django()
    except ImportError as exc:  # MissingDependencyError: the instrumentation is not installed
        raise CaptureError(f"Django cannot be traced: {exc}") from exc
    from e2e_otel.testing.database import DjangoQueries, QueryTracer

    provider = capture.handle.tracer_provider
    assert provider is not None  # install() checked
    queries = DjangoQueries(
        QueryTracer(provider.get_tracer(QueryTracer.__module__), capture.recording), mysql_traced
    )
    queries.install()
    return queries
