"""The fast path of the OTLP JSON reader, for lines of the usual shape (used by the analyzer's
ingestion, which needs the ``analyzer`` extra for orjson).

orjson decodes a line 1.5-2 times as fast as ``json`` and the spans are then decoded inline,
with exact type checks instead of the general reader's conversions. Whatever is not the usual
shape (invalid JSON to orjson, a field of another type, an attribute kind other than string,
int, bool or double, a span the general reader would skip) makes :func:`decode_line` return
None for the whole line, and the caller reads the line with :func:`.otlp_files.spans_of_line`.
So the spans of a line, its problems and their messages are always the general reader's.

Where the two decoders disagree, the fast path gives up: orjson refuses what ``json`` takes
(NaN, lone surrogates, invalid UTF-8, deep nesting) and decodes an integer outside the 64-bit
range as a float; a float is accepted here only as a double attribute within that range, where
both decoders give the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson

from e2e_otel.attributes import SAMPLING_POLICY
from e2e_otel.sources.models import AttributeValue, SpanEvent, SpanRecord, span_maker
from e2e_otel.sources.otlp_files import EARLIEST_NS
from e2e_otel.sources.otlp_values import SPAN_KINDS, STATUS_CODES

_INT64: Final = 1 << 63
_MISSING: Final = object()


class _Unusual(Exception):
    """Not the usual shape: the general reader decides."""


def decode_line(line: bytes | str, latest_ns: int) -> list[SpanRecord] | None:
    """The spans of one OTLP JSON line (one request), or None when the general reader must
    read it (see the module's docstring); spans ending after ``latest_ns`` are unusual."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    try:
        return _spans(document, latest_ns)
    except Exception:  # any surprise: the general reader reports it, exactly
        return None


def _spans(document: Any, latest: int) -> list[SpanRecord]:
    if type(document) is not dict:
        raise _Unusual
    entries = document.get("resourceSpans")
    if type(entries) is not list:
        raise _Unusual
    out: list[SpanRecord] = []
    for entry in entries:
        if type(entry) is not dict:
            raise _Unusual
        resource = entry.get("resource")
        if resource is not None and type(resource) is not dict:
            raise _Unusual
        attributes = _attributes(resource.get("attributes") if resource else None)
        service = attributes.get("service.name")
        service_name = service if type(service) is str else "unknown_service"
        # One lookup per resource: only a sampling tier's output carries the mark.
        make = span_maker(attributes) if SAMPLING_POLICY in attributes else SpanRecord
        scopes = entry.get("scopeSpans")
        if scopes is None:
            continue
        if type(scopes) is not list:
            raise _Unusual
        for scope_spans in scopes:
            if type(scope_spans) is not dict:
                raise _Unusual
            scope = scope_spans.get("scope")
            if scope is not None and type(scope) is not dict:
                raise _Unusual
            name = scope.get("name") if scope else None
            scope_name = name if type(name) is str else ""
            spans = scope_spans.get("spans")
            if spans is None:
                continue
            if type(spans) is not list:
                raise _Unusual
            out.extend(_span(raw, service_name, scope_name, latest, make) for raw in spans)
    return out


def _span(
    raw: Any, service_name: str, scope_name: str, latest: int, make: Callable[..., SpanRecord]
) -> SpanRecord:
    if type(raw) is not dict:
        raise _Unusual
    get = raw.get
    trace_id, span_id, parent = get("traceId"), get("spanId"), get("parentSpanId") or None
    if type(trace_id) is not str or type(span_id) is not str or not trace_id or not span_id:
        raise _Unusual
    if parent is not None and type(parent) is not str:
        raise _Unusual
    start, end = _nanos(get("startTimeUnixNano")), _nanos(get("endTimeUnixNano"))
    if not EARLIEST_NS <= start <= end <= latest:
        raise _Unusual
    name = get("name", "")
    kind = get("kind", 0)
    status = get("status") or {}
    code = status.get("code", 0) if type(status) is dict else 0
    if type(name) is not str or type(kind) is not int or type(code) is not int:
        raise _Unusual  # the general reader converts names, and reads enum names
    events = get("events")
    return make(
        trace_id=trace_id.lower(),
        span_id=span_id.lower(),
        parent_span_id=parent.lower() if parent is not None else None,
        name=name,
        kind=SPAN_KINDS.get(kind, "internal"),
        start_ns=start,
        end_ns=end,
        status=STATUS_CODES.get(code, "unset"),
        attributes=_attributes(get("attributes")),
        service_name=service_name,
        scope_name=scope_name,
        events=_events(events) if events else (),
    )


def _nanos(value: Any) -> int:
    if type(value) is str:
        return int(value)
    if type(value) is int:
        return value
    raise _Unusual  # a float may be an integer orjson could not hold


def _attributes(raw: Any) -> dict[str, AttributeValue]:
    result: dict[str, AttributeValue] = {}
    if raw is None:
        return result
    if type(raw) is not list:
        raise _Unusual
    for item in raw:
        if type(item) is not dict:
            continue  # ignored by the general reader too
        key = item.get("key")
        if type(key) is not str:
            continue
        value = item.get("value")
        if type(value) is not dict or len(value) != 1:
            raise _Unusual
        inner = value.get("stringValue", _MISSING)
        if type(inner) is str:
            result[key] = inner
            continue
        result[key] = _other_value(value)
    return result


def _other_value(value: dict[str, Any]) -> AttributeValue:
    inner = value.get("intValue", _MISSING)
    if type(inner) is str or type(inner) is int:
        number = int(inner)
        if -_INT64 <= number < _INT64:
            return number
        raise _Unusual
    inner = value.get("boolValue", _MISSING)
    if type(inner) is bool:
        return inner
    inner = value.get("doubleValue", _MISSING)
    if type(inner) is str or type(inner) is int:
        return float(inner)
    if type(inner) is float and -_INT64 <= inner < _INT64:
        return inner
    raise _Unusual


def _events(raw: Any) -> tuple[SpanEvent, ...]:
    if type(raw) is not list:
        raise _Unusual
    events = []
    for event in raw:
        if type(event) is not dict:
            raise _Unusual
        at = _nanos(event.get("timeUnixNano", 0))
        name = event.get("name", "")
        if not 0 <= at < _INT64 or type(name) is not str:
            raise _Unusual
        events.append(SpanEvent(name, at, _attributes(event.get("attributes"))))
    return tuple(events)
