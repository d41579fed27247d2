"""``e2e.error.category`` for failed spans exported without it (by another distro or the
plain OpenTelemetry SDKs), by the rules the :mod:`e2e_otel.processors.errors` enricher applies
to ours: the recorded exception, then the HTTP status, then the span's role."""

from __future__ import annotations

from opentelemetry.trace import SpanKind

from e2e_otel import attributes as attr
from e2e_otel.processors.errors import categorize, exception_texts
from e2e_otel.sources.models import SpanEvent

_KINDS = {
    "server": SpanKind.SERVER,
    "consumer": SpanKind.CONSUMER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
}


def fallback_category(events: tuple[SpanEvent, ...], kind: str, code: int, error: bool) -> str:
    """The category of a span of ``kind`` that failed (status ERROR, or HTTP ``code`` >= 400)
    without one; a database span (``kind`` client, ``code`` 0) gets ``db_query`` unless its
    exception says more. Empty when nothing marks it failed (a 3xx, say)."""
    database = kind == "client" and not code
    category = categorize(
        exception_texts(events),
        code or None,
        _KINDS.get(kind, SpanKind.INTERNAL),
        attr.LAYER_DATABASE if database else None,
        error,
    )
    return category or ""
