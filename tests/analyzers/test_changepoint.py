from __future__ import annotations

import numpy as np
import pytest

from e2e_otel.analyzers.changepoint import (
    DAY_S,
    Gates,
    deseasonalize,
    detect,
    energy_split,
    lad_split,
)
from e2e_otel.analyzers.changepoint_outliers import outliers

STEP_S = 60.0


def _points(values: np.ndarray) -> list[tuple[float, float]]:
    return [(1_767_225_600 + STEP_S * i, float(v)) for i, v in enumerate(values)]


def _noisy(levels: list[tuple[int, float]], cv: float = 0.05, seed: int = 1) -> np.ndarray:
    """Gaussian noise of ``cv`` around piecewise levels given as (points, level)."""
    rng = np.random.default_rng(seed)
    base = np.concatenate([np.full(n, level) for n, level in levels])
    result: np.ndarray = base * rng.normal(1, cv, len(base))
    return result


def test_a_clean_step_is_found_at_its_index() -> None:
    (step,) = detect(_points(_noisy([(40, 100.0), (40, 150.0)])), Gates())
    assert step.index == 40 and step.direction == "up"
    assert step.at_unix_s == 1_767_225_600 + 40 * STEP_S
    assert step.before == pytest.approx(100, rel=0.03) and step.after == pytest.approx(
        150, rel=0.03
    )
    assert step.relative_change == pytest.approx(0.5, abs=0.05) and step.p_value < 1e-10


def test_flat_noisy_series_have_no_change_point() -> None:
    alarms = [
        seed
        for seed in range(20)
        if detect(_points(_noisy([(200, 300.0)], cv=0.1, seed=seed)), Gates())
    ]
    assert alarms == []


def test_a_step_below_the_relative_minimum_is_not_reported() -> None:
    # 5 % of 1000 ms is 50 ms, over the absolute minimum, and very significant at this noise.
    values = _noisy([(100, 1000.0), (100, 1050.0)], cv=0.005)
    assert detect(_points(values), Gates()) == ()
    (found,) = detect(_points(values), Gates(min_relative_change=0.04))
    assert found.index == 100


def test_a_step_below_the_absolute_minimum_is_not_reported() -> None:
    values = _noisy([(50, 50.0), (50, 65.0)], cv=0.01)  # +30 % but only 15 ms
    assert detect(_points(values), Gates()) == ()
    assert len(detect(_points(values), Gates(min_absolute=10))) == 1


def test_the_p_value_gate() -> None:
    # A 20 % step buried in 30 % noise over few points: real, but not proven at p < 0.001.
    values = _noisy([(12, 100.0), (12, 120.0)], cv=0.3, seed=3)
    assert detect(_points(values), Gates(p_value=0.001)) == ()
    assert len(detect(_points(values), Gates(p_value=0.9))) == 1


def test_two_steps_are_both_found() -> None:
    found = detect(_points(_noisy([(30, 100.0), (30, 200.0), (30, 120.0)])), Gates())
    assert [(cp.index, cp.direction) for cp in found] == [(30, "up"), (60, "down")]
    assert found[0].after == pytest.approx(found[1].before)


def test_each_segment_needs_the_minimum_points() -> None:
    # A big step 4 points from the end: too few points after it to confirm.
    values = _noisy([(60, 100.0), (4, 300.0)])
    assert detect(_points(values), Gates()) == ()
    (found,) = detect(_points(values), Gates(min_points_per_segment=4))
    assert found.index == 60
    assert detect(_points(values[:9]), Gates()) == ()  # shorter than two segments


def test_constant_levels_give_an_exact_answer() -> None:
    (found,) = detect(_points(np.array([10.0] * 10 + [40.0] * 10)), Gates())
    assert (found.index, found.p_value) == (10, 0.0)
    assert detect(_points(np.array([10.0] * 20)), Gates()) == ()


def test_energy_split_maximizes_the_statistic() -> None:
    x = np.array([1.0, 1, 1, 1, 1, 1, 5, 5, 5, 5])
    assert energy_split(x, 2) == 6


def test_lad_split_is_not_pulled_by_a_spike() -> None:
    x = np.array([1.0] * 8 + [3.0] * 8)
    x[5] = 50.0  # three points before the step
    assert lad_split(x, 2) == 8
    # Least squares puts the split right after the spike: its squared distance outweighs
    # the two points of the lower level it then counts as the higher one.
    squares = [
        ((x[:t] - x[:t].mean()) ** 2).sum() + ((x[t:] - x[t:].mean()) ** 2).sum()
        for t in range(2, 15)
    ]
    assert 2 + int(np.argmin(squares)) == 6


def test_daily_seasonality_is_not_a_regression_and_a_step_inside_it_is_found() -> None:
    rng = np.random.default_rng(4)
    times = 1_767_225_600 + 900 * np.arange(4 * 96, dtype=np.float64)
    season = 1 + 0.3 * np.sin(2 * np.pi * times / DAY_S)
    plain = 200 * season * rng.normal(1, 0.05, len(times))
    points = list(zip(times.tolist(), plain.tolist(), strict=True))
    assert detect(points, Gates()) == ()
    # Without the seasonal adjustment the swing itself would be "found".
    assert detect(points[:96], Gates()) != ()
    stepped = plain * np.where(np.arange(len(times)) >= 200, 1.25, 1.0)
    (found,) = detect(list(zip(times.tolist(), stepped.tolist(), strict=True)), Gates())
    assert abs(found.index - 200) <= 3 and found.direction == "up"


def test_only_series_of_two_days_or_more_are_deseasonalized() -> None:
    times = np.arange(60, dtype=np.float64) * 3600
    values = 100 * (1 + 0.2 * np.sin(2 * np.pi * times / DAY_S))
    # 47 hourly points cover 47 hours; 48 cover two days.
    assert np.array_equal(deseasonalize(times[:47], values[:47]), values[:47])
    assert not np.array_equal(deseasonalize(times[:48], values[:48]), values[:48])
    adjusted = deseasonalize(times, values)
    assert np.ptp(adjusted) < 0.25 * np.ptp(values)  # the swing is mostly gone


def test_a_spike_next_to_a_step_does_not_move_it() -> None:
    # A 4x outlier hour two points before a step: a least-squares position would move onto it.
    values = _noisy([(60, 100.0), (60, 130.0)], cv=0.05, seed=7)
    values[57] = 400.0
    (found,) = detect(_points(values), Gates())
    # Ranks count the spike as one high point, not as its size: it is placed within 3 points.
    assert abs(found.index - 60) <= 3
    assert found.before == pytest.approx(100, rel=0.03)  # medians: the spike does not count


def test_isolated_spikes_on_a_flat_series_do_not_attract_change_points() -> None:
    rng = np.random.default_rng(8)
    alarms = 0
    for _ in range(20):
        values = _noisy([(200, 300.0)], cv=0.1, seed=int(rng.integers(1_000)))
        spikes = rng.choice(np.arange(10, 190), 6, replace=False)
        values[spikes] *= rng.uniform(2, 4, 6)
        alarms += len(detect(_points(values), Gates()))
    assert alarms == 0


def test_a_spike_hour_at_the_start_is_not_a_level() -> None:
    # Four points at 3x right after the first one (a spike hour at 15-minute steps): before,
    # they and the first point made a five-point segment "0.7 lower after", in 11 draws of 20.
    for seed in range(20):
        values = _noisy([(200, 300.0)], cv=0.1, seed=seed)
        values[1:5] *= 3
        assert detect(_points(values), Gates()) == (), seed


def test_a_deviation_is_a_level_once_it_lasts_the_minimum_points() -> None:
    four = _noisy([(196, 300.0), (4, 900.0)], cv=0.05)
    assert outliers(four, 5)[-4:].all() and not outliers(four, 5)[:-4].any()
    assert detect(_points(four), Gates()) == ()
    five = _noisy([(195, 300.0), (5, 900.0)], cv=0.05)
    assert not outliers(five, 5).any()
    (found,) = detect(_points(five), Gates())
    assert found.index == 195 and found.after == pytest.approx(900, rel=0.05)


def test_outliers_are_judged_relative_to_the_level() -> None:
    # Noise of 5 % of the level: 10 ms at 200 ms is ordinary where 10 ms at 100 ms is 2 %
    # off; an absolute scale, measured mostly on the lower half, flagged points of the upper.
    values = _noisy([(100, 100.0), (100, 200.0)], cv=0.05, seed=4)
    assert not outliers(values, 5).any()
    values[150] *= 2
    assert np.flatnonzero(outliers(values, 5)).tolist() == [150]


def test_a_weekend_level_is_not_a_change_over_three_weeks() -> None:
    rng = np.random.default_rng(9)
    times = 1_767_225_600 + 3600 * np.arange(21 * 24, dtype=np.float64)
    weekend = ((times - 1_767_225_600) // DAY_S % 7 >= 2) & (
        (times - 1_767_225_600) // DAY_S % 7 < 4
    )
    values = 200 * np.where(weekend, 0.7, 1.0) * rng.normal(1, 0.05, len(times))
    assert detect(list(zip(times.tolist(), values.tolist(), strict=True)), Gates()) == ()


def test_sparse_values_are_not_all_outliers() -> None:
    # Failures of a quiet endpoint: most points 0, so the median deviation is 0 too. Every
    # nonzero point flagged against it would erase a change in how often they occur.
    rng = np.random.default_rng(5)
    values = np.where(rng.random(200) < 0.3, 0.25, 0.0)
    assert not outliers(values, 5).any()
    values[100] = 5.0
    assert np.flatnonzero(outliers(values, 5)).tolist() == [100]
