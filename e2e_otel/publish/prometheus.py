"""The analysis ``Report`` as Prometheus metrics (the ``e2e_otel_*`` names of metrics.py).

Two custom collectors, so a scrape always describes the report being served and nothing older:

* :class:`ReportCollector` turns the latest report into series on every scrape. Swapping the
  report replaces all of them at once, so a finding absent from the new report disappears from
  the exposition instead of lingering as a stale series.
* :class:`RunCollector` counts the service's analysis runs (see :mod:`e2e_otel.service`).

A finding's ``trace_id`` label is one of its example traces. Each run may rank its examples
differently, and a new label value starts a new series, so the collector keeps the example it
served while the new report still lists it among the finding's examples.

Label values the report does not know are empty strings, which PromQL treats like an absent
label. Health rows: a service row (API or frontend) is ``{service=NAME, workflow=""}``, a
workflow row ``{service="", workflow=NAME}`` (a workflow's score covers all of its services);
the dashboards select one kind or the other with the empty label (``service=""``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Literal, TypeGuard

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from e2e_otel import metrics as m
from e2e_otel.analyzers import health, slow_queries
from e2e_otel.analyzers.models import Recommendation, Report, Section
from e2e_otel.analyzers.series import REGRESSION_RULES, subject_of

__all__ = ["FINDING_LABELS", "Outcome", "ReportCollector", "RunCollector", "render_exposition"]

Outcome = Literal["success", "failure"]
#: Labels of e2e_otel_finding_info, in the order the collector gives their values.
FINDING_LABELS = (
    m.FINDING_ID,
    m.FINDING_CATEGORY,
    m.FINDING_PRIORITY,
    m.FINDING_ROUTE,
    m.FINDING_WORKFLOW,
    m.FINDING_FINGERPRINT_ID,
    m.FINDING_TITLE,
    m.FINDING_TRACE_ID,
)
_HEALTH_WORKFLOW_KIND = "workflow"  # health rows of any other kind are about a service


class ReportCollector(Collector):
    """Series of the latest report: findings, slow statements, regressions, health scores,
    and whether the report is complete. Safe to swap from one thread while another scrapes."""

    def __init__(self, report: Report | None = None) -> None:
        self._lock = threading.Lock()
        self._report = report
        self._examples = _examples(report, {}) if report is not None else {}

    @property
    def report(self) -> Report | None:
        """The report being served (None before the first one)."""
        with self._lock:
            return self._report

    def set_report(self, report: Report) -> None:
        """Serve ``report`` from the next scrape on, replacing every series of the previous one
        (a finding keeps the example trace it had when ``report`` still lists it)."""
        with self._lock:
            self._examples = _examples(report, self._examples)
            self._report = report

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            report, examples = self._report, self._examples
        if report is None:
            return
        yield _gauge(
            m.ANALYSIS_COMPLETE,
            "1 when the served report read all of its input, 0 when part could not be read.",
            [((), 1.0 if report.complete else 0.0)],
        )
        yield _gauge(m.ANALYSIS_SPANS, "Spans the served report analysed.", [((), report.spans)])
        yield _gauge(
            m.FINDING_INFO,
            "1 per open finding of the analyzer; labels name its subject.",
            _findings(report, examples),
            FINDING_LABELS,
        )
        yield _gauge(
            m.SLOW_QUERY_P95,
            "p95 duration of a statement shape, from the analyzer's slow-query profile.",
            _slow_query_p95(report),
            (m.FINDING_FINGERPRINT_ID,),
        )
        yield _gauge(
            m.REGRESSION_CHANGE_RATIO,
            "current / baseline of a regression the analyzer found (1 = unchanged).",
            _regressions(report),
            (m.REGRESSION_SERVICE, m.REGRESSION_KIND, m.REGRESSION_TARGET, m.REGRESSION_RULE),
        )
        yield _gauge(
            m.HEALTH_SCORE,
            "Health score 0-100 of a service (workflow empty) or a workflow (service empty).",
            _health(report),
            (m.HEALTH_SERVICE, m.HEALTH_WORKFLOW),
        )


class RunCollector(Collector):
    """The service's own runs: how many succeeded or failed, how long the last one took, and
    when the last success was (its age tells an alert that the findings are stale)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[Outcome, int] = {"success": 0, "failure": 0}
        self._last_success: float | None = None
        self._duration: float | None = None

    def record(self, outcome: Outcome, duration_s: float, finished_at_unix_s: float) -> None:
        """Count one run that ended at ``finished_at_unix_s`` after ``duration_s`` seconds."""
        with self._lock:
            self._runs[outcome] += 1
            self._duration = duration_s
            if outcome == "success":
                self._last_success = finished_at_unix_s

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            runs, last_success, duration = dict(self._runs), self._last_success, self._duration
        counter = CounterMetricFamily(
            m.ANALYSIS_RUNS, "Analysis runs by outcome.", labels=(m.ANALYSIS_OUTCOME,)
        )
        for outcome, count in sorted(runs.items()):  # both outcomes from 0, so rate() sees all
            counter.add_metric((outcome,), count)
        yield counter
        if last_success is not None:
            yield _gauge(
                m.ANALYSIS_LAST_SUCCESS,
                "Unix time of the last successful analysis run.",
                [((), last_success)],
            )
        if duration is not None:
            yield _gauge(
                m.ANALYSIS_DURATION,
                "Duration of the last analysis run, successful or not.",
                [((), duration)],
            )


def render_exposition(report: Report) -> str:
    """The Prometheus text exposition of ``report`` alone (one-shot use, e.g. a textfile
    collector): the report's series, without the service's run counters."""
    registry = CollectorRegistry()
    registry.register(ReportCollector(report))
    return generate_latest(registry).decode("utf-8")


def _gauge(
    name: str,
    documentation: str,
    samples: Iterable[tuple[tuple[str, ...], float]],
    labels: tuple[str, ...] = (),
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _first_per_id(report: Report) -> Iterator[Recommendation]:
    seen: set[str] = set()
    for rec in report.recommendations:
        if rec.id not in seen:  # a repeated series would make Prometheus reject the sample
            seen.add(rec.id)
            yield rec


def _examples(report: Report, served: dict[str, str]) -> dict[str, str]:
    """The example trace of each finding of ``report``, for the dashboards' Tempo link: the one
    in ``served`` (the previous report's) while the finding still lists it, else its first
    (most telling) example, else ""."""
    chosen: dict[str, str] = {}
    for rec in _first_per_id(report):
        kept = served.get(rec.id, "")
        traces = rec.evidence.trace_ids
        chosen[rec.id] = kept if kept and kept in traces else traces[0] if traces else ""
    return chosen


def _findings(report: Report, examples: dict[str, str]) -> Iterator[tuple[tuple[str, ...], float]]:
    for rec in _first_per_id(report):
        e = rec.evidence
        labels = (
            *(rec.id, rec.category, rec.priority, e.route, e.workflow, e.fingerprint_id),
            _stable_title(rec.title),
            examples.get(rec.id, ""),
        )
        yield tuple(label or "" for label in labels), 1.0


def _stable_title(title: str) -> str:
    """The title without its figures: "Endpoint GET x is slow: p95 412 ms" -> "Endpoint GET x
    is slow". Titles put the figures after the first ": ", and a label whose value changes
    with every run's p95 would start a new series every run."""
    return title.split(": ", 1)[0]


def _slow_query_p95(report: Report) -> Iterator[tuple[tuple[str, ...], float]]:
    seen: set[str] = set()
    for fingerprint_id, p95 in _rows(
        report.sections, slow_queries.NAME, "fingerprint_id", "p95_ms"
    ):
        if fingerprint_id and fingerprint_id not in seen and _finite(p95):
            seen.add(fingerprint_id)
            yield (str(fingerprint_id),), p95 / 1000.0  # the report says ms; metrics say s


def _regressions(report: Report) -> Iterator[tuple[tuple[str, ...], float]]:
    seen: set[tuple[str, ...]] = set()
    for rec in report.recommendations:
        ratio = rec.evidence.figures.get("change_ratio")
        # +Inf stays: a failure rate that rose from zero is the regression to show first.
        if rec.rule not in REGRESSION_RULES or ratio is None or math.isnan(ratio):
            continue
        kind, target = subject_of(rec.evidence)
        labels = (rec.evidence.service or "", kind, target, rec.rule)
        if labels not in seen:
            seen.add(labels)
            yield labels, ratio


def _health(report: Report) -> Iterator[tuple[tuple[str, ...], float]]:
    scores: dict[tuple[str, str], float] = {}
    for kind, name, score in _rows(report.sections, health.NAME, "kind", "name", "score"):
        if not name or not _finite(score):
            continue
        key = ("", str(name)) if kind == _HEALTH_WORKFLOW_KIND else (str(name), "")
        # A name that is both an API and a frontend service is one series: show the worse.
        scores[key] = min(score, scores.get(key, math.inf))
    yield from sorted(scores.items())


def _rows(sections: Iterable[Section], name: str, *columns: str) -> Iterator[tuple[Any, ...]]:
    """``columns`` of every row of the sections called ``name``; nothing from a section that
    lacks one of them (a report written by another version)."""
    for section in sections:
        if section.name != name or not set(columns) <= set(section.columns):
            continue
        positions = [section.columns.index(column) for column in columns]
        for row in section.rows:
            yield tuple(row[i] for i in positions)


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
