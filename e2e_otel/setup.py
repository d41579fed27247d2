"""``configure()`` for code-based setup, and the pieces it shares with the distro's
configurator (:mod:`e2e_otel.distro`): the processors, the export stage and :func:`install`."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Sampler

from e2e_otel import environment_variables as env
from e2e_otel import exporters as exp
from e2e_otel import runtime
from e2e_otel.config import (
    Config,
    ConfigError,
    default_config,
    env_flag,
    load_config,
    parse_config,
)
from e2e_otel.lifecycle import install_sigterm_flush
from e2e_otel.processors import (
    EnrichingSpanExporter,
    ErrorCategoryEnricher,
    FingerprintEnricher,
    LayerEnricher,
    RedactionEnricher,
    SpanEnricher,
    WorkflowSpanProcessor,
)
from e2e_otel.processors.delivery import (
    DEFAULT_SHUTDOWN_TIMEOUT,
    BudgetedBatchSpanProcessor,
    DeliverySnapshot,
)
from e2e_otel.processors.delivery_metrics import observe as observe_delivery

_logger = logging.getLogger(__name__)
_lock = threading.Lock()
_active: Handle | None = None


@dataclass
class Handle:
    """What :func:`configure` (or the distro's configurator) installed. ``shutdown()`` flushes
    and stops it (idempotent)."""

    tracer_provider: TracerProvider | None
    config: Config
    processors: list[SpanProcessor] = field(default_factory=list)
    is_shutdown: bool = False

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        if self.tracer_provider is None:
            return True
        return self.tracer_provider.force_flush(timeout_millis)

    def delivery(self) -> DeliverySnapshot:
        """Spans handed to export, exported, refused and lost so far, over every exporter."""
        return DeliverySnapshot.total(
            p.stats.snapshot() for p in self.processors if isinstance(p, BudgetedBatchSpanProcessor)
        )

    def shutdown(self) -> None:
        global _active
        with _lock:
            if self.is_shutdown:
                return
            self.is_shutdown = True
            if _active is self:
                _active = None
        for processor in self.processors:
            try:
                processor.shutdown()
            except Exception as exc:
                _logger.warning("e2e_otel: processor shutdown failed: %r", exc)


def start_processors(config: Config | None = None) -> list[SpanProcessor]:
    """The start-stage span processors (only the workflow needs the live span). A public
    building block: add these and :func:`export_processor` to a tracer provider of your own
    to get e2e-otel's spans without :func:`configure`."""
    return [WorkflowSpanProcessor(config.workflows if config is not None else None)]


def enrichers(config: Config) -> list[SpanEnricher]:
    """The export-stage enrichers: fingerprint before redaction so it sees the real statement,
    layer before the error category, which depends on it."""
    return [
        LayerEnricher(),
        FingerprintEnricher(),
        ErrorCategoryEnricher(),
        RedactionEnricher(
            keep_raw_sql=config.privacy.keep_raw_sql,
            keep_query_values=config.privacy.keep_query_values,
        ),
    ]


def export_processor(exporter: SpanExporter, config: Config, batch: bool = True) -> SpanProcessor:
    """A span processor exporting enriched spans to ``exporter``: batched, with counted
    delivery and a shutdown bounded by ``E2E_OTEL_SHUTDOWN_TIMEOUT``; or one span at a time."""
    wrapped = EnrichingSpanExporter(exporter, enrichers(config))
    if not batch:
        return SimpleSpanProcessor(wrapped)
    return BudgetedBatchSpanProcessor(
        wrapped,
        name=type(exporter).__name__,
        shutdown_timeout=shutdown_timeout(),
    )


def shutdown_timeout() -> float:
    """Seconds from ``E2E_OTEL_SHUTDOWN_TIMEOUT``; a bad value is logged, the default used."""
    raw = os.environ.get(env.E2E_OTEL_SHUTDOWN_TIMEOUT)
    if raw is None or not raw.strip():
        return DEFAULT_SHUTDOWN_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        _logger.warning(
            "e2e_otel: %s=%r is not a number of seconds >= 0; using %g",
            env.E2E_OTEL_SHUTDOWN_TIMEOUT,
            raw,
            DEFAULT_SHUTDOWN_TIMEOUT,
        )
        return DEFAULT_SHUTDOWN_TIMEOUT
    return seconds


def resolve_config(config: Config | Mapping[str, Any] | str | os.PathLike[str] | None) -> Config:
    """The configuration given, else ``$E2E_OTEL_CONFIG``'s. A bad file named by the variable
    (an operator's setting) is logged once and the defaults are used, so the app still starts
    traced; a bad ``config`` argument (the code's own) raises :class:`ConfigError`."""
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return parse_config(config, "<configure(config=...)>")
    if config is not None:
        return load_config(config)
    try:
        return load_config()
    except ConfigError as exc:
        _logger.error("e2e_otel: %s; continuing with the default configuration", exc)
        return default_config()


def configure(
    service_name: str | None = None,
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    span_exporter: SpanExporter | Sequence[SpanExporter] | None = None,
    *,
    traces_file: str | os.PathLike[str] | None = None,
    sampler: Sampler | None = None,
    instrument: bool = True,
    batch: bool = True,
    environment_exporters: bool = True,
) -> Handle:
    """Install e2e-otel tracing: our processors, exporters, Django and MySQL instrumentation.

    Safe to call twice: while a previous handle is live, it is returned unchanged. Exporters:
    ``span_exporter`` if given, plus those named by ``OTEL_TRACES_EXPORTER`` (default ``otlp``
    when no ``span_exporter`` is given), plus an OTLP JSON file at ``traces_file`` or
    ``$E2E_OTEL_TRACES_FILE``; with ``environment_exporters=False`` only ``span_exporter`` and
    ``traces_file`` (the environment's are ignored: the pytest plugin's capture).
    Raises :class:`~e2e_otel.config.ConfigError` when ``config`` is bad; a bad file named by
    ``$E2E_OTEL_CONFIG`` is logged once and the defaults are used.
    """

    def build(cfg: Config) -> tuple[TracerProvider | None, list[SpanProcessor]]:
        provider = _tracer_provider(service_name, sampler)
        processors = start_processors(cfg)
        for exporter in _exporters(span_exporter, traces_file, environment_exporters):
            processors.append(export_processor(exporter, cfg, batch=batch))
        for processor in processors:
            provider.add_span_processor(processor)
        return provider, processors

    return install(config, build, instrument=instrument)


Build = Callable[[Config], tuple[TracerProvider | None, list[SpanProcessor]]]
"""Builds the tracing of one configuration: the tracer provider and the processors added."""


def install(
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None,
    build: Build,
    *,
    instrument: bool,
) -> Handle:
    """What :func:`configure` and the distro's configurator share around ``build``: the
    configuration, idempotence, ``E2E_OTEL_DISABLED``, the response propagator, the delivery
    metrics and the flush on SIGTERM."""
    global _active
    with _lock:
        if _active is not None and not _active.is_shutdown:
            _logger.debug("e2e_otel: already configured; returning the existing handle")
            return _active
        cfg = resolve_config(config)
        runtime.set_config(cfg)
        if env_flag(env.E2E_OTEL_DISABLED, False):
            _active = Handle(tracer_provider=None, config=cfg)
            return _active
        provider, processors = build(cfg)
        if instrument:
            from e2e_otel.instrumentation import instrument_all

            instrument_all()
        from e2e_otel.instrumentation.propagation import install_response_propagator

        install_response_propagator()
        _active = Handle(tracer_provider=provider, config=cfg, processors=processors)
        observe_delivery(processors)
        if env_flag(env.E2E_OTEL_FLUSH_ON_SIGTERM, True):
            install_sigterm_flush(_shutdown_active)
        return _active


def _shutdown_active() -> None:
    handle = _active
    if handle is not None:
        handle.shutdown()


def _tracer_provider(service_name: str | None, sampler: Sampler | None) -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        # Someone already installed an SDK provider: add to it rather than fight over the global.
        return current
    attributes = {SERVICE_NAME: service_name} if service_name else {}
    provider = TracerProvider(
        resource=Resource.create(attributes), sampler=sampler, id_generator=exp.id_generator()
    )
    trace.set_tracer_provider(provider)
    return provider


def _exporters(
    span_exporter: SpanExporter | Sequence[SpanExporter] | None,
    traces_file: str | os.PathLike[str] | None,
    environment: bool = True,
) -> list[SpanExporter]:
    given: list[SpanExporter] = []
    if isinstance(span_exporter, SpanExporter):
        given = [span_exporter]
    elif span_exporter is not None:
        given = list(span_exporter)
    if not environment:
        file_only = exp.file_exporter(traces_file) if traces_file is not None else None
        return given + ([file_only] if file_only is not None else [])
    result = given + exp.load_exporters(exp.exporter_names(default=None if given else "otlp"))
    file_exporter = exp.file_exporter(traces_file)
    if file_exporter is not None:
        result.append(file_exporter)
    return result
