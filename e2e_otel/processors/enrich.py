"""Export-stage enrichment: attributes that need the finished span.

Ended SDK spans are immutable and ``on_end`` runs on the request thread. This exporter wrapper
runs enrichers where the batch processor already works — its worker thread — and hands the
wrapped exporter new read-only spans carrying the extra attributes. Spans no enricher touches
are passed through as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Status

from e2e_otel import _guard


class SpanDraft:
    """A finished span's attributes (as a plain dict) and events, with a record of changes.

    The SDK's attribute mapping is a Python-level mapping behind a lock; enrichers look keys up
    many times per span, so one snapshot into a dict up front is the cheapest way to read it.
    """

    __slots__ = ("_changed", "_events", "_status", "attributes", "span")

    def __init__(self, span: ReadableSpan) -> None:
        self.span = span
        self.attributes: dict[str, Any] = dict(span.attributes or {})
        # ReadableSpan.events builds a new tuple on every access: read it once.
        self._events: Sequence[Event] = span.events
        self._status: Status = span.status
        self._changed = False

    @property
    def events(self) -> Sequence[Event]:
        return self._events

    @property
    def status(self) -> Status:
        return self._status

    def set_status_description(self, description: str) -> None:
        self._status = Status(self._status.status_code, description)
        self._changed = True

    @property
    def changed(self) -> bool:
        return self._changed

    def set(self, key: str, value: Any) -> None:
        self.attributes[key] = value
        self._changed = True

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            if self.attributes.pop(key, None) is not None:
                self._changed = True

    def replace_event(self, index: int, event: Event) -> None:
        events = list(self._events)
        events[index] = event
        self._events = events
        self._changed = True

    def build(self) -> ReadableSpan:
        """The span with the changes (the original span when there are none)."""
        span = self.span
        if not self.changed:
            return span
        attributes: Mapping[str, Any] = self.attributes
        if span.dropped_attributes:
            # Keep the SDK's dropped-attribute count, which the OTLP encoder reports.
            bounded = BoundedAttributes(attributes=attributes, immutable=True, max_value_len=None)
            bounded.dropped = span.dropped_attributes
            attributes = bounded
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=attributes,
            # Keep the SDK's dropped event and link counts too (the encoder reads them from
            # a BoundedList only).
            events=_bounded(self.events, span.dropped_events),
            links=_bounded(span.links, span.dropped_links),
            kind=span.kind,
            status=self._status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )


def _bounded(items: Sequence[Any], dropped: int) -> Sequence[Any]:
    if not dropped:
        return items
    bounded: BoundedList[Any] = BoundedList.from_seq(None, items)
    bounded.dropped = dropped
    return bounded


class SpanEnricher(Protocol):
    """Adds or rewrites attributes of a finished span through a :class:`SpanDraft`.

    Enrichers must be pure functions of the span (safe on any thread) and cheap when they have
    nothing to do: most spans pass every enricher unchanged.
    """

    name: str

    def enrich(self, draft: SpanDraft) -> None: ...


class EnrichingSpanExporter(SpanExporter):
    """Applies ``enrichers`` to every span, then delegates to ``exporter``.

    A failing enricher is logged once and counted; the span is still exported with what the
    other enrichers did, so nothing is lost.
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
        draft = SpanDraft(span)
        for enricher in self._enrichers:
            try:
                enricher.enrich(draft)
            except Exception as exc:  # never lose the span
                _guard.report(f"enricher {enricher.name}", exc)
        return draft.build()

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
