"""Tempo as a source: TraceQL search, trace fetch by id, and TraceQL metrics.

Answers are decoded and checked field by field in :mod:`e2e_otel.sources.tempo_api` (ids
become the 32/16-char lowercase hex ids our OTLP file reader and dataset use), and a fetched
trace goes through that same reader (:func:`~e2e_otel.sources.otlp_files.spans_of_document`).
A search or metrics answer of the wrong shape is a :class:`BackendError`; a trace of the wrong
shape is a problem of that trace only (the report is incomplete, the other traces are read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from e2e_otel.sources import tempo_api as api
from e2e_otel.sources.backend import BackendClient
from e2e_otel.sources.http import BackendError, JsonClient, Params
from e2e_otel.sources.models import InputProblem, MetricSeries, SpanRecord, TraceSummary
from e2e_otel.sources.otlp_files import ProblemHandler, spans_of_document
from e2e_otel.sources.shapes import SNIPPET, Malformed

# A 400 with one of these in its message means the server does not offer the API (TraceQL
# metrics need the metrics-generator's local blocks), not that our query is wrong.
_UNSUPPORTED = ("not supported", "not enabled", "unsupported", "local-blocks", "local blocks")


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
        try:
            return api.search_traces(body)
        except Malformed as exc:
            raise self.http.malformed("/api/search", f"malformed answer: {exc}") from None

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
        document = body.get("trace", body) if isinstance(body, dict) else body
        if isinstance(body, dict) and body.get("status") == "PARTIAL":
            message = body.get("message")
            if not isinstance(message, str) or not message:
                message = "Tempo returned a partial trace"
            report(InputProblem(where, 0, f"partial trace: {self.http.told(message)}"))
        try:
            normalized = api.normalize_trace(document)
        except Malformed as exc:
            reason = self.http.told(str(exc), 2 * SNIPPET)
            report(InputProblem(where, 0, f"malformed trace: {reason}"))
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
            return api.metric_series(body)
        except Malformed as exc:
            path = "/api/metrics/query_range"
            raise self.http.malformed(path, f"malformed answer: {exc}") from None
