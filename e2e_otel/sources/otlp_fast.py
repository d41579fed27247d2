"""The fast path of the OTLP JSON reader, for lines of the usual shape (used by the analyzer's
ingestion, which needs the ``analyzer`` extra for msgspec).

msgspec decodes each line straight into the typed structs below, which name only the fields
the dataset keeps and skip every other field without building it: about twice as fast as
decoding the whole line into dicts and reading them. Whatever is not the usual shape (invalid
JSON to msgspec, a field of another type, an attribute kind other than string, int, bool or
double, a span the general reader would skip) makes :func:`decode_line` return None for the
whole line, and the caller reads the line with :func:`.otlp_files.spans_of_line`. So the spans
of a line, its problems and their messages are always the general reader's.

Where the two decoders could disagree, the fast path gives up: msgspec refuses what ``json``
takes (NaN, lone surrogates, numbers out of a double's range, deep nesting, invalid UTF-8), an
attribute value must have exactly one field (``json`` reads the first of several), and integers
are range-checked here as the general reader checks them.
"""

from __future__ import annotations

from typing import Final

import msgspec
from msgspec import UNSET, Struct, UnsetType

from e2e_otel.attributes import SAMPLING_POLICY
from e2e_otel.sources.models import (
    AttributeValue,
    SampledSpanRecord,
    SamplingMark,
    SpanEvent,
    SpanFields,
    SpanRecord,
    sampling_mark,
)
from e2e_otel.sources.otlp_files import EARLIEST_NS
from e2e_otel.sources.otlp_values import SPAN_KINDS, STATUS_CODES

_INT64: Final = 1 << 63


class _Unusual(Exception):
    """Not the usual shape: the general reader decides."""


# The OTLP JSON shapes, only the fields read. ``gc=False``: the structs hold no cycles, and
# the collector need not track millions of short-lived objects.
class _Value(Struct, gc=False, forbid_unknown_fields=True):
    # UNSET, not None: an explicit null is another type, so msgspec refuses it.
    stringValue: str | UnsetType = UNSET  # the OTLP JSON field names
    intValue: int | str | UnsetType = UNSET
    boolValue: bool | UnsetType = UNSET
    doubleValue: int | float | str | UnsetType = UNSET


class _KeyValue(Struct, gc=False):
    key: str
    value: _Value


class _Event(Struct, gc=False):
    timeUnixNano: int | str = 0
    name: str = ""
    attributes: list[_KeyValue] | None = None


class _Status(Struct, gc=False):
    code: int = 0


class _Span(Struct, gc=False):
    traceId: str
    spanId: str
    startTimeUnixNano: int | str
    endTimeUnixNano: int | str
    parentSpanId: str | None = None
    name: str = ""
    kind: int = 0
    attributes: list[_KeyValue] | None = None
    status: _Status | None = None
    events: list[_Event] | None = None


class _Scope(Struct, gc=False):
    name: str = ""


class _ScopeSpans(Struct, gc=False):
    scope: _Scope | None = None
    spans: list[_Span] | None = None


class _Resource(Struct, gc=False):
    attributes: list[_KeyValue] | None = None


class _ResourceSpans(Struct, gc=False):
    resource: _Resource | None = None
    scopeSpans: list[_ScopeSpans] | None = None
    instrumentationLibrarySpans: msgspec.Raw | None = None  # kept undecoded: only its presence


class _Request(Struct, gc=False):
    resourceSpans: list[_ResourceSpans]


_DECODER: Final = msgspec.json.Decoder(_Request)


def decode_line(line: bytes | str, latest_ns: int) -> list[SpanRecord] | None:
    """The spans of one OTLP JSON line (one request), or None when the general reader must
    read it (see the module's docstring); spans ending after ``latest_ns`` are unusual."""
    spans = decode_fields(line, latest_ns)
    return None if spans is None else [record_of(fields) for fields in spans]


def record_of(fields: SpanFields) -> SpanRecord:
    """The record of a span's fields."""
    if fields[12] is None:
        return SpanRecord(*fields[:12])
    return SampledSpanRecord(*fields)


def decode_fields(line: bytes | str, latest_ns: int) -> list[SpanFields] | None:
    """:func:`decode_line` giving each span's fields rather than a record (the record, frozen,
    costs more to build than decoding the span)."""
    try:
        request = _DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeError, RecursionError):  # UnicodeError: str input too
        return None
    try:
        return _spans(request, latest_ns)
    except Exception:  # any surprise: the general reader reports it, exactly
        return None


def _spans(request: _Request, latest: int) -> list[SpanFields]:
    out: list[SpanFields] = []
    for entry in request.resourceSpans:
        resource = entry.resource
        attributes = _attributes(resource.attributes) if resource is not None else {}
        service = attributes.get("service.name")
        service_name = service if type(service) is str else "unknown_service"
        # One lookup per resource: only a sampling tier's output carries the mark.
        mark = sampling_mark(attributes) if SAMPLING_POLICY in attributes else None
        if entry.instrumentationLibrarySpans is not None:  # OTLP before 0.15: not usual
            raise _Unusual
        for scope_spans in entry.scopeSpans or ():
            scope = scope_spans.scope
            scope_name = scope.name if scope is not None else ""
            spans = scope_spans.spans
            if spans:
                out.extend([_span(raw, service_name, scope_name, latest, mark) for raw in spans])
    return out


def _span(
    raw: _Span, service_name: str, scope_name: str, latest: int, mark: SamplingMark | None
) -> SpanFields:
    trace_id, span_id, parent = raw.traceId, raw.spanId, raw.parentSpanId or None
    if not trace_id or not span_id:
        raise _Unusual
    # Ids in base64 (padded: "=" last), as protobuf's generic JSON mapping writes bytes, are
    # the general reader's.
    if trace_id[-1] == "=" or span_id[-1] == "=" or (parent is not None and parent[-1] == "="):
        raise _Unusual
    start, end = int(raw.startTimeUnixNano), int(raw.endTimeUnixNano)
    if not EARLIEST_NS <= start <= end <= latest:
        raise _Unusual
    status, events = raw.status, raw.events
    return (
        trace_id.lower(),
        span_id.lower(),
        parent.lower() if parent is not None else None,
        raw.name,
        SPAN_KINDS.get(raw.kind, "internal"),
        start,
        end,
        STATUS_CODES.get(status.code, "unset") if status is not None else "unset",
        _attributes(raw.attributes),
        service_name,
        scope_name,
        _events(events) if events else (),
        mark,
    )


def _attributes(raw: list[_KeyValue] | None) -> dict[str, AttributeValue]:
    result: dict[str, AttributeValue] = {}
    if raw is None:
        return result
    unset = UNSET
    for item in raw:
        value = item.value
        text = value.stringValue
        # Most attributes are strings, then ints: each settled by one test when no other
        # field is set (a value with several fields, or none, is for the general reader).
        # Tests joined by `and`, not chained (`a is b is c`): this function ~7 % faster.
        if text is not unset:
            if value.intValue is unset and value.boolValue is unset and value.doubleValue is unset:
                result[item.key] = text
                continue
            raise _Unusual
        number = value.intValue
        if number is not unset and value.boolValue is unset and value.doubleValue is unset:
            number = int(number)
            if -_INT64 <= number < _INT64:
                result[item.key] = number
                continue
            raise _Unusual
        result[item.key] = _other_value(value)
    return result


def _other_value(value: _Value) -> AttributeValue:
    """A value without a string field, and not an int alone: a bool or a double alone."""
    if value.intValue is not UNSET:
        raise _Unusual  # an int with a bool or a double
    if value.boolValue is not UNSET and value.doubleValue is UNSET:
        return value.boolValue
    if value.doubleValue is not UNSET and value.boolValue is UNSET:
        return float(value.doubleValue)
    raise _Unusual


def _events(raw: list[_Event]) -> tuple[SpanEvent, ...]:
    events = []
    for event in raw:
        at = int(event.timeUnixNano)
        if not 0 <= at < _INT64:
            raise _Unusual
        events.append(SpanEvent(event.name, at, _attributes(event.attributes)))
    return tuple(events)
