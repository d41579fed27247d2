"""Tempo as a source: TraceQL search, trace fetch by id, and TraceQL metrics.

Response shapes follow Tempo's HTTP API documentation (tests/fixtures/tempo/README.md lists the
pages). Tempo serialises traces with the protobuf JSON mapping, where ``bytes`` ids are base64;
search results carry hex trace ids without their leading zeros. Both become the 32/16-char
lowercase hex ids our OTLP file reader and dataset use, and a fetched trace goes through that
same reader (:func:`~e2e_otel.sources.otlp_files.spans_of_document`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from e2e_otel.sources.http import BackendClient, BackendError, JsonClient, Params
from e2e_otel.sources.models import (
    AttributeValue,
    InputProblem,
    MetricSeries,
    SpanRecord,
    TraceSummary,
)
from e2e_otel.sources.otlp_files import ProblemHandler, attributes_of, spans_of_document

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
# A 400 with one of these in its message means the server does not offer the API (TraceQL
# metrics need the metrics-generator's local blocks), not that our query is wrong.
_UNSUPPORTED = ("not supported", "not enabled", "unsupported", "local-blocks", "local blocks")


def hex_id(value: str, nbytes: int) -> str:
    """A trace (16 bytes) or span (8 bytes) id as lowercase hex, from hex (possibly without
    leading zeros, as search results print it) or from base64 (the protobuf JSON mapping).
    Raises ValueError when it is neither."""
    # Padded base64 of 8 or 16 bytes always ends in "=", so it is never all hex digits.
    if _HEX.match(value) and len(value) <= nbytes * 2:
        return value.lower().rjust(nbytes * 2, "0")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != nbytes:
        raise ValueError(f"not a {nbytes}-byte id in hex or base64: {value!r}")
    return raw.hex()


class TempoClient(BackendClient):
    """TraceQL search, trace by id (API v2, else v1) and TraceQL metrics against one Tempo."""

    NAME = "tempo"

    def __init__(self, http: JsonClient) -> None:
        super().__init__(http)
        self._v1_only = False

    def search(
        self, traceql: str, start: datetime, end: datetime, limit: int, spans_per_set: int = 3
    ) -> list[TraceSummary]:
        """``/api/search`` with a TraceQL query over [start, end]; the matched spans'
        attributes (``select(...)``) come back with each trace."""
        params: dict[str, str | int | float] = {
            "q": traceql,
            "start": int(start.timestamp()),
            "end": int(end.timestamp()) + 1,  # whole seconds: do not cut the last one off
            "limit": limit,
            "spss": spans_per_set,
        }
        body = self.http.get("/api/search", params)
        # Protobuf's JSON mapping leaves an empty repeated field out: no "traces", no match.
        traces = body.get("traces", []) if isinstance(body, dict) else None
        if not isinstance(traces, list):
            raise BackendError("tempo", self.url + "/api/search", "no traces list in the answer")
        found = []
        for item in traces:
            try:
                found.append(_summary(item))
            except (KeyError, TypeError, ValueError) as exc:
                raise BackendError(
                    "tempo", self.url + "/api/search", f"malformed search result: {exc}"
                ) from exc
        return found

    def trace(
        self,
        trace_id: str,
        report: ProblemHandler,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[SpanRecord]:
        """The spans of one trace, with hex ids. A trace that cannot be read (not found,
        partial, malformed) goes to ``report`` as an :class:`InputProblem` and yields what
        could be read; a failing backend raises :class:`BackendError`."""
        params: dict[str, str | int | float] = {}
        if start is not None and end is not None:
            params = {"start": int(start.timestamp()), "end": int(end.timestamp()) + 1}
        where = f"tempo trace {trace_id}"
        body = self._fetch(trace_id, params, report, where)
        if body is None:
            return []
        document = body.get("trace", body) if isinstance(body, dict) else None
        if isinstance(body, dict) and body.get("status") == "PARTIAL":
            message = body.get("message") or "Tempo returned a partial trace"
            report(InputProblem(where, 0, f"partial trace: {message}"))
        try:
            normalized = normalize_trace(document)
        except (KeyError, TypeError, ValueError) as exc:
            report(InputProblem(where, 0, f"malformed trace: {exc}"))
            return []
        return list(spans_of_document(normalized, where, 0, report))

    def _fetch(self, trace_id: str, params: Params, report: ProblemHandler, where: str) -> Any:
        paths = ["/api/traces/"] if self._v1_only else ["/api/v2/traces/", "/api/traces/"]
        for path in paths:
            try:
                body = self.http.get(path + trace_id, params)
            except BackendError as exc:
                if exc.status != 404:
                    raise
                continue  # v2: an older Tempo without that API, or the trace is missing
            # Found through v1 after v2 said 404: this Tempo has no v2 API, skip it from now on.
            self._v1_only = self._v1_only or path != paths[0]
            return body
        report(InputProblem(where, 0, "trace not found"))
        return None

    def metrics_query_range(
        self, traceql: str, start: datetime, end: datetime, step_seconds: int
    ) -> list[MetricSeries] | None:
        """``/api/metrics/query_range`` (TraceQL metrics); None when this Tempo does not
        support it (404, or a 400 saying so) rather than an error."""
        params: dict[str, str | int | float] = {
            "q": traceql,
            "start": int(start.timestamp()),
            "end": int(end.timestamp()),
            "step": f"{step_seconds}s",
        }
        try:
            body = self.http.get("/api/metrics/query_range", params)
        except BackendError as exc:
            unsupported = exc.status == 404 or (
                exc.status == 400 and any(word in exc.reason.lower() for word in _UNSUPPORTED)
            )
            if unsupported:
                return None
            raise
        try:
            return [_metric_series(item) for item in body.get("series") or []]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            url = self.url + "/api/metrics/query_range"
            raise BackendError("tempo", url, f"malformed metrics answer: {exc}") from exc


def normalize_trace(document: Any) -> dict[str, Any]:
    """A Tempo trace (``batches`` or ``resourceSpans``, ``scopeSpans`` or the older
    ``instrumentationLibrarySpans``) as an OTLP JSON request with hex ids."""
    if not isinstance(document, dict):
        raise TypeError("the trace is not an object")
    batches = document.get("resourceSpans", document.get("batches"))
    if not isinstance(batches, list):
        raise KeyError("resourceSpans")
    resource_spans = []
    for batch in batches:
        scopes = batch.get("scopeSpans", batch.get("instrumentationLibrarySpans")) or []
        resource_spans.append(
            {
                "resource": batch.get("resource") or {},
                "scopeSpans": [
                    {
                        "scope": scope.get("scope", scope.get("instrumentationLibrary")) or {},
                        "spans": [_hex_span(span) for span in scope.get("spans") or []],
                    }
                    for scope in scopes
                ],
            }
        )
    return {"resourceSpans": resource_spans}


def _hex_span(span: dict[str, Any]) -> dict[str, Any]:
    converted = dict(span)
    for key in _ID_FIELDS:
        value = span.get(key)
        if isinstance(value, str) and value:
            converted[key] = hex_id(value, 16 if key == "traceId" else 8)
    return converted


def _summary(item: dict[str, Any]) -> TraceSummary:
    sets = item.get("spanSets")
    if not isinstance(sets, list):  # Tempo before 2.2 sent one "spanSet"
        sets = [item["spanSet"]] if isinstance(item.get("spanSet"), dict) else []
    spans: list[Mapping[str, AttributeValue]] = []
    for span_set in sets:
        for span in span_set.get("spans") or []:
            attributes = attributes_of(span.get("attributes"))
            attributes["duration_ns"] = int(span.get("durationNanos", 0))
            spans.append(attributes)
    return TraceSummary(
        trace_id=hex_id(str(item["traceID"]), 16),
        root_service=str(item.get("rootServiceName", "")),
        root_name=str(item.get("rootTraceName", "")),
        start_ns=int(item.get("startTimeUnixNano", 0)),
        duration_ms=float(item.get("durationMs", 0)),
        spans=tuple(spans),
    )


def _metric_series(item: dict[str, Any]) -> MetricSeries:
    labels = {k: "" if v is None else str(v) for k, v in attributes_of(item["labels"]).items()}
    # Protobuf JSON leaves zero values out: a sample without "value" is 0.
    points = tuple(
        (int(sample["timestampMs"]) / 1000, float(sample.get("value", 0.0)))
        for sample in item.get("samples") or []
    )
    return MetricSeries(labels, tuple(sorted(points)))
