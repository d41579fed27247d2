"""The regression detector on a labeled synthetic suite: precision, recall, F1, false alarms,
time error.

The suite (seeded, so every run sees the same series; the generator is below, nothing is read
from elsewhere):

- shapes: 3-5 days at 15-minute steps, 3-7 days at 1-hour steps, 21-28 days at 1-hour steps
  (weekday/weekend levels: the weekend at 0.6-0.9 or 1.15-1.4 times the weekdays, starting at a
  random hour of Saturday as a time zone would), or 2-8 hours at 1-minute steps. Half of the
  day-long shapes have a daily swing of +-10-30 % (random phase);
- latency series (3 in 4): a baseline of 20-800 ms (log-uniform) with Gaussian or lognormal
  noise of 5-20 % CV; error-ratio series (1 in 4): a baseline share of 2-30 % failed requests
  out of 100-1000 requests per point (binomial noise);
- outliers in half of the series: one-hour spikes of 2-4 times the level, 2-8 per week at
  random hours (deploy blips, cron bursts); on the minute shape 0-3 single-minute spikes (GC
  pauses). A spike in an error-ratio series multiplies the share of failures;
- half the series have one step of 5-50 % (up or down, 2 in 3 up) at a random position at
  least 10 % of the series from either end; the other half are change-free.

Labels: a step at least as large as both reporting minimums (10 % and 20 ms, or 2 percentage
points for error ratios) is a positive; it is found when a change point lies within the margin
of it: 3 hours, or 5 points on the minute shape (whose series last only 2-8 hours). Smaller
steps are excluded from recall, and a change point within the margin of one is not counted as
a false one (the change is real). Every other change point is a false alarm.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np
import pytest

from e2e_otel.analyzers.changepoint import Gates, detect
from e2e_otel.analyzers.registry import RegressionsSettings

SEED = 20_260_101
SERIES = 1_200
HOUR_S = 3_600
DAY_S = 86_400
WEEK_S = 7 * DAY_S
START = 1_767_225_600  # 2026-01-01 00:00 UTC, a Thursday
SATURDAY = START + 2 * DAY_S


@dataclass(frozen=True)
class Labeled:
    times: list[float]
    points: tuple[tuple[float, float], ...]
    step_at: int | None  # index of the first point after the step
    positive: bool  # a step large enough to be reported
    gates: Gates
    margin_s: float
    spiky: bool
    flat: bool  # no step, no daily or weekly pattern


def _gates(metric: str) -> Gates:
    s = RegressionsSettings()
    minimum = s.min_absolute_ms if metric == "p95_ms" else s.min_absolute_error_ratio
    return Gates(s.p_value, s.min_relative_change, minimum, s.min_points_per_segment)


def _spikes(rng: np.random.Generator, times: np.ndarray, step_s: int) -> np.ndarray:
    """Multipliers of the level: 1, or 2-4 during each spike."""
    factor = np.ones(len(times))
    span = times[-1] - times[0] + step_s
    if step_s == 60:
        count, width = int(rng.integers(0, 4)), 60
    else:
        count, width = int(rng.poisson(rng.uniform(2, 8) * span / WEEK_S)), HOUR_S
    for start in rng.uniform(times[0], times[-1], count):
        hit = (times >= start) & (times < start + width)
        if not hit.any():  # a spike shorter than a step lands on the nearest point
            hit[int(np.argmin(np.abs(times - start)))] = True
        factor[hit] *= rng.uniform(2, 4)
    return factor


def _make(rng: np.random.Generator, with_step: bool) -> Labeled:
    shape = rng.integers(4)
    if shape == 0:
        step_s, n = 900, int(rng.integers(3, 6)) * 96
    elif shape == 1:
        step_s, n = HOUR_S, int(rng.integers(3, 8)) * 24
    elif shape == 2:
        step_s, n = HOUR_S, int(rng.integers(21, 29)) * 24
    else:
        step_s, n = 60, int(rng.integers(2, 9)) * 60
    times = START + step_s * np.arange(n, dtype=np.float64)
    level = np.ones(n)
    step_at = None
    size = 0.0
    if with_step:
        step_at = int(rng.integers(n // 10, n - n // 10))
        size = float(rng.uniform(0.05, 0.5)) * (1 if rng.random() < 2 / 3 else -1)
        level[step_at:] *= 1 + size
    seasonal = shape < 3 and rng.random() < 0.5
    if seasonal:
        phase = rng.uniform(0, 2 * np.pi)
        level *= 1 + rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * times / DAY_S + phase)
    if shape == 2:
        weekend = rng.uniform(0.6, 0.9) if rng.random() < 0.5 else rng.uniform(1.15, 1.4)
        since = (times - SATURDAY - rng.integers(-10, 11) * HOUR_S) % WEEK_S
        level *= np.where(since < 2 * DAY_S, weekend, 1.0)
    spiky = rng.random() < 0.5
    if spiky:
        level *= _spikes(rng, times, step_s)
    if rng.random() < 0.75:
        metric, base = "p95_ms", float(np.exp(rng.uniform(np.log(20), np.log(800))))
        cv = rng.uniform(0.05, 0.2)
        if rng.random() < 0.5:
            noise = rng.normal(1, cv, n)
        else:
            sigma = np.sqrt(np.log(1 + cv**2))
            noise = rng.lognormal(-(sigma**2) / 2, sigma, n)
        values = base * level * noise
    else:
        metric, base = "error_ratio", float(rng.uniform(0.02, 0.3))
        requests = rng.integers(100, 1_001, n)
        values = rng.binomial(requests, np.clip(base * level, 0, 1)) / requests
    gates = _gates(metric)
    change = abs(size) * base
    positive = with_step and abs(size) >= gates.min_relative_change and change >= gates.min_absolute
    return Labeled(
        times.tolist(),
        tuple(zip(times.tolist(), values.tolist(), strict=True)),
        step_at,
        positive,
        gates,
        5 * step_s if step_s == 60 else 3 * HOUR_S,
        spiky,
        not with_step and not seasonal and shape != 2,
    )


@dataclass
class Tally:
    true_positives: int = 0
    false_negatives: int = 0
    false_positives: int = 0
    false_alarms_change_free: int = 0
    change_free: int = 0
    false_alarms_flat_spiky: int = 0
    flat_spiky: int = 0
    excluded: int = 0
    time_errors_s: list[float] = field(default_factory=list)

    def add(self, case: Labeled, found: list[int]) -> None:
        at = None if case.step_at is None else case.times[case.step_at]
        errors = sorted(
            abs(case.times[i] - at)
            for i in found
            if at is not None and abs(case.times[i] - at) <= case.margin_s
        )
        self.false_positives += len(found) - min(len(errors), 1)
        if case.step_at is None:
            self.change_free += 1
            self.false_alarms_change_free += len(found)
            if case.flat and case.spiky:
                self.flat_spiky += 1
                self.false_alarms_flat_spiky += len(found)
        elif not case.positive:
            self.excluded += 1
        elif errors:
            self.true_positives += 1
            self.time_errors_s.append(errors[0])
        else:
            self.false_negatives += 1

    @property
    def precision(self) -> float:
        return self.true_positives / max(self.true_positives + self.false_positives, 1)

    @property
    def recall(self) -> float:
        return self.true_positives / max(self.true_positives + self.false_negatives, 1)

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / max(self.precision + self.recall, 1e-12)

    @property
    def false_alarms_per_100(self) -> float:
        return 100 * self.false_alarms_change_free / max(self.change_free, 1)

    @property
    def median_time_error_s(self) -> float:
        return statistics.median(self.time_errors_s) if self.time_errors_s else 0.0


def run_suite(seed: int = SEED, series: int = SERIES) -> Tally:
    """The tally of the detector on the suite's series (odd ones have a step)."""
    rng = np.random.default_rng(seed)
    tally = Tally()
    for index in range(series):
        case = _make(rng, with_step=index % 2 == 1)
        tally.add(case, [cp.index for cp in detect(case.points, case.gates)])
    return tally


@pytest.mark.parametrize("seed", [SEED, 2])
def test_labeled_suite_precision_recall_and_false_alarms(seed: int) -> None:
    tally = run_suite(seed)
    print(
        f"\nregression suite (seed {seed}): {SERIES} series, {tally.change_free} change-free "
        f"({tally.flat_spiky} flat with spikes), {tally.true_positives + tally.false_negatives} "
        f"positives, {tally.excluded} excluded (step below the minimums); precision "
        f"{tally.precision:.3f}, recall {tally.recall:.3f}, F1 {tally.f1:.3f}, false alarms "
        f"per 100 change-free series {tally.false_alarms_per_100:.2f} (on flat series with "
        f"spikes: {tally.false_alarms_flat_spiky}), median time error "
        f"{tally.median_time_error_s / 60:.0f} min"
    )
    assert tally.change_free >= 200 and tally.flat_spiky >= 50
    # Seed 20260101: F1 0.931, 0.17 false alarms per 100, none on the 159 flat spiky series;
    # seed 2: F1 0.942, 0.33, none on 174; median time error 0 on both (docs/analyzers.md).
    # The goal of F1 0.95 is at the limit of this suite: an oracle that divides by the
    # generator's own daily and weekly factors, drops the outliers and is told that a series
    # has exactly one step misses 21-24 of the 370 positives of seed 20260101 (8 measure below
    # a reporting minimum even at the true step; 14-17 are placed more than 3 hours off by
    # least squares on the logs, least squares or least absolute deviations), so its F1 is at
    # most 0.945-0.954 (0.936-0.970 on eleven other seeds): small steps in 20 % noise at
    # hourly points cannot be placed within 3 points. One false alarm on the ~1,800 flat
    # spiky series of twelve seeds at p < 0.003 (six at p < 0.01, plain noise: no more
    # frequent than on flat series without spikes).
    assert tally.f1 >= 0.925
    assert tally.false_alarms_per_100 <= 0.5
    assert tally.false_alarms_flat_spiky == 0
    assert tally.median_time_error_s <= HOUR_S
