"""Change points in a series: E-divisive means with Student's gates, as Apache Otava does it.

1. Daily seasonality is divided out first when the series spans two days or more (see
   :func:`deseasonalize`), so a busy afternoon is not taken for a regression.
2. Binary segmentation: the best split of a segment maximizes the energy distance between its
   left and right parts (Matteson & James' e-divisive statistic, alpha = 1, on the exact
   pairwise distances, so no permutation test and no randomness); a split is kept when it
   passes every gate: Welch's t-test between the parts gives p below ``p_value`` (after the
   search correction in :func:`_test`), and the means differ by ``min_relative_change`` and
   ``min_absolute``. Both parts are then split again.
3. Each kept split is moved to the least-squares position of a mean shift between its
   neighbours (:func:`_refine`), then every change point is re-tested against the segments
   between it and its final neighbours; the weakest one that fails a gate is dropped and the
   rest re-tested, until all pass.

Cost: a segment of n points needs its n x n distance matrix; :mod:`.regressions` caps n.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

from e2e_otel.analyzers.models import ChangePoint

Floats = npt.NDArray[np.float64]
DAY_S = 86_400.0
# The daily profile at a time of day is the median over the days of the ratios within this
# many seconds (and at least one step) either side: a few days alone give too few values.
PROFILE_HALF_WIDTH_S = 1_800.0


@dataclass(frozen=True)
class Gates:
    """What a change must pass to be reported: significance, size, and support."""

    p_value: float = 0.01
    min_relative_change: float = 0.10  # |after - before| / before
    min_absolute: float = 20.0  # |after - before|, in the series' unit
    min_points_per_segment: int = 5


def detect(points: Sequence[tuple[float, float]], gates: Gates) -> tuple[ChangePoint, ...]:
    """Confirmed change points of ``points`` ((unix s, value), ascending), in time order.

    ``before`` and ``after`` are means of the original values between the neighbouring change
    points; the gates are applied to the deseasonalized values.
    """
    size = max(gates.min_points_per_segment, 2)
    if len(points) < 2 * size:
        return ()
    times = np.fromiter((t for t, _ in points), np.float64, len(points))
    values = np.fromiter((v for _, v in points), np.float64, len(points))
    signal = deseasonalize(times, values)
    kept = _segment(signal, size, gates)
    if kept and signal is not values:
        # The rolling median blurs a step over a day, which bends the profile near it: a
        # second pass with the level cut at the changes found keeps their edges sharp.
        signal = deseasonalize(times, values, kept)
        kept = _segment(signal, size, gates)
    bounds = [0, *kept, len(points)]
    return tuple(
        ChangePoint(
            index=cut,
            at_unix_s=float(times[cut]),
            before=float(values[lo:cut].mean()),
            after=float(values[cut:hi].mean()),
            p_value=_test(signal, lo, cut, hi, gates).p_value,
        )
        for lo, cut, hi in zip(bounds, bounds[1:], bounds[2:], strict=False)
    )


def deseasonalize(times: Floats, values: Floats, cuts: Sequence[int] = ()) -> Floats:
    """``values`` divided by their daily profile when they span two days or more, else
    ``values`` itself.

    The profile at a time of day is the median, over the days, of value / level within half an
    hour either side (at least one step); medians shrug off outliers, and dividing (rather than
    subtracting) keeps a daily swing of +-30 % the same share of the level after a regression.
    The level is a centred one-day rolling median, which follows a step once the step fills
    most of its window; given ``cuts`` (change points already found), the level is instead the
    median of the first pass's result between them, which follows a step at once.
    """
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    if times[-1] - times[0] < 2 * DAY_S or not 0 < step <= DAY_S / 4:
        return values
    if cuts:
        first = deseasonalize(times, values)
        bounds = [0, *cuts, len(values)]
        level = np.concatenate(
            [np.full(hi - lo, np.median(first[lo:hi])) for lo, hi in itertools.pairwise(bounds)]
        )
    else:
        half = round(DAY_S / step) // 2
        padded = np.pad(values, half, constant_values=np.nan)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
        level = np.nanmedian(windows, axis=1)
    count = round(DAY_S / step)
    slots = np.round((times % DAY_S) / step).astype(np.int64) % count
    reach = max(1, round(PROFILE_HALF_WIDTH_S / step))
    usable = level > 0
    ratio = np.divide(values, level, out=np.full_like(values, np.nan), where=usable)
    factors = np.ones(count)
    for slot in np.unique(slots):
        distance = np.abs(slots - slot)
        seen = ratio[(np.minimum(distance, count - distance) <= reach) & usable]
        factor = float(np.median(seen)) if len(seen) else 1.0
        factors[slot] = factor if factor > 0 else 1.0
    result: Floats = values / factors[slots]
    return result


def energy_split(x: Floats, size: int) -> int:
    """The split ``tau`` (left = x[:tau]) with ``size`` <= tau <= len(x) - size maximizing the
    e-divisive statistic tau * m / n * (2 E|L - R| - E|L - L'| - E|R - R'|), m = n - tau; the
    first one on ties."""
    n = len(x)
    distances = np.abs(x[:, None] - x[None, :])
    # Pair sums within the left part (x[:tau]) and within the right part (x[tau:]) for every
    # tau, from running sums of the strict lower and upper triangles.
    lower_rows = np.tril(distances, -1).sum(axis=1)
    upper_rows = np.triu(distances, 1).sum(axis=1)
    within_left = np.concatenate(([0.0], np.cumsum(lower_rows)))
    within_right = np.concatenate((np.cumsum(upper_rows[::-1])[::-1], [0.0]))
    tau = np.arange(size, n - size + 1)
    m = n - tau
    left, right = within_left[tau], within_right[tau]
    cross = within_left[n] - left - right
    statistic = (tau * m / n) * (
        2 * cross / (tau * m) - left / (tau * (tau - 1) / 2) - right / (m * (m - 1) / 2)
    )
    return int(tau[int(np.argmax(statistic))])


def welch(left: Floats, right: Floats) -> float:
    """Two-sided p value of Welch's t-test; two constant parts give 0 if their levels differ,
    1 if not (scipy would say NaN)."""
    if np.ptp(left) == 0 and np.ptp(right) == 0:
        return 0.0 if left[0] != right[0] else 1.0
    result = stats.ttest_ind(left, right, equal_var=False)
    p = float(result.pvalue)
    return p if np.isfinite(p) else 1.0


class _Test(NamedTuple):
    p_value: float
    change: float  # |after - before| of the deseasonalized means
    passed: bool


def _test(signal: Floats, lo: int, cut: int, hi: int, gates: Gates) -> _Test:
    before, after = float(signal[lo:cut].mean()), float(signal[cut:hi].mean())
    # The split is the best of all candidate positions, so its raw p value is optimistic:
    # scaling it by ln(candidates) brings false alarms on noisy change-free series (CV 20 %)
    # from about 10 to about 3 in 100 and costs little recall (docs/analyzers.md).
    candidates = hi - lo - 2 * max(gates.min_points_per_segment, 2) + 1
    p = min(1.0, welch(signal[lo:cut], signal[cut:hi]) * max(1.0, math.log(max(candidates, 1))))
    change = abs(after - before)
    relative = change / abs(before) if before else math.inf if change else 0.0
    large = change >= gates.min_absolute and relative >= gates.min_relative_change
    return _Test(p, change, p < gates.p_value and large)


def _split(signal: Floats, size: int, gates: Gates) -> list[int]:
    found: list[int] = []
    pending = [(0, len(signal))]
    while pending:
        lo, hi = pending.pop()
        if hi - lo < 2 * size:
            continue
        cut = lo + energy_split(signal[lo:hi], size)
        if _test(signal, lo, cut, hi, gates).passed:
            found.append(cut)
            pending += [(lo, cut), (cut, hi)]
    return sorted(found)


def _refine(signal: Floats, cuts: list[int], size: int) -> list[int]:
    """Each cut moved, left to right, to the least-squares position of a single mean shift
    between its (already refined) left neighbour and its right one: for a step in noise that
    locates the step more precisely than the energy statistic does."""
    ends = [*cuts[1:], len(signal)]
    out: list[int] = []
    for hi in ends:
        lo = out[-1] if out else 0
        n = hi - lo
        sums = np.concatenate(([0.0], np.cumsum(signal[lo:hi])))
        tau = np.arange(size, n - size + 1)
        shift = sums[tau] / tau - (sums[n] - sums[tau]) / (n - tau)
        out.append(lo + int(tau[int(np.argmax(tau * (n - tau) / n * shift**2))]))
    return out


def _segment(signal: Floats, size: int, gates: Gates) -> list[int]:
    kept = _split(signal, size, gates)
    if kept:
        kept = _refine(signal, kept, size)
    while kept:
        bounds = [0, *kept, len(signal)]
        tests = [
            _test(signal, lo, cut, hi, gates)
            for lo, cut, hi in zip(bounds, bounds[1:], bounds[2:], strict=False)
        ]
        failing = [(t.p_value, -t.change, i) for i, t in enumerate(tests) if not t.passed]
        if not failing:
            break
        del kept[max(failing)[2]]
    return kept
