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

With both backends asked, one failing (down after its retries, or answering garbage) does not
lose the other's findings: the report is made from the one that answered and is incomplete,
its problems naming the failure. Only when every backend asked fails is there no report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from e2e_otel import metrics as m
from e2e_otel.analyzers import regressions
from e2e_otel.analyzers.backend_merge import POPULATION, merged_report
from e2e_otel.analyzers.backend_metrics import Subject, subjects_seen
from e2e_otel.analyzers.backend_series import prometheus_series, tempo_series
from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult, Report, Series
from e2e_otel.analyzers.registry import REGRESSIONS, RULES, needing, validate
from e2e_otel.analyzers.run import FILE_ANALYZERS, MAX_PROBLEMS_KEPT
from e2e_otel.config import Config
from e2e_otel.sources.http import BackendError
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.prometheus import (
    PrometheusClient,
    SeriesGrid,
    SpanMetrics,
    fetch_metrics,
    series_grid,
)
from e2e_otel.sources.tempo import TempoClient

#: Our attributes returned with every search result (TraceQL ``select``).
SELECT = (
    "select(span.e2e.workflow.type, span.e2e.layer, span.http.route, "
    "span.e2e.error.category, span.e2e.db.fingerprint_id)"
)
#: Rules only traces show: from Tempo, or not analyzed without it.
TRACE_ONLY = needing("traces")
_SAMPLE = "a sample of up to {} traces (failed and slowest first)"


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


@dataclass
class _Run:
    """What one analysis gathered so far; ``failed``: the backends that failed, for the
    report's problems (and the error to raise should every backend fail)."""

    coverage: list[tuple[str, str, str]] = field(default_factory=list)
    traced: list[AnalyzerResult] = field(default_factory=list)
    population: list[AnalyzerResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: list[BackendError] = field(default_factory=list)
    dataset: Dataset | None = None
    seen: frozenset[Subject] | None = None

    def fail(self, error: BackendError, without: str) -> None:
        self.failed.append(error)
        self.problems.insert(len(self.failed) - 1, f"{error}; analyzed without {without}")


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

    ``baseline``: how far before the window the regression series start. A backend that fails
    after its retries, or answers with the wrong shape, makes the report incomplete when the
    other one answered, and raises :class:`~e2e_otel.sources.http.BackendError` when no
    backend did. Raises :class:`~e2e_otel.config.ConfigError` on bad ``analyzers`` settings
    (before any query). Traces that cannot be read make the report incomplete, with the
    problems listed.
    """
    if prometheus is None and tempo is None:
        raise ValueError("analyze_backends needs Prometheus, Tempo or both")
    validate(config)
    grid = _grid(config, now, window, baseline)
    run = _Run()
    if tempo is not None:
        _read_traces(run, tempo, config, now - window, now, max_traces)
    else:
        run.coverage += [(name, "-", "not analyzed: needs traces (Tempo)") for name in TRACE_ONLY]
    series: list[Series] | None = None
    metrics = _read_metrics(run, prometheus, now, window, grid) if prometheus else None
    if prometheus is not None and metrics is not None:
        series = _from_metrics(run, prometheus, metrics, config)
    elif tempo is not None and run.dataset is not None:
        series = _from_sample(run, tempo, grid, max_traces)
    if run.dataset is None and metrics is None:  # every backend asked failed
        first, *others = run.failed
        also = "".join(f"; and {other}" for other in others)
        raise BackendError(first.backend, first.url, first.reason + also, first.status)
    if series is not None:
        run.population.append(
            regressions.analyze_series(series, config, now, window_start=now - window)
        )
    names = ("prometheus", "tempo")
    clients = (prometheus, tempo)
    backends = [f"{name}: {c.url}" for name, c in zip(names, clients, strict=True) if c]
    return merged_report(
        run.traced,
        run.population,
        run.seen,
        run.coverage,
        run.dataset,
        run.problems,
        now,
        window,
        baseline,
        backends,
    )


def _read_traces(
    run: _Run, tempo: TempoClient, config: Config, start: datetime, end: datetime, limit: int
) -> None:
    """The traces and what the file analyzers find in them, or Tempo's failure."""
    try:
        run.dataset, problems = fetch_traces(tempo, config, start, end, limit)
    except BackendError as exc:
        run.fail(exc, "traces")
        note = "not analyzed: Tempo failed (see the problems)"
        run.coverage += [(name, "-", note) for name in TRACE_ONLY]
        return
    run.problems += problems
    run.traced = [
        analyzer(run.dataset, config, end)
        for name, analyzer in FILE_ANALYZERS
        if name not in needing("series")  # a sample biased to slow traces has no trend
    ]
    traces = f"{len(run.dataset.trace_ids)} traces"
    run.coverage += [(name, "tempo", traces) for name in TRACE_ONLY]


def _read_metrics(
    run: _Run, prometheus: PrometheusClient, now: datetime, window: timedelta, grid: SeriesGrid
) -> SpanMetrics | None:
    """Prometheus' span metrics, or None when it failed (said in the report)."""
    try:
        return fetch_metrics(prometheus, now=now, window=window, grid=grid)
    except BackendError as exc:
        run.fail(exc, "span metrics")
        return None


def _from_metrics(
    run: _Run, prometheus: PrometheusClient, metrics: SpanMetrics, config: Config
) -> list[Series]:
    """The whole population from the span metrics; the regression series."""
    traced = [r for result in run.traced for r in result.recommendations]
    run.population = [
        analyzer(metrics, config, traced)
        for rule in RULES
        if (analyzer := rule.backend_function()) is not None
    ]
    run.seen = subjects_seen(metrics)
    run.problems += prometheus.warnings
    if metrics.empty():
        run.problems.append(
            f"prometheus {prometheus.url}: no span metrics ({m.SPAN_CALLS}) over the "
            "window and baseline: is the collector's spanmetrics connector scraped, and "
            "is this the right Prometheus?"
        )
    run.coverage += [(name, "prometheus", "every request") for name in POPULATION]
    run.coverage.append((regressions.NAME, "prometheus", "span-metric series"))
    return prometheus_series(metrics)


def _from_sample(
    run: _Run, tempo: TempoClient, grid: SeriesGrid, max_traces: int
) -> list[Series] | None:
    """Without span metrics: the population analyzers ran on the sample of traces; the
    regression series from TraceQL metrics, where Tempo offers them."""
    run.coverage += [(name, "tempo", _SAMPLE.format(max_traces)) for name in POPULATION]
    try:
        series = tempo_series(tempo, grid)
    except BackendError as exc:
        run.fail(exc, "regression series")
        series, note = None, "not analyzed: Tempo's TraceQL metrics failed (see the problems)"
    else:
        note = "not analyzed: needs Prometheus, or Tempo with TraceQL metrics"
    if series is None:
        run.coverage.append((regressions.NAME, "-", note))
    else:
        run.coverage.append((regressions.NAME, "tempo", "TraceQL metrics (p95 only)"))
    return series


def _grid(config: Config, now: datetime, window: timedelta, baseline: timedelta) -> SeriesGrid:
    """The regression series' grid: two of the detector's minimum segments in the window, no
    more points than it keeps (``regressions`` settings)."""
    s = REGRESSIONS.read(config)
    return series_grid(
        now,
        window,
        baseline,
        points_in_window=2 * s.min_points_per_segment,
        max_points=s.max_points,
    )
