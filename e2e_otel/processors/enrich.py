"""Export-stage enrichment: attributes that need the finished span.

Ended SDK spans are immutable and ``on_end`` runs on the request thread. This exporter wrapper
runs enrichers where the batch processor already works — its worker thread — and hands the
wrapped exporter new read-only spans carrying the extra attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from e2e_otel.processors import _guard


class SpanEnricher(Protocol):
    """Adds or rewrites attributes of a finished span.

    ``attributes`` is a mutable copy of the span's attributes; ``events`` a mutable copy of its
    events. Enrichers must be pure functions of the span (safe on any thread).
    """

    name: str

    def enrich(
        self, span: ReadableSpan, attributes: dict[str, Any], events: list[Event]
    ) -> None: ...


class EnrichingSpanExporter(SpanExporter):
    """Applies ``enrichers`` to every span, then delegates to ``exporter``.

    A failing enricher is logged once and counted; the span is still exported with what the
    other enrichers added, so nothing is lost.
    """

    def __init__(self, exporter: SpanExporter, enrichers: Sequence[SpanEnricher]) -> None:
        self._exporter = exporter
        self._enrichers = tuple(enrichers)

    @property
    def wrapped(self) -> SpanExporter:
        return self._exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([self._enrich(span) for span in spans])

    def _enrich(self, span: ReadableSpan) -> ReadableSpan:
        original = span.attributes or {}
        attributes = dict(original)
        events = list(span.events)
        for enricher in self._enrichers:
            try:
                enricher.enrich(span, attributes, events)
            except Exception as exc:  # never lose the span
                _guard.report(f"enricher {enricher.name}", exc)
        if attributes == original and events == list(span.events):
            return span
        bounded = BoundedAttributes(attributes=attributes, immutable=True, max_value_len=None)
        bounded.dropped = span.dropped_attributes
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=bounded,
            events=events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
