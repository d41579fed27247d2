"""Span stampers (start stage) and span enrichers (export stage) producing DESIGN.md §3.

The start stage runs on the thread that starts a span and only copies a few attributes
(:mod:`~e2e_otel.processors.start`). Work that needs the finished span (the SQL statement is
set after start, the status at the end) runs in :mod:`~e2e_otel.processors.enrich`, on the
export thread, because ended SDK spans are immutable and the request thread must stay cheap.
"""

from __future__ import annotations

from e2e_otel.processors.enrich import EnrichingSpanExporter, SpanDraft, SpanEnricher
from e2e_otel.processors.errors import ErrorCategoryEnricher
from e2e_otel.processors.fingerprint import FingerprintEnricher
from e2e_otel.processors.layer import LayerStamper
from e2e_otel.processors.redaction import RedactionEnricher
from e2e_otel.processors.start import SpanStamper, StartStageSpanProcessor
from e2e_otel.processors.workflow import WorkflowStamper

__all__ = [
    "EnrichingSpanExporter",
    "ErrorCategoryEnricher",
    "FingerprintEnricher",
    "LayerStamper",
    "RedactionEnricher",
    "SpanDraft",
    "SpanEnricher",
    "SpanStamper",
    "StartStageSpanProcessor",
    "WorkflowStamper",
]
