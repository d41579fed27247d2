"""Base for processors that only act when a span starts."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor


class StartStageProcessor(SpanProcessor):
    """A span processor whose work is all in ``on_start``: nothing to flush or release."""

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
