"""Regressions: latency p95 or error ratio that stepped up and stayed up.

:func:`analyze_series` runs the change-point detector (:mod:`.changepoint`) on any source's
series; :func:`analyze` builds the series from a trace dataset first. A regression is a
confirmed change point where the metric went up; each regressed series gives one finding (its
latest rise), unless a later change undid most of that rise ("recovered"). Every confirmed
change point, down ones included, is a row of the ``regressions`` section, and the series with
the most significant ones are charted (the section is left out when there is no row).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np

from e2e_otel.analyzers.changepoint import Gates, detect
from e2e_otel.analyzers.common import statement_label
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    ChangePoint,
    Recommendation,
    Section,
    SeriesChart,
)
from e2e_otel.analyzers.registry import REGRESSIONS, RegressionsSettings
from e2e_otel.analyzers.regression_advice import recommend
from e2e_otel.analyzers.regression_series import Bucketing, ExampleFinder, dataset_series
from e2e_otel.analyzers.series import LATENCY_REGRESSION, Series
from e2e_otel.config import Config

NAME = REGRESSIONS.name
COLUMNS = (
    "kind",
    "subject",
    "metric",
    "changed_at",
    "direction",
    "before",
    "after",
    "change_pct",
    "p_value",
    "status",
)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    """Regressions in the dataset's per-bucket series (see :mod:`.regression_series`); each
    finding's example traces are the slowest (or failed) requests after its change."""
    s = REGRESSIONS.read(config)
    bucketing = Bucketing(s.bucket_seconds, s.min_requests_per_point, s.max_points)
    result = analyze_series(dataset_series(ds, bucketing), config, now)
    finder = ExampleFinder(ds)
    recommendations = tuple(
        replace(
            rec,
            evidence=replace(
                rec.evidence,
                trace_ids=finder.after(
                    rec.evidence,
                    rec.evidence.figures["changed_at_unix_s"],
                    failed=rec.rule != LATENCY_REGRESSION,
                    count=s.examples,
                ),
            ),
        )
        for rec in result.recommendations
    )
    return replace(result, recommendations=recommendations)


def analyze_series(
    series: Sequence[Series],
    config: Config,
    now: datetime,
    window_start: datetime | None = None,
) -> AnalyzerResult:
    """Change points of every series, and a finding for each series whose latest rise still
    holds. A rise before ``window_start`` that was never undone is still a finding (the window
    is still slower than the baseline), marked "regression (before window)" in the section;
    other change points before it are history (in the section and on the charts).

    Raises :class:`~e2e_otel.config.ConfigError` naming the key on bad ``regressions``
    settings.
    """
    s = REGRESSIONS.read(config)
    since = -math.inf if window_start is None else window_start.timestamp()
    rows: list[tuple[object, ...]] = []
    recommendations: list[Recommendation] = []
    charts: list[tuple[tuple[bool, float, str, str, str], SeriesChart]] = []
    for original in series:
        one = coarsen(original, s.max_points)
        found = detect(one.points, _gates(one.metric, s))
        if not found:
            continue
        chosen = _regression(found)
        if chosen is not None:
            recommendations.append(recommend(one, found, chosen, config, s))
        rows += [_row(one, cp, _status(cp, chosen, found, since)) for cp in found]
        rank = (chosen is None, min(cp.p_value for cp in found), one.kind, one.target, one.metric)
        charts.append((rank, SeriesChart(one, found)))
    rows.sort(key=lambda row: (str(row[0]), str(row[1]), str(row[2]), str(row[3])))
    charts.sort(key=lambda item: item[0])
    # No table at all when nothing changed: an empty one would only say "no data".
    title = "Change points in latency and error ratio"
    sections = (Section(NAME, title, COLUMNS, tuple(rows)),) if rows else ()
    return AnalyzerResult(
        NAME,
        tuple(recommendations),
        sections,
        tuple(chart for _, chart in charts[: s.max_charts]),
    )


def coarsen(series: Series, max_points: int) -> Series:
    """``series`` with runs of adjacent points averaged (weighted by their counts) so that at
    most ``max_points`` remain: the detector's cost grows with the square of the points."""
    n = len(series.points)
    if max_points < 1 or n <= max_points:
        return series
    starts = np.arange(0, n, math.ceil(n / max_points))
    times = np.array([t for t, _ in series.points])[starts]
    values = np.array([v for _, v in series.points])
    weights = np.maximum(np.array(series.counts or [1] * n, dtype=np.float64), 1.0)
    means = np.add.reduceat(values * weights, starts) / np.add.reduceat(weights, starts)
    counts: tuple[int, ...] = ()
    if series.counts:  # Tempo's series come without the requests behind each point
        counts = tuple(np.add.reduceat(np.array(series.counts, dtype=np.int64), starts).tolist())
    return replace(
        series, points=tuple(zip(times.tolist(), means.tolist(), strict=True)), counts=counts
    )


def _gates(metric: str, s: RegressionsSettings) -> Gates:
    minimum = s.min_absolute_ms if metric == "p95_ms" else s.min_absolute_error_ratio
    return Gates(s.p_value, s.min_relative_change, minimum, s.min_points_per_segment)


def _regression(found: Sequence[ChangePoint]) -> ChangePoint | None:
    rises = [cp for cp in found if cp.direction == "up"]
    if not rises:
        return None
    latest = rises[-1]
    # A later fall that undid most of the rise means the regression is over.
    return latest if found[-1].after > (latest.before + latest.after) / 2 else None


def _status(
    cp: ChangePoint, chosen: ChangePoint | None, found: Sequence[ChangePoint], since: float
) -> str:
    if cp is chosen:
        return "regression" if cp.at_unix_s >= since else "regression (before window)"
    if cp.direction == "down":
        return "improvement"
    if cp.at_unix_s < since:
        return "before window"
    return "earlier rise" if chosen is not None else "recovered"


def _row(series: Series, cp: ChangePoint, status: str) -> tuple[object, ...]:
    digits = 3 if series.metric == "p95_ms" else 5
    target = series.target
    if series.kind == "fingerprint" and series.evidence.fingerprint:
        target = f"{statement_label(series.evidence.fingerprint)} ({target})"
    change = cp.relative_change
    return (
        series.kind,
        target,
        series.metric,
        datetime.fromtimestamp(cp.at_unix_s, timezone.utc),
        cp.direction,
        round(cp.before, digits),
        round(cp.after, digits),
        round(100 * change, 1) if math.isfinite(change) else None,
        float(f"{cp.p_value:.3g}"),
        status,
    )
