"""Span processors (start stage) and span enrichers (export stage) producing DESIGN.md §3.

Start-stage processors run on the thread that starts a span and only copy a few attributes.
Work that needs the finished span (the SQL statement is set after start, the status at the end)
runs in :mod:`e2e_otel.processors.enrich`, on the export thread, because ended SDK spans are
immutable and the request thread must stay cheap.
"""

from __future__ import annotations

from e2e_otel.processors.enrich import EnrichingSpanExporter, SpanEnricher
from e2e_otel.processors.errors import ErrorCategoryEnricher
from e2e_otel.processors.fingerprint import FingerprintEnricher
from e2e_otel.processors.layer import LayerSpanProcessor
from e2e_otel.processors.redaction import RedactionEnricher
from e2e_otel.processors.workflow import WorkflowSpanProcessor

__all__ = [
    "EnrichingSpanExporter",
    "ErrorCategoryEnricher",
    "FingerprintEnricher",
    "LayerSpanProcessor",
    "RedactionEnricher",
    "SpanEnricher",
    "WorkflowSpanProcessor",
]
