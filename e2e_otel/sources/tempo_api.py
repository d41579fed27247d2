"""Tempo HTTP API answers decoded into typed records, each field checked
(:mod:`e2e_otel.sources.shapes`): a wrong shape is a :class:`~e2e_otel.sources.shapes.Malformed`
naming the field, never an AttributeError.

Shapes follow Tempo's API documentation (tests/fixtures/tempo/README.md lists the pages). Tempo
serialises with the protobuf JSON mapping: ``bytes`` ids are base64, 64-bit integers are
strings, and empty fields are left out (absent is empty or zero). Search results carry hex
trace ids without their leading zeros. Ids become the 32/16-char lowercase hex ids of our OTLP
file reader.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from e2e_otel.sources.models import AttributeValue, MetricSeries, TraceSummary
from e2e_otel.sources.otlp_values import attributes_of
from e2e_otel.sources.shapes import (
    MAX_NUMBER,
    MAX_UNIX_SECONDS,
    SNIPPET,
    Malformed,
    array,
    bounded,
    integer,
    number,
    obj,
    one_line,
    shown,
    string,
)

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
#: What the shared OTLP reader raises on an attribute of the wrong shape: MalformedSpan (a
#: ValueError), an intValue that is no integer, a doubleValue int past the float range, an
#: arrayValue nested past the recursion limit.
_ATTRIBUTE_ERRORS = (ValueError, OverflowError, RecursionError)


def hex_id(value: str, nbytes: int) -> str:
    """A trace (16 bytes) or span (8 bytes) id as lowercase hex, from hex (possibly without
    leading zeros, as search results print it) or from base64 (the protobuf JSON mapping).
    Raises ValueError when it is neither."""
    # Padded base64 of 8 or 16 bytes always ends in "=", so it is never all hex digits; and
    # it is shorter than the hex, so a longer value is neither (and not worth decoding).
    if len(value) <= nbytes * 2 and _HEX.match(value):
        return value.lower().rjust(nbytes * 2, "0")
    try:
        raw = base64.b64decode(value, validate=True) if len(value) <= nbytes * 2 else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != nbytes:
        raise Malformed(f"not a {nbytes}-byte id in hex or base64: {shown(value)}")
    return raw.hex()


def attributes(raw: Any, where: str) -> dict[str, AttributeValue]:
    """An OTLP attribute list (absent: none) as a dict."""
    try:
        return attributes_of(array(raw, where, optional=True))
    except Malformed:
        raise
    except _ATTRIBUTE_ERRORS as exc:
        reason = one_line(str(exc) or type(exc).__name__, SNIPPET // 2)
        raise Malformed(f"{where}: unreadable attribute: {reason}") from None


def search_traces(body: Any) -> list[TraceSummary]:
    """The traces of a ``/api/search`` answer (none matched: no ``traces`` field)."""
    traces = array(obj(body, "the answer").get("traces"), "traces", optional=True)
    return [summary(item, f"traces[{i}]") for i, item in enumerate(traces)]


def summary(item: Any, where: str) -> TraceSummary:
    """One search result with the attributes of its matched spans."""
    trace = obj(item, where)
    sets = trace.get("spanSets")
    if sets is None:  # Tempo before 2.2 sent one "spanSet"
        one = trace.get("spanSet")
        sets = [] if one is None else [one]
    spans: list[Mapping[str, AttributeValue]] = []
    for i, span_set in enumerate(array(sets, f"{where}.spanSets")):
        at = f"{where}.spanSets[{i}]"
        raw_spans = array(obj(span_set, at).get("spans"), f"{at}.spans", optional=True)
        for j, raw in enumerate(raw_spans):
            span = obj(raw, f"{at}.spans[{j}]")
            found = attributes(span.get("attributes"), f"{at}.spans[{j}].attributes")
            nanos = span.get("durationNanos")
            found["duration_ns"] = integer(nanos, f"{at}.spans[{j}].durationNanos", default=0)
            spans.append(found)
    duration = trace.get("durationMs")  # protobuf JSON leaves a zero out
    duration_ms = (
        0.0 if duration is None else bounded(duration, f"{where}.durationMs", 0, MAX_NUMBER)
    )
    return TraceSummary(
        trace_id=hex_id(string(trace.get("traceID"), f"{where}.traceID"), 16),
        root_service=string(trace.get("rootServiceName"), f"{where}.rootServiceName", default=""),
        root_name=string(trace.get("rootTraceName"), f"{where}.rootTraceName", default=""),
        start_ns=integer(trace.get("startTimeUnixNano"), f"{where}.startTimeUnixNano", default=0),
        duration_ms=duration_ms,
        spans=tuple(spans),
    )


def normalize_trace(document: Any) -> dict[str, Any]:
    """A Tempo trace (``batches`` or ``resourceSpans``, ``scopeSpans`` or the older
    ``instrumentationLibrarySpans``) as an OTLP JSON request with hex ids, every level the
    type the OTLP reader expects. Attributes and the spans' own fields are left to that
    reader, which skips a malformed entry or span and says why."""
    trace = obj(document, "the trace")
    key = "resourceSpans" if "resourceSpans" in trace else "batches"
    resource_spans = []
    for i, raw in enumerate(array(trace.get(key), key)):
        batch = obj(raw, f"{key}[{i}]")
        resource = obj(batch.get("resource"), f"{key}[{i}].resource", optional=True)
        scopes = batch.get("scopeSpans", batch.get("instrumentationLibrarySpans"))
        scope_spans = []
        raw_scopes = array(scopes, f"{key}[{i}].scopeSpans", optional=True)
        for j, raw_scope in enumerate(raw_scopes):
            where = f"{key}[{i}].scopeSpans[{j}]"
            scope = obj(raw_scope, where)
            library = scope.get("scope", scope.get("instrumentationLibrary"))
            spans = array(scope.get("spans"), f"{where}.spans", optional=True)
            scope_spans.append(
                {
                    "scope": obj(library, f"{where}.scope", optional=True),
                    "spans": [
                        _hex_span(span, f"{where}.spans[{k}]") for k, span in enumerate(spans)
                    ],
                }
            )
        resource_spans.append({"resource": resource, "scopeSpans": scope_spans})
    return {"resourceSpans": resource_spans}


def _hex_span(span: Any, where: str) -> dict[str, Any]:
    converted = dict(obj(span, where))
    for key in _ID_FIELDS:
        value = converted.get(key)
        if isinstance(value, str) and value:
            converted[key] = hex_id(value, 16 if key == "traceId" else 8)
    return converted


def metric_series(body: Any) -> list[MetricSeries]:
    """The series of a ``/api/metrics/query_range`` answer (TraceQL metrics)."""
    series = array(obj(body, "the answer").get("series"), "series", optional=True)
    return [_one_series(item, f"series[{i}]") for i, item in enumerate(series)]


def _one_series(item: Any, where: str) -> MetricSeries:
    found = obj(item, where)
    labels = attributes(found.get("labels"), f"{where}.labels")
    points = []
    for i, raw in enumerate(array(found.get("samples"), f"{where}.samples", optional=True)):
        at = f"{where}.samples[{i}]"
        sample = obj(raw, at)
        ms = bounded(sample.get("timestampMs"), f"{at}.timestampMs", 0, MAX_UNIX_SECONDS * 1000)
        value = sample.get("value")  # protobuf JSON leaves a zero out
        reading = 0.0 if value is None else number(value, f"{at}.value", special=True)
        points.append((ms / 1000, reading))
    text = {k: "" if v is None else str(v) for k, v in labels.items()}
    return MetricSeries(text, tuple(sorted(points)))
