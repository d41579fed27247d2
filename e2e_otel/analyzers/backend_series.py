"""Series for the regression detector from the backends: Prometheus range results (p95 and
error ratio per endpoint and workflow, p95 per statement shape, with the requests behind each
point), or, without Prometheus, TraceQL metrics from Tempo (p95 only) where Tempo offers them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from e2e_otel import metrics as m
from e2e_otel.analyzers.backend_metrics import endpoint_of, is_statement
from e2e_otel.analyzers.models import Evidence, Series, SeriesMetric, SubjectKind
from e2e_otel.analyzers.series import subject_of
from e2e_otel.sources.models import MetricSeries
from e2e_otel.sources.prometheus import METHOD, SeriesGrid, SpanMetrics
from e2e_otel.sources.tempo import TempoClient

Points = dict[float, float]  # unix seconds -> value
_SERVER = '{ kind = server && span.e2e.layer != "frontend" }'


def _evidence(kind: SubjectKind, labels: Mapping[str, str]) -> Evidence:
    if kind == "route":
        service, method, route = endpoint_of(labels)
        return Evidence(service=service or None, method=method or None, route=route)
    if kind == "workflow":
        return Evidence(workflow=labels.get(m.WORKFLOW, ""))
    return Evidence(fingerprint_id=labels.get(m.FINGERPRINT_ID, ""))


def _series(
    kind: SubjectKind, metric: SeriesMetric, evidence: Evidence, points: Points, counts: Points
) -> Series | None:
    times = sorted(t for t, v in points.items() if math.isfinite(v) and v >= 0)
    if len(times) < 2:
        return None
    return Series(
        kind=kind,
        target=subject_of(evidence)[1],
        metric=metric,
        points=tuple((t, points[t]) for t in times),
        evidence=evidence,
        counts=tuple(round(counts.get(t, 0.0)) for t in times) if counts else (),
    )


def _key(evidence: Evidence) -> tuple[str | None, ...]:
    return (
        evidence.service,
        evidence.method,
        evidence.route,
        evidence.workflow,
        evidence.fingerprint_id,
    )


def _by_subject(
    kind: SubjectKind, series: Iterable[MetricSeries], status: bool = False, peak: bool = False
) -> dict[tuple[str | None, ...], tuple[Evidence, Points, Points]]:
    """(evidence, all, failed per point) of each subject, over the labels it does not name:
    counts are summed; with ``peak`` (percentiles, which do not add up) the largest is kept."""
    found: dict[tuple[str | None, ...], tuple[Evidence, Points, Points]] = {}
    for one in series:
        if kind == "fingerprint" and not is_statement(one.labels):
            continue
        evidence = _evidence(kind, one.labels)
        _, total, failed = found.setdefault(
            _key(evidence), (evidence, defaultdict(float), defaultdict(float))
        )
        error = status and one.labels.get(m.STATUS_CODE) == m.STATUS_ERROR
        for t, value in one.points:
            if not math.isfinite(value) or value < 0:  # not a measurement: see measured()
                continue
            total[t] = max(total[t], value) if peak and t in total else total[t] + value
            failed[t] += value if error else 0.0
    return found


def prometheus_series(metrics: SpanMetrics) -> list[Series]:
    """Every subject's series with at least two points: endpoints, workflows, then statement
    shapes; error-ratio series only for subjects that failed at least once."""
    result: list[Series | None] = []
    for kind, p95s, calls in (
        ("route", metrics.route_p95, metrics.route_calls),
        ("workflow", metrics.workflow_p95, metrics.workflow_calls),
        ("fingerprint", metrics.statement_p95, metrics.statement_series_calls),
    ):
        subject_kind: SubjectKind = kind  # type: ignore[assignment]
        totals = _by_subject(subject_kind, calls, status=True)
        for key, (evidence, p95, _) in _by_subject(subject_kind, p95s, peak=True).items():
            counts = totals[key][1] if key in totals else {}
            result.append(_series(subject_kind, "p95_ms", evidence, p95, counts))
        if subject_kind == "fingerprint":
            continue
        for evidence, total, failed in totals.values():
            if not any(round(v) for v in failed.values()):
                continue
            ratio = {t: failed[t] / n for t, n in total.items() if round(n)}
            result.append(_series(subject_kind, "error_ratio", evidence, ratio, total))
    return [series for series in result if series is not None]


def tempo_series(tempo: TempoClient, grid: SeriesGrid) -> list[Series] | None:
    """p95 per endpoint and per workflow from TraceQL metrics; None when Tempo does not offer
    them. TraceQL durations are seconds, the series are milliseconds."""
    seconds = max(int(grid.step.total_seconds()), 1)
    queries: tuple[tuple[SubjectKind, str], ...] = (
        (
            "route",
            "resource.service.name, span.http.route, span.http.request.method, span.http.method",
        ),
        ("workflow", "span.e2e.workflow.type"),
    )
    result: list[Series | None] = []
    for kind, by in queries:
        query = f"{_SERVER} | quantile_over_time(duration, .95) by ({by})"
        found = tempo.metrics_query_range(query, grid.start, grid.end, seconds)
        if found is None:
            return None
        for one in found:
            labels = one.labels
            prometheus_labels = {
                m.SERVICE: labels.get("resource.service.name", ""),
                m.HTTP_ROUTE: labels.get("span.http.route", ""),
                METHOD: labels.get("span.http.request.method")
                or labels.get("span.http.method", ""),
                m.WORKFLOW: labels.get("span.e2e.workflow.type", ""),
            }
            evidence = _evidence(kind, prometheus_labels)
            if not evidence.route and not evidence.workflow:
                continue  # spans without the attribute grouped together: no subject
            points = {t: v * 1000 for t, v in one.points}
            result.append(_series(kind, "p95_ms", evidence, points, {}))
    return [series for series in result if series is not None]
