"""The finding for one regressed series: what rose, when, by how much, how sure, what to do.

Priority: a latency rise is high when the p95 grew by ``high_relative_change`` (default 50 %) or
more, or now reaches the critical threshold of its layer (``thresholds.api`` for endpoints and
workflows, ``thresholds.database`` for statements); medium when it grew by 20 % or reaches the
warning threshold; low otherwise. An error-ratio rise is high when the ratio now reaches
``thresholds.errors.critical_ratio``, medium at the warning ratio, low below.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

from e2e_otel.analyzers.common import statement_label
from e2e_otel.analyzers.models import (
    Category,
    ChangePoint,
    Evidence,
    Priority,
    Recommendation,
    finding_id,
)
from e2e_otel.analyzers.registry import RegressionsSettings
from e2e_otel.analyzers.series import (
    ERROR_RATE_REGRESSION,
    LATENCY_REGRESSION,
    Series,
    subject_of,
)
from e2e_otel.config import Config

MEDIUM_RELATIVE_CHANGE = 0.2


def recommend(
    series: Series,
    found: Sequence[ChangePoint],
    chosen: ChangePoint,
    config: Config,
    s: RegressionsSettings,
) -> Recommendation:
    """The finding for ``chosen``, one of the change points ``found`` in ``series``."""
    latency = series.metric == "p95_ms"
    rule = LATENCY_REGRESSION if latency else ERROR_RATE_REGRESSION
    kind, target = subject_of(series.evidence)
    category: Category = "database" if series.kind == "fingerprint" else "api"
    bounds = [0, *(cp.index for cp in found), len(series.points)]
    position = bounds.index(chosen.index)
    before_n = chosen.index - bounds[position - 1]
    after_n = bounds[position + 1] - chosen.index
    previous = series.points[chosen.index - 1][0]
    when, since = _time(chosen.at_unix_s), _time(previous)
    ratio = chosen.after / chosen.before if chosen.before else math.inf
    change = f"{chosen.relative_change:+.0%}" if math.isfinite(ratio) else "up from zero"
    subject = _subject(series)
    what = _latency_statistic(series) if latency else "error ratio"
    steps = [
        f"Compare deploys, configuration, data and traffic changes between {since} and "
        f"{when} (the last point before the change and the first after it)",
    ]
    if not latency:
        steps.append(
            "Group the failures after the change by e2e.error.category (see the error "
            "hotspots) and open the example failed traces"
        )
    elif series.kind == "fingerprint":
        steps.append(
            "Run EXPLAIN on the statement with today's data: a lost index, a changed plan or a "
            "grown table; check for lock waits around the change"
        )
    else:
        steps.append(
            "Open the example traces from after the change next to one from before: find the "
            "span that grew (a query, an external call, application code)"
        )
    steps.append(
        f"If a change caused it, revert or fix it and check the {what} returns to about "
        f"{_value(series, chosen.before)}"
    )
    return Recommendation(
        id=finding_id(rule, kind, series.evidence.service or "", target),
        rule=rule,
        category=category,
        priority=_priority(series, chosen, config, s),
        title=f"{what.capitalize()} of {subject} rose {change} at {when}",
        description=(
            f"The {what} of {subject} went from {_value(series, chosen.before)} to "
            f"{_value(series, chosen.after)} ({change}) at {when}, and stayed there: median of "
            f"{after_n} points after the change against the {before_n} before it. The "
            f"two-sample tests between the two give p = {chosen.p_value:.2g}, so a shift this "
            f"size by chance is unlikely.{_statistic_note(series)}"
        ),
        steps=tuple(steps),
        expected_improvement_ms=round(chosen.after - chosen.before, 3) if latency else None,
        expected_improvement_pct=(
            round(100 * (chosen.after - chosen.before) / chosen.after, 2)
            if latency and chosen.after
            else None
        ),
        evidence=_evidence(series, chosen, ratio, before_n, after_n),
    )


# The nearest-rank p95 of n < 20 values is the largest of them: below this many requests per
# point, a "p95" series is each point's slowest request, and the finding says so.
TRUE_P95_MIN_SAMPLES = 20


def _latency_statistic(series: Series) -> str:
    """What a latency series' points are: a p95 when its points hold enough requests (median
    of the counts; files and backends that do not count are taken at their word)."""
    if series.counts and statistics.median(series.counts) < TRUE_P95_MIN_SAMPLES:
        return "slowest-request latency"
    return "p95 latency"


def _statistic_note(series: Series) -> str:
    if series.metric != "p95_ms" or _latency_statistic(series) == "p95 latency":
        return ""
    return (
        f" Each point is the slowest request of its time step: with a median of "
        f"{statistics.median(series.counts):g} requests per point (under "
        f"{TRUE_P95_MIN_SAMPLES}) the nearest-rank p95 is the maximum. Set "
        f"analyzers.regressions.min_requests_per_point to {TRUE_P95_MIN_SAMPLES} for a true p95 "
        "where traffic allows."
    )


def _evidence(
    series: Series, chosen: ChangePoint, ratio: float, before_n: int, after_n: int
) -> Evidence:
    digits = 3 if series.metric == "p95_ms" else 5
    figures = {
        "change_ratio": round(ratio, 4) if math.isfinite(ratio) else ratio,
        "changed_at_unix_s": chosen.at_unix_s,
        "baseline": round(chosen.before, digits),
        "current": round(chosen.after, digits),
        "p_value": float(f"{chosen.p_value:.3g}"),
        "points_before": before_n,
        "points_after": after_n,
    }
    return replace(series.evidence, figures={**series.evidence.figures, **figures})


def _priority(
    series: Series, chosen: ChangePoint, config: Config, s: RegressionsSettings
) -> Priority:
    if series.metric != "p95_ms":
        errors = config.thresholds.errors
        if chosen.after >= errors.critical_ratio:
            return "high"
        return "medium" if chosen.after >= errors.warning_ratio else "low"
    limits = config.thresholds.database if series.kind == "fingerprint" else config.thresholds.api
    rise = chosen.relative_change
    if rise >= s.high_relative_change or chosen.after >= limits.critical_ms:
        return "high"
    return "medium" if rise >= MEDIUM_RELATIVE_CHANGE or chosen.after > limits.warning_ms else "low"


def _subject(series: Series) -> str:
    if series.kind == "route":
        return f"endpoint {series.target}"
    if series.kind == "workflow":
        return f"workflow {series.target}"
    shape = series.evidence.fingerprint
    return f"statement {statement_label(shape)}" if shape else f"statement {series.target}"


def _value(series: Series, value: float) -> str:
    return f"{value:.1f} ms" if series.metric == "p95_ms" else f"{value:.1%}"


def _time(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
