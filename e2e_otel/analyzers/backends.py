"""Analysis from the backends: Tempo's traces and Prometheus' span metrics instead of files.

Tempo gives traces: a search over the window picks up to ``max_traces`` (failed ones first,
then the slowest), each is fetched and read by the same code as an OTLP file into the same
dataset, and the same file analyzers run on it (N+1, chatty, parallelizable, slow queries,
error hotspots ...). Prometheus gives the whole population: health, latency thresholds, slow
statements, error hotspots and the series of the regression detector, computed from a fixed
set of PromQL queries (:mod:`e2e_otel.sources.prometheus`).

When both find the same rule on the same subject (same finding id), the Prometheus finding wins
(it counts every request, not a sample), completed with the traces' example trace ids and
statement text; sections of the same name likewise. With Prometheus there, a finding of its
analyzers (thresholds, slow queries, error hotspots) that only the sample of traces shows is
dropped when Prometheus counted its subject (endpoint, workflow, statement shape): the sample is
biased to slow and failed requests, and Prometheus, which saw every request, did not find it.
What span metrics cannot see stays: frontend pages, errors the application handled, subjects
with no server span; their rows of the traces' sections too. A ``backends`` section says what
came from where and what could not be analyzed without the other backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from e2e_otel.analyzers import error_hotspots, health, regressions, slow_queries, thresholds
from e2e_otel.analyzers.backend_metrics import (
    Subject,
    analyze_health,
    analyze_thresholds,
    subjects_seen,
)
from e2e_otel.analyzers.backend_series import prometheus_series, tempo_series
from e2e_otel.analyzers.backend_statements import analyze_errors, analyze_statements
from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Recommendation,
    Report,
    Section,
    finding_id,
)
from e2e_otel.analyzers.run import FILE_ANALYZERS, MAX_PROBLEMS_KEPT
from e2e_otel.analyzers.settings import check_names, settings
from e2e_otel.config import Config
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.prometheus import PrometheusClient, SeriesGrid, fetch_metrics, series_grid
from e2e_otel.sources.tempo import TempoClient
from e2e_otel.stack import metrics as m

#: Our attributes returned with every search result (TraceQL ``select``).
SELECT = (
    "select(span.e2e.workflow.type, span.e2e.layer, span.http.route, "
    "span.e2e.error.category, span.e2e.db.fingerprint_id)"
)
COVERAGE = "backends"
_TRACE_ONLY = ("n_plus_one", "chatty", "parallelizable")
_POPULATION = ("health", "thresholds", slow_queries.NAME, error_hotspots.NAME)


def searches(config: Config) -> tuple[str, ...]:
    """TraceQL searches in priority order: failed requests, slow ones, then any request."""
    slow = f"{config.thresholds.api.warning_ms:g}ms"
    return (
        "{ status = error }",
        f"{{ kind = server && duration > {slow} }}",
        "{ kind = server }",
    )


def fetch_traces(
    tempo: TempoClient, config: Config, start: datetime, end: datetime, max_traces: int
) -> tuple[Dataset, list[str]]:
    """Up to ``max_traces`` traces of [start, end] (failed first, then slowest) as a dataset,
    and the problems of those that could not be read completely."""
    chosen: dict[str, None] = {}
    for query in searches(config):
        found = tempo.search(f"{query} | {SELECT}", start, end, limit=max_traces)
        for summary in sorted(found, key=lambda t: (-t.duration_ms, t.trace_id)):
            chosen.setdefault(summary.trace_id)
    problems: list[InputProblem] = []
    builder = DatasetBuilder()
    for trace_id in list(chosen)[:max_traces]:
        for span in tempo.trace(trace_id, problems.append, start, end):
            builder.add(span)
    kept = [str(p) for p in problems[:MAX_PROBLEMS_KEPT]]
    if len(problems) > len(kept):
        kept.append(f"... and {len(problems) - len(kept)} more problems")
    return builder.finish(), kept


def analyze_backends(
    config: Config,
    *,
    prometheus: PrometheusClient | None,
    tempo: TempoClient | None,
    window: timedelta,
    baseline: timedelta,
    now: datetime,
    max_traces: int = 500,
) -> Report:
    """Analyze [now - window, now] from whichever backends are given (at least one).

    ``baseline``: how far before the window the regression series start. Raises
    :class:`~e2e_otel.sources.http.BackendError` when a backend fails after its retries, and
    :class:`~e2e_otel.config.ConfigError` on bad ``analyzers`` settings (before any query).
    Traces that cannot be read make the report incomplete, with the problems listed.
    """
    if prometheus is None and tempo is None:
        raise ValueError("analyze_backends needs Prometheus, Tempo or both")
    check_names(config, {name: defaults for name, _, defaults in FILE_ANALYZERS})
    start = now - window
    grid = _grid(config, now, window, baseline)
    coverage: list[tuple[str, str, str]] = []
    traced: list[AnalyzerResult] = []
    dataset: Dataset | None = None
    problems: list[str] = []
    if tempo is not None:
        dataset, problems = fetch_traces(tempo, config, start, now, max_traces)
        traced = [
            analyzer(dataset, config, now)
            for name, analyzer, _ in FILE_ANALYZERS
            if name != regressions.NAME  # a sample biased to slow traces has no trend
        ]
        coverage += [(name, "tempo", f"{len(dataset.trace_ids)} traces") for name in _TRACE_ONLY]
    else:
        coverage += [(name, "-", "not analyzed: needs traces (Tempo)") for name in _TRACE_ONLY]
    population: list[AnalyzerResult] = []
    series = None
    seen: frozenset[Subject] | None = None
    if prometheus is not None:
        metrics = fetch_metrics(prometheus, now=now, window=window, grid=grid)
        known = _failing_statements(r for result in traced for r in result.recommendations)
        population = [
            analyze_health(metrics, config),
            analyze_thresholds(metrics, config),
            analyze_statements(metrics, config),
            analyze_errors(metrics, config, known),
        ]
        series = prometheus_series(metrics)
        seen = subjects_seen(metrics)
        problems += prometheus.warnings
        if metrics.empty():
            problems.append(
                f"prometheus {prometheus.url}: no span metrics ({m.SPAN_CALLS}) over the "
                "window and baseline: is the collector's spanmetrics connector scraped, and "
                "is this the right Prometheus?"
            )
        coverage += [(name, "prometheus", "every request") for name in _POPULATION]
        coverage.append((regressions.NAME, "prometheus", "span-metric series"))
    elif tempo is not None:
        note = f"a sample of up to {max_traces} traces (failed and slowest first)"
        coverage += [(name, "tempo", note) for name in _POPULATION]
        series = tempo_series(tempo, grid)
        if series is None:
            note = "not analyzed: needs Prometheus, or Tempo with TraceQL metrics"
            coverage.append((regressions.NAME, "-", note))
        else:
            coverage.append((regressions.NAME, "tempo", "TraceQL metrics (p95 only)"))
    if series is not None:
        population.append(regressions.analyze_series(series, config, now, window_start=start))
    return _report(
        traced,
        population,
        seen,
        coverage,
        dataset,
        problems,
        now,
        window,
        baseline,
        (prometheus, tempo),
    )


def _grid(config: Config, now: datetime, window: timedelta, baseline: timedelta) -> SeriesGrid:
    """The regression series' grid: two of the detector's minimum segments in the window, no
    more points than it keeps (``regressions`` settings)."""
    s = settings(config, regressions.NAME, regressions.DEFAULTS)
    return series_grid(
        now,
        window,
        baseline,
        points_in_window=2 * int(s["min_points_per_segment"]),
        max_points=int(s["max_points"]),
    )


def _failing_statements(
    recommendations: Iterable[Recommendation],
) -> dict[tuple[str, str, str, str], str]:
    """(category, service, method, route) -> fingerprint id of the failing statement the
    traces' error hotspots named."""
    found = {}
    for rec in recommendations:
        ev = rec.evidence
        if rec.rule != error_hotspots.RULE or not ev.fingerprint_id or not ev.route:
            continue
        # The title starts with the category; the id confirms it (and that it is not "handled").
        key = (rec.title.split(" ", 1)[0], ev.service or "", ev.method or "", ev.route)
        if rec.id == finding_id(error_hotspots.RULE, *key, ev.fingerprint_id, ""):
            found[key] = ev.fingerprint_id
    return found


def _subject(analyzer: str, rec: Recommendation) -> Subject | None:
    """What Prometheus would have to count to judge a finding of the traces; None when span
    metrics cannot see it (a frontend page, errors the application handled)."""
    ev = rec.evidence
    if analyzer == slow_queries.NAME:
        return ("fingerprint", ev.fingerprint_id or "")
    if rec.rule == "slow_workflow":
        return ("workflow", ev.workflow or "")
    if rec.rule == "slow_frontend" or rec.category == "frontend":
        return None
    if analyzer == error_hotspots.NAME and error_hotspots.is_handled(rec):
        return None
    return ("endpoint", ev.service or "", ev.method or "", ev.route or "")


def _judged(analyzer: str, rec: Recommendation, seen: frozenset[Subject]) -> bool:
    """Whether Prometheus counted the subject of this finding of the traces."""
    subject = _subject(analyzer, rec) if analyzer in _POPULATION else None
    return subject is not None and subject in seen


def _unseen_rows(section: Section) -> tuple[tuple[object, ...], ...]:
    """Rows of a traces' section about what span metrics cannot see: frontend pages and
    services, errors the application handled or that a frontend raised."""
    column = {name: i for i, name in enumerate(section.columns)}
    if section.name == thresholds.NAME:
        return tuple(row for row in section.rows if row[column["kind"]] == "frontend")
    if section.name == health.NAME:
        return tuple(row for row in section.rows if row[column["kind"]] == "frontend service")
    if section.name == error_hotspots.NAME:
        return tuple(
            row
            for row in section.rows
            if row[column["handled"]] is True
            or error_hotspots.layer_of(str(row[column["category"]])) == "frontend"
        )
    return ()


def _merge(traced: Recommendation | None, whole: Recommendation) -> Recommendation:
    if traced is None:
        return whole
    evidence = replace(
        whole.evidence,
        trace_ids=whole.evidence.trace_ids or traced.evidence.trace_ids,
        fingerprint=whole.evidence.fingerprint or traced.evidence.fingerprint,
    )
    # The traces saw the statement's text: their SQL advice is the specific one.
    steps = traced.steps if whole.rule == slow_queries.NAME else whole.steps
    return replace(whole, evidence=evidence, steps=steps)


def _report(
    traced: Sequence[AnalyzerResult],
    population: Sequence[AnalyzerResult],
    seen: frozenset[Subject] | None,
    coverage: list[tuple[str, str, str]],
    dataset: Dataset | None,
    problems: list[str],
    now: datetime,
    window: timedelta,
    baseline: timedelta,
    clients: tuple[PrometheusClient | None, TempoClient | None],
) -> Report:
    """The merged report; ``seen``: the subjects Prometheus counted (None without it)."""
    whole = {r.id for result in population for r in result.recommendations}
    by_id = {
        r.id: r
        for result in traced
        for r in result.recommendations
        if seen is None or r.id in whole or not _judged(result.analyzer, r, seen)
    }
    for result in population:
        for rec in result.recommendations:
            by_id[rec.id] = _merge(by_id.get(rec.id), rec)
    sections: dict[str, Section] = {}
    for result in traced:
        if seen is None or result.analyzer not in _POPULATION:
            sections.update((section.name, section) for section in result.sections)
        else:  # what span metrics cannot see, added after Prometheus' rows below
            sections.update(
                (section.name, replace(section, rows=rows))
                for section in result.sections
                if (rows := _unseen_rows(section))
            )
    for result in population:
        for section in result.sections:
            extra = sections[section.name].rows if section.name in sections else ()
            sections[section.name] = replace(section, rows=(*section.rows, *extra))
    order = [name for name, _, _ in FILE_ANALYZERS]
    ordered = sorted(sections.values(), key=lambda s: order.index(s.name))
    columns = ("analysis", "source", "note")
    title = "What was analyzed from which backend"
    ordered.append(Section(COVERAGE, title, columns, tuple(sorted(coverage))))
    names = ("prometheus", "tempo")
    backends = [f"{name}: {c.url}" for name, c in zip(names, clients, strict=True) if c]
    span = f"window {window.total_seconds():g}s, baseline {baseline.total_seconds():g}s"
    return Report(
        generated_at=now,
        source=f"{', '.join(backends)} ({span})",
        window_start=now - window,
        window_end=now,
        spans=dataset.spans if dataset else 0,
        traces=len(dataset.trace_ids) if dataset else 0,
        recommendations=tuple(sorted(by_id.values(), key=Recommendation.sort_key)),
        sections=tuple(ordered),
        problems=tuple(problems),
        complete=not problems,
        charts=tuple(chart for result in population for chart in result.charts),
    )
