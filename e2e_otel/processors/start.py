"""The start stage: one span processor running every stamper, one attribute write per span.

Stampers (layer, workflow) decide attributes from what ``on_start`` can see. Running them from a
single processor and writing their results with one ``set_attributes`` call keeps the cost on
the request thread to a few dictionary lookups (see docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from e2e_otel.processors import _guard


class SpanStamper(Protocol):
    """Adds start-time attributes to ``out``; ``own`` are the attributes the span started with."""

    name: str

    def stamp(
        self,
        span: Span,
        own: Mapping[str, Any],
        parent_context: Context | None,
        out: dict[str, Any],
    ) -> None: ...


class StartStageSpanProcessor(SpanProcessor):
    """Runs ``stampers`` in order on every started span. Never raises into the app."""

    def __init__(self, stampers: Sequence[SpanStamper]) -> None:
        self._stampers = tuple(stampers)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        out: dict[str, Any] = {}
        own = span.attributes or {}
        for stamper in self._stampers:
            try:
                stamper.stamp(span, own, parent_context, out)
            except Exception as exc:
                _guard.report(f"{stamper.name} stamper", exc)
        if out:
            try:
                span.set_attributes(out)
            except Exception as exc:
                _guard.report("start stage", exc)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
