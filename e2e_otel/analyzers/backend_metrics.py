"""The whole population from Prometheus' span metrics: health, latency thresholds, slow
statements and error hotspots, with the rule names and finding ids of the file analyzers, so a
finding keeps its id whichever source found it.

Approximations, all from the collector's fixed histogram buckets (collector-config/otelcol.yaml,
1 ms .. 10 s): percentiles are ``histogram_quantile`` interpolations within a bucket, and the
health apdex counts a request as satisfied/tolerating when it falls in a bucket whose upper bound
is the largest bound <= the warning/critical threshold (exact when the threshold is a bound, as
every default is). Span metrics carry no maximum, no statement text and no route on database
spans, so those cells stay empty; a failing statement is named only when one fingerprint failed
with that category in that service and workflow (or the traces name it).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from e2e_otel import metrics as m
from e2e_otel.analyzers import health, thresholds
from e2e_otel.analyzers.common import Endpoint, dominant, endpoint_title, pct
from e2e_otel.analyzers.judgements import (
    LatencySummary,
    latency_threshold,
    level,
    one_endpoint_workflow,
    slow_subject,
)
from e2e_otel.analyzers.models import AnalyzerResult, Recommendation, Section
from e2e_otel.analyzers.registry import THRESHOLDS
from e2e_otel.config import Config
from e2e_otel.sources.models import MetricSample
from e2e_otel.sources.prometheus import METHOD, QUANTILE, SpanMetrics

#: ("endpoint", service, method, route), ("service", name), ("workflow", name) or
#: ("fingerprint", id): what a figure is about.
Subject = tuple[str, ...]
#: (category, service, method, route) -> the failing statement's fingerprint id
FailingStatements = Mapping[tuple[str, str, str, str], str]
_LABEL = {"service": m.SERVICE, "workflow": m.WORKFLOW, "fingerprint": m.FINGERPRINT_ID}
_FINGERPRINT_ID = re.compile("[0-9a-f]{16}")


def endpoint_of(labels: Mapping[str, str]) -> Endpoint:
    """(service, method, route) as the file analyzers key an endpoint: the route, else the span
    name (a server span without ``http.route``)."""
    route = labels.get(m.HTTP_ROUTE) or labels.get(m.SPAN_NAME, "")
    return labels.get(m.SERVICE, ""), labels.get(METHOD, ""), route


def subject_of(kind: str, labels: Mapping[str, str]) -> Subject:
    if kind == "endpoint":
        return (kind, *endpoint_of(labels))
    return kind, labels.get(_LABEL[kind], "")


def measured(samples: Iterable[MetricSample]) -> Iterable[MetricSample]:
    """The samples with a measurement: a quantile over no requests is NaN, and what these
    queries return (counts, durations) is never negative or infinite from a working
    Prometheus, so such a sample is left out rather than summed."""
    return (s for s in samples if math.isfinite(s.value) and s.value >= 0)


def is_statement(labels: Mapping[str, str]) -> bool:
    """Whether the series is about one of our statement shapes: its fingerprint id is 16
    lowercase hex characters, as the fingerprinting writes it (anything else is not ours)."""
    return _FINGERPRINT_ID.fullmatch(labels.get(m.FINGERPRINT_ID, "")) is not None


def statement_samples(samples: Iterable[MetricSample]) -> Iterable[MetricSample]:
    """The measured samples of our statement shapes."""
    return (s for s in measured(samples) if is_statement(s.labels))


def quantiles(samples: Iterable[MetricSample], kind: str) -> dict[Subject, dict[str, float]]:
    """{subject: {"0.95": ms, ...}} of a combined quantile query."""
    result: dict[Subject, dict[str, float]] = defaultdict(dict)
    for sample in measured(samples):
        quantile = sample.labels.get(QUANTILE, "")
        result[subject_of(kind, sample.labels)][quantile] = round(sample.value, 3)
    return dict(result)


def cell(value: float | None) -> float | str:
    """A table cell: the number, or empty when the source does not know it."""
    return "" if value is None else value


class Totals:
    """Requests and failures per endpoint, service and workflow, from the calls counter."""

    def __init__(self, metrics: SpanMetrics) -> None:
        self.calls: dict[Subject, float] = defaultdict(float)
        self.failed: dict[Subject, float] = defaultdict(float)
        self.workflows: dict[Subject, Counter[str]] = defaultdict(Counter)
        for sample in measured(metrics.endpoint_calls):
            endpoint = subject_of("endpoint", sample.labels)
            workflow = sample.labels.get(m.WORKFLOW, "")
            failed = sample.labels.get(m.STATUS_CODE) == m.STATUS_ERROR
            subjects = [endpoint, subject_of("service", sample.labels)]
            if workflow:
                subjects.append(("workflow", workflow))
            for subject in subjects:
                self.calls[subject] += sample.value
                self.failed[subject] += sample.value if failed else 0.0
            self.workflows[endpoint][workflow] += round(sample.value)

    def requests(self, subject: Subject) -> int:
        return round(self.calls.get(subject, 0.0))

    def failures(self, subject: Subject) -> int:
        return round(self.failed.get(subject, 0.0))


def analyze_thresholds(
    metrics: SpanMetrics, config: Config, traced: Sequence[Recommendation] = ()
) -> AnalyzerResult:
    """p95 per endpoint and workflow against ``thresholds.api`` (rules ``slow_endpoint`` and
    ``slow_workflow``, judged by :func:`.judgements.slow_subject`). ``traced`` is not read."""
    cfg = THRESHOLDS.read(config)
    totals = Totals(metrics)
    subjects = {
        **quantiles(metrics.endpoint_quantiles, "endpoint"),
        **quantiles(metrics.workflow_quantiles, "workflow"),
    }
    rows, recommendations = [], []
    for subject, qs in sorted(subjects.items()):
        kind, key = subject[0], subject[1:]
        endpoint = kind == "endpoint"
        label = endpoint_title((key[0], key[1], key[2])) if endpoint else key[0]
        requests, p95 = totals.requests(subject), qs.get("0.95")
        if not requests or p95 is None:
            continue
        workflow = dominant(totals.workflows[subject]) if endpoint else key[0]
        rule = "slow_endpoint" if endpoint else "slow_workflow"
        p50 = qs.get("0.5")
        judged = level(p95, latency_threshold(rule, config))
        rows.append((kind, label, workflow or "", requests, cell(p50), p95, "", "", judged))
        if requests < cfg.min_requests or (
            not endpoint
            and one_endpoint_workflow(e for e, wf in totals.workflows.items() if wf[key[0]])
        ):
            continue
        summary = LatencySummary(
            rule=rule,
            key=key,
            label=label,
            requests=requests,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=qs.get("0.99"),
            histograms=True,
            service=(key[0] or None) if endpoint else None,
            method=(key[1] or None) if endpoint else None,
            route=key[2] if endpoint else None,
            workflow=workflow or None,
        )
        found = slow_subject(summary, config)
        if found is not None:
            recommendations.append(found)
    section = Section(thresholds.NAME, thresholds.TITLE, thresholds.COLUMNS, tuple(rows))
    return AnalyzerResult(thresholds.NAME, tuple(recommendations), (section,))


def _at_most(buckets: Mapping[float, float], limit_ms: float) -> float:
    """The cumulative count of the largest bucket bound <= ``limit_ms`` (0 below every bound)."""
    bounds = [bound for bound in buckets if bound <= limit_ms]
    return buckets[max(bounds)] if bounds else 0.0


def _bound(le: str) -> float | None:
    """A bucket's upper bound (``le``, "+Inf" included); None for a label that is not one
    (a broken exporter, a hostile backend): that bucket is left out, not the analysis."""
    try:
        bound = float(le)
    except ValueError:
        return None
    return None if math.isnan(bound) else bound


def analyze_health(
    metrics: SpanMetrics, config: Config, traced: Sequence[Recommendation] = ()
) -> AnalyzerResult:
    """The health score of :mod:`.health` per API service and workflow, apdex from buckets.
    ``traced`` is not read."""
    totals = Totals(metrics)
    threshold = config.thresholds.api
    critical_ratio = config.thresholds.errors.critical_ratio
    p95s = {
        **quantiles(metrics.service_quantiles, "service"),
        **quantiles(metrics.workflow_quantiles, "workflow"),
    }
    ok: dict[Subject, dict[float, float]] = defaultdict(dict)
    for kind, samples in (
        ("service", metrics.service_buckets),
        ("workflow", metrics.workflow_buckets),
    ):
        for sample in measured(samples):
            bound = _bound(sample.labels.get(m.LE, ""))
            if bound is not None:
                ok[subject_of(kind, sample.labels)][bound] = sample.value
    rows = []
    for subject in sorted(k for k in totals.calls if k[0] in ("service", "workflow")):
        requests = totals.requests(subject)
        if not requests:
            continue
        failed = totals.failures(subject)
        buckets = ok.get(subject, {})
        satisfied = _at_most(buckets, threshold.warning_ms)
        tolerating = _at_most(buckets, threshold.critical_ms) - satisfied
        score, apdex = health.score_from_counts(
            requests, satisfied, tolerating, failed, critical_ratio
        )
        p95 = cell(p95s.get(subject, {}).get("0.95"))
        # Span metrics count span status, not HTTP codes: client errors are unknown here.
        rows.append((*subject, score, requests, apdex, pct(failed, requests), p95, ""))
    section = Section(health.NAME, health.TITLE, health.COLUMNS, tuple(rows))
    return AnalyzerResult(health.NAME, sections=(section,))


def subjects_seen(metrics: SpanMetrics) -> frozenset[Subject]:
    """Every endpoint, workflow and statement shape the span metrics counted in the window:
    what Prometheus evaluated (frontend pages, requests without a server span and database
    calls outside a request are not among them)."""
    seen: set[Subject] = set()
    for sample in metrics.endpoint_calls:
        seen.add(subject_of("endpoint", sample.labels))
        if sample.labels.get(m.WORKFLOW):
            seen.add(subject_of("workflow", sample.labels))
    seen.update(subject_of("fingerprint", s.labels) for s in metrics.statement_calls)
    return frozenset(seen)
