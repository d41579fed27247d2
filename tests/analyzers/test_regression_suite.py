"""The regression detector on a labeled synthetic suite: precision, recall, F1, false alarms.

The suite (seeded, so every run sees the same series):

- shapes: 3-5 days at 15-minute steps or 3-7 days at 1-hour steps (half of them with a daily
  swing of +-10-30 %, random phase), or 2-8 hours at 1-minute steps (no seasonality);
- latency series (3 in 4): a baseline of 20-800 ms (log-uniform) with Gaussian or lognormal
  noise of 5-20 % CV; error-ratio series (1 in 4): a baseline share of 2-30 % failed requests
  out of 100-1000 requests per point (binomial noise);
- half the series have one step of 5-50 % (up or down, 2 in 3 up) at a random position at
  least 10 % of the series from either end; the other half are change-free.

Labels: a step at least as large as both reporting minimums (10 % and 20 ms, or 2 percentage
points for error ratios) is a positive; it is found when a change point lies within 3 points of
it. Smaller steps are excluded from recall, and a change point within 3 points of one is not
counted as a false one (the change is real). Every other change point is a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from e2e_otel.analyzers.changepoint import Gates, detect
from e2e_otel.analyzers.registry import RegressionsSettings

SEED = 20_260_101
SERIES = 1_000
TOLERANCE = 5  # points
DAY_S = 86_400


@dataclass(frozen=True)
class Labeled:
    points: tuple[tuple[float, float], ...]
    step_at: int | None  # index of the first point after the step
    positive: bool  # a step large enough to be reported
    gates: Gates


def _gates(metric: str) -> Gates:
    s = RegressionsSettings()
    minimum = s.min_absolute_ms if metric == "p95_ms" else s.min_absolute_error_ratio
    return Gates(s.p_value, s.min_relative_change, minimum, s.min_points_per_segment)


def _make(rng: np.random.Generator, with_step: bool) -> Labeled:
    shape = rng.integers(3)
    if shape == 0:
        step_s, n = 900, int(rng.integers(3, 6)) * 96
    elif shape == 1:
        step_s, n = 3_600, int(rng.integers(3, 8)) * 24
    else:
        step_s, n = 60, int(rng.integers(2, 9)) * 60
    times = 1_767_225_600 + step_s * np.arange(n, dtype=np.float64)
    level = np.ones(n)
    step_at = None
    size = 0.0
    if with_step:
        step_at = int(rng.integers(n // 10, n - n // 10))
        size = float(rng.uniform(0.05, 0.5)) * (1 if rng.random() < 2 / 3 else -1)
        level[step_at:] *= 1 + size
    if shape < 2 and rng.random() < 0.5:
        phase = rng.uniform(0, 2 * np.pi)
        level *= 1 + rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * times / DAY_S + phase)
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
        tuple(zip(times.tolist(), values.tolist(), strict=True)), step_at, positive, gates
    )


@dataclass
class Tally:
    true_positives: int = 0
    false_negatives: int = 0
    false_positives: int = 0
    false_alarms_change_free: int = 0
    change_free: int = 0
    excluded: int = 0

    def add(self, case: Labeled, found: list[int]) -> None:
        near = [i for i in found if case.step_at is not None and abs(i - case.step_at) <= TOLERANCE]
        self.false_positives += len(found) - min(len(near), 1)
        if case.step_at is None:
            self.change_free += 1
            self.false_alarms_change_free += len(found)
        elif not case.positive:
            self.excluded += 1
        elif near:
            self.true_positives += 1
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


def test_labeled_suite_precision_recall_and_false_alarms() -> None:
    rng = np.random.default_rng(SEED)
    tally = Tally()
    for index in range(SERIES):
        case = _make(rng, with_step=index % 2 == 1)
        tally.add(case, [cp.index for cp in detect(case.points, case.gates)])
    print(
        f"\nregression suite: {SERIES} series, {tally.change_free} change-free, "
        f"{tally.true_positives + tally.false_negatives} positives, {tally.excluded} excluded "
        f"(step below the minimums); precision {tally.precision:.3f}, recall "
        f"{tally.recall:.3f}, F1 {tally.f1:.3f}, false alarms per 100 change-free series "
        f"{tally.false_alarms_per_100:.2f}"
    )
    assert tally.change_free >= 200
    assert tally.f1 >= 0.9
    assert tally.false_alarms_per_100 <= 1.0
