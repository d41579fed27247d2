"""Prometheus as a source: typed instant and range queries, and :func:`fetch_metrics`, the fixed
set of PromQL queries over the span metrics that backend analysis reads.

Every query aggregates with ``sum by (...)`` on the server, so the number of HTTP requests is
the same for 2 endpoints or 2,000: :data:`QUERY_COUNT`. Metric and label names come from
:mod:`e2e_otel.metrics` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from e2e_otel import metrics as m
from e2e_otel.sources import prometheus_api as api
from e2e_otel.sources.backend import BackendClient
from e2e_otel.sources.http import JsonClient
from e2e_otel.sources.models import MetricSample, MetricSeries
from e2e_otel.sources.shapes import Malformed

#: Label our queries add: the request method from ``http_request_method`` (stable semantic
#: conventions), else ``http_method`` (old ones), so both conventions make one endpoint.
METHOD = "e2e_method"
#: Label our queries add to tell the quantiles of one combined query apart ("0.5", "0.95" ...).
QUANTILE = "quantile"

_API = f'{m.SPAN_KIND}="{m.KIND_SERVER}", {m.LAYER}!="{m.LAYER_FRONTEND}"'
_DB = f'{m.LAYER}="{m.LAYER_DATABASE}", {m.FINGERPRINT_ID}!=""'
_OK = f'{m.STATUS_CODE}!="{m.STATUS_ERROR}"'
ENDPOINT = (m.SERVICE, METHOD, m.HTTP_ROUTE, m.SPAN_NAME)
STATEMENT = (m.SERVICE, m.FINGERPRINT_ID, m.WORKFLOW, m.ERROR_CATEGORY)
T = TypeVar("T")


class PrometheusClient(BackendClient):
    """Instant and range PromQL queries against one Prometheus (or Mimir, Thanos ...).

    ``warnings`` collects, once each, what the server warned about in successful answers (a
    partial response from Thanos or Mimir, a malformed histogram ...): the data may be
    incomplete, so the analysis says so. An answer without the documented shape is a
    :class:`BackendError` naming the field (:mod:`e2e_otel.sources.prometheus_api`).
    """

    NAME = "prometheus"

    def __init__(self, http: JsonClient) -> None:
        super().__init__(http)
        self.warnings: list[str] = []

    def query(self, promql: str, at: datetime) -> list[MetricSample]:
        """``/api/v1/query`` at ``at``; the result must be a vector."""
        path = "/api/v1/query"
        result = self._result(path, {"query": promql, "time": f"{at.timestamp():.3f}"}, "vector")
        return self._read(path, api.sample, result)

    def query_range(
        self, promql: str, start: datetime, end: datetime, step: timedelta
    ) -> list[MetricSeries]:
        """``/api/v1/query_range`` over [start, end]; the result must be a matrix."""
        params = {
            "query": promql,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step.total_seconds():g}",
        }
        path = "/api/v1/query_range"
        return self._read(path, api.series, self._result(path, params, "matrix"))

    def _result(self, path: str, params: dict[str, str], kind: str) -> list[Any]:
        body = self.http.get(path, params)
        try:
            answer = api.decode(body, kind)
        except api.QueryFailed as exc:
            raise self.http.malformed(path, f"query failed: {exc.error}") from None
        except Malformed as exc:
            raise self.http.malformed(path, f"malformed answer: {exc}") from None
        for warning in answer.warnings:
            text = f"prometheus warned: {self.http.told(warning)}"
            if text not in self.warnings and len(self.warnings) < api.MAX_WARNINGS:
                self.warnings.append(text)
        return answer.result

    def _read(self, path: str, read: Callable[[Any, str], T], result: list[Any]) -> list[T]:
        try:
            return [read(item, f"data.result[{i}]") for i, item in enumerate(result)]
        except Malformed as exc:
            raise self.http.malformed(path, f"malformed answer: {exc}") from None


@dataclass(frozen=True)
class SpanMetrics:
    """What :func:`fetch_metrics` read, query by query (labels are those of the ``by``
    clauses below; ``METHOD`` and ``QUANTILE`` are added by the queries).

    Instant vectors over the window: ``endpoint_calls`` (server spans by endpoint, workflow and
    status code), ``endpoint_quantiles`` (p50/p95/p99 by endpoint), ``service_quantiles`` (p95
    by service), ``workflow_quantiles`` (p50/p95/p99 by workflow), ``service_buckets`` /
    ``workflow_buckets`` (cumulative bucket counts of the requests that did not fail, by ``le``),
    ``statement_calls`` / ``statement_ms`` (database spans and their summed milliseconds by
    service, fingerprint id, workflow and error category), ``statement_quantiles`` (p50/p95 by
    fingerprint id), ``errors`` (server spans with an error category by endpoint, workflow and
    category). Range series over baseline + window, one point per ``step``: calls by status
    code and p95 per endpoint (``route_*``), per workflow and per fingerprint id.
    """

    start: datetime
    end: datetime
    step: timedelta
    endpoint_calls: list[MetricSample]
    endpoint_quantiles: list[MetricSample]
    service_quantiles: list[MetricSample]
    workflow_quantiles: list[MetricSample]
    service_buckets: list[MetricSample]
    workflow_buckets: list[MetricSample]
    statement_calls: list[MetricSample]
    statement_ms: list[MetricSample]
    statement_quantiles: list[MetricSample]
    errors: list[MetricSample]
    route_calls: list[MetricSeries]
    route_p95: list[MetricSeries]
    workflow_calls: list[MetricSeries]
    workflow_p95: list[MetricSeries]
    statement_series_calls: list[MetricSeries]
    statement_p95: list[MetricSeries]

    def empty(self) -> bool:
        """Whether no query found any series: no span metrics at all over baseline + window."""
        return not any(
            getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), list)
        )


def _seconds(duration: timedelta) -> str:
    return f"{max(math.ceil(duration.total_seconds()), 1)}s"


def _sum(by: Sequence[str], expr: str) -> str:
    return f"sum by ({', '.join(by)}) ({expr})"


def _increase(metric: str, selector: str, window: str) -> str:
    """``increase`` with the request method of either convention in :data:`METHOD`."""
    expr = f"increase({metric}{{{selector}}}[{window}])"
    for source in (m.HTTP_METHOD, m.HTTP_REQUEST_METHOD):  # the stable one, applied last, wins
        expr = f'label_replace({expr}, "{METHOD}", "$1", "{source}", "(.+)")'
    return expr


def _quantiles(qs: Sequence[float], by: Sequence[str], selector: str, window: str) -> str:
    """One query for several quantiles, told apart by the :data:`QUANTILE` label."""
    buckets = _sum((m.LE, *by), _increase(m.SPAN_DURATION_BUCKET, selector, window))
    return " or ".join(
        f'label_replace(histogram_quantile({q:g}, {buckets}), "{QUANTILE}", "{q:g}", "", "")'
        for q in qs
    )


def instant_queries(window: timedelta) -> dict[str, str]:
    """The instant PromQL of :func:`fetch_metrics`, by :class:`SpanMetrics` field."""
    w = _seconds(window)
    endpoint_workflow = (*ENDPOINT, m.WORKFLOW)
    with_workflow = f'{_API}, {m.WORKFLOW}!=""'
    return {
        "endpoint_calls": _sum(
            (*endpoint_workflow, m.STATUS_CODE), _increase(m.SPAN_CALLS, _API, w)
        ),
        "endpoint_quantiles": _quantiles((0.5, 0.95, 0.99), ENDPOINT, _API, w),
        "service_quantiles": _quantiles((0.95,), (m.SERVICE,), _API, w),
        "workflow_quantiles": _quantiles((0.5, 0.95, 0.99), (m.WORKFLOW,), with_workflow, w),
        "service_buckets": _sum(
            (m.SERVICE, m.LE), _increase(m.SPAN_DURATION_BUCKET, f"{_API}, {_OK}", w)
        ),
        "workflow_buckets": _sum(
            (m.WORKFLOW, m.LE), _increase(m.SPAN_DURATION_BUCKET, f"{with_workflow}, {_OK}", w)
        ),
        "statement_calls": _sum(STATEMENT, _increase(m.SPAN_CALLS, _DB, w)),
        "statement_ms": _sum(STATEMENT, _increase(m.SPAN_DURATION_SUM, _DB, w)),
        "statement_quantiles": _quantiles((0.5, 0.95), (m.FINGERPRINT_ID,), _DB, w),
        "errors": _sum(
            (*endpoint_workflow, m.ERROR_CATEGORY),
            _increase(m.SPAN_CALLS, f'{_API}, {m.ERROR_CATEGORY}!=""', w),
        ),
    }


def range_queries(step: timedelta) -> dict[str, str]:
    """The range PromQL of :func:`fetch_metrics` (each point covers one ``step``)."""
    s = _seconds(step)
    route = (m.SERVICE, METHOD, m.HTTP_ROUTE, m.SPAN_NAME)
    with_workflow = f'{_API}, {m.WORKFLOW}!=""'
    return {
        "route_calls": _sum((*route, m.STATUS_CODE), _increase(m.SPAN_CALLS, _API, s)),
        "route_p95": _quantiles((0.95,), route, _API, s),
        "workflow_calls": _sum(
            (m.WORKFLOW, m.STATUS_CODE), _increase(m.SPAN_CALLS, with_workflow, s)
        ),
        "workflow_p95": _quantiles((0.95,), (m.WORKFLOW,), with_workflow, s),
        "statement_series_calls": _sum(
            (m.SERVICE, m.FINGERPRINT_ID), _increase(m.SPAN_CALLS, _DB, s)
        ),
        "statement_p95": _quantiles((0.95,), (m.FINGERPRINT_ID,), _DB, s),
    }


#: HTTP requests :func:`fetch_metrics` makes (without retries), whatever the data.
QUERY_COUNT = len(instant_queries(timedelta(minutes=1))) + len(range_queries(timedelta(1)))


@dataclass(frozen=True)
class SeriesGrid:
    """Where the points of the range queries fall: every ``step`` from ``start`` to ``end``."""

    start: datetime
    end: datetime
    step: timedelta


MIN_STEP = timedelta(minutes=1)


def series_grid(
    now: datetime,
    window: timedelta,
    baseline: timedelta,
    *,
    points_in_window: int = 10,
    max_points: int = 500,
) -> SeriesGrid:
    """The grid of the regression series over baseline + window, ending at ``now``.

    The step puts ``points_in_window`` points in the window (twice the detector's minimum
    segment, so a change in the middle of the window is already testable), and is at least
    :data:`MIN_STEP` (an ``increase`` over less than a few scrapes is noise). The range reaches
    back over the baseline, but no further than ``max_points`` steps: the detector would
    average older points together anyway. Start and end are whole multiples of the step, so
    successive runs read the same points and find the same change points; the step in
    progress is left for the next run.
    """
    step_s = max(MIN_STEP.total_seconds(), window.total_seconds() / max(points_in_window, 1))
    step_s = float(math.ceil(step_s))
    end_s = math.floor(now.timestamp() / step_s) * step_s
    span_s = min((window + baseline).total_seconds(), step_s * max(max_points - 1, 1))
    start_s = end_s - math.floor(span_s / step_s) * step_s
    tz = now.tzinfo
    return SeriesGrid(
        datetime.fromtimestamp(start_s, tz),
        datetime.fromtimestamp(end_s, tz),
        timedelta(seconds=step_s),
    )


def fetch_metrics(
    client: PrometheusClient,
    *,
    now: datetime,
    window: timedelta,
    grid: SeriesGrid,
) -> SpanMetrics:
    """Run the fixed query set: instant queries over [now - window, now], range queries on
    ``grid`` (see :func:`series_grid`). Raises :class:`BackendError` when Prometheus fails."""
    instant = {name: client.query(q, now) for name, q in instant_queries(window).items()}
    ranges = {
        name: client.query_range(q, grid.start, grid.end, grid.step)
        for name, q in range_queries(grid.step).items()
    }
    return SpanMetrics(
        start=now - window,
        end=now,
        step=grid.step,
        endpoint_calls=instant["endpoint_calls"],
        endpoint_quantiles=instant["endpoint_quantiles"],
        service_quantiles=instant["service_quantiles"],
        workflow_quantiles=instant["workflow_quantiles"],
        service_buckets=instant["service_buckets"],
        workflow_buckets=instant["workflow_buckets"],
        statement_calls=instant["statement_calls"],
        statement_ms=instant["statement_ms"],
        statement_quantiles=instant["statement_quantiles"],
        errors=instant["errors"],
        route_calls=ranges["route_calls"],
        route_p95=ranges["route_p95"],
        workflow_calls=ranges["workflow_calls"],
        workflow_p95=ranges["workflow_p95"],
        statement_series_calls=ranges["statement_series_calls"],
        statement_p95=ranges["statement_p95"],
    )
