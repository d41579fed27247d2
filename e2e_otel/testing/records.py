"""Finished SDK spans as the analyzers' typed records (:class:`SpanRecord`), so the assertions
read spans exactly as ``e2e-otel analyze`` reads an exported file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

from e2e_otel.sources.models import AttributeValue, SpanEvent, SpanRecord

_STATUS = {StatusCode.UNSET: "unset", StatusCode.OK: "ok", StatusCode.ERROR: "error"}


def record(span: ReadableSpan) -> SpanRecord:
    """``span`` as a :class:`SpanRecord` (ids as lowercase hex, kind and status lower case)."""
    context = span.context
    assert context is not None, f"span {span.name!r} has no context"
    parent = span.parent
    resource = span.resource.attributes if span.resource is not None else {}
    scope = span.instrumentation_scope
    return SpanRecord(
        trace_id=format_trace_id(context.trace_id),
        span_id=format_span_id(context.span_id),
        parent_span_id=format_span_id(parent.span_id) if parent is not None else None,
        name=span.name,
        kind=span.kind.name.lower(),
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        status=_STATUS[span.status.status_code],
        attributes=cast("dict[str, AttributeValue]", dict(span.attributes or {})),
        service_name=str(resource.get(SERVICE_NAME, "")),
        scope_name=scope.name if scope is not None else "",
        events=tuple(
            SpanEvent(
                e.name, e.timestamp, cast("dict[str, AttributeValue]", dict(e.attributes or {}))
            )
            for e in span.events
        ),
    )


def records(spans: Iterable[ReadableSpan]) -> tuple[SpanRecord, ...]:
    """Every span as a record, in start order (ties by span id: a stable order)."""
    return tuple(sorted((record(s) for s in spans), key=lambda r: (r.start_ns, r.span_id)))
