"""The span processor (start stage) and span enrichers (export stage) that produce the span
contract of docs/attributes.md.

Only the workflow must be decided while a span is in flight (a child inherits it from its live
parent): :class:`WorkflowSpanProcessor` does that on the request thread with one attribute write.
Everything else — layer, fingerprint, error category, redaction — is a function of the finished
span and runs in :mod:`~e2e_otel.processors.enrich`, on the export thread, because ended SDK
spans are immutable and the request thread must stay cheap.
"""

from __future__ import annotations

from e2e_otel.processors.enrich import EnrichingSpanExporter, SpanDraft, SpanEnricher
from e2e_otel.processors.errors import ErrorCategoryEnricher
from e2e_otel.processors.fingerprint import FingerprintEnricher
from e2e_otel.processors.layer import LayerEnricher
from e2e_otel.processors.redaction import RedactionEnricher
from e2e_otel.processors.workflow import WorkflowSpanProcessor

__all__ = [
    "EnrichingSpanExporter",
    "ErrorCategoryEnricher",
    "FingerprintEnricher",
    "LayerEnricher",
    "RedactionEnricher",
    "SpanDraft",
    "SpanEnricher",
    "WorkflowSpanProcessor",
]
