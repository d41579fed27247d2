"""Transient outliers of a series, left out before change points are searched, placed and tested.

A change point separates two levels that each hold for at least ``min_points_per_segment``
points, so a deviation that lasts fewer points (a spike hour, a GC pause) cannot be one of
them. The local level is a running median of ``2 * size - 1`` points, which passes runs of
``size`` points or more unchanged (a median filter of half width k keeps every constant run of
k + 1 points) and erases shorter ones: a point far from it (more than ``CUTOFF`` robust
standard deviations) belongs to a shorter run, an outlier. Only those are flagged, so the noise
of ordinary points, which the tests measure, is left as it is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
# Robust standard deviations (1.4826 MAD of the residuals from the running median) beyond which
# a point is an outlier. Gaussian noise almost never reaches 5; a lower cutoff also trims the
# long tail of lognormal noise, unevenly where the level (so the spread) differs, which the
# tests then see as a change (3.0-3.5 gave more false alarms on the labelled suite; 4.5-8
# scored the same).
CUTOFF = 5.0
MAD_TO_SD = 1.4826
MEAN_TO_SD = 1.2533


def local_level(values: Floats, half: int) -> Floats:
    """Running median over ``2 * half + 1`` points; within ``half`` points of an end the window
    is the first (last) full one, so a spike at an end is not its own level."""
    width = 2 * half + 1
    if len(values) <= width:
        return np.full(len(values), float(np.median(values)))
    windows = np.lib.stride_tricks.sliding_window_view(values, width)
    middle = np.median(windows, axis=1)
    level: Floats = np.concatenate((np.full(half, middle[0]), middle, np.full(half, middle[-1])))
    return level


def outliers(values: Floats, size: int) -> npt.NDArray[np.bool_]:
    """Points that stand more than ``CUTOFF`` robust deviations from the running median of
    ``2 * size - 1`` points: deviations shorter than ``size`` points.

    Deviations are relative to the level when it is positive throughout: latency noise grows
    with the level, so after a doubling an absolute scale measured mostly before it would flag
    ordinary points (the first one after the step among them)."""
    level = local_level(values, max(size - 1, 1))
    residual = values - level
    if bool((level > 0).all()):
        residual = residual / level
    spread = MAD_TO_SD * float(np.median(np.abs(residual)))
    if spread == 0:
        # Most points on the running median: counts that are mostly 0 (a quiet endpoint's
        # failures), or exact levels. Flagging every other point would erase a change in how
        # often the rest occur; the mean deviation (x 1.2533 for a standard deviation) does not.
        spread = MEAN_TO_SD * float(np.mean(np.abs(residual)))
    result: npt.NDArray[np.bool_] = np.abs(residual) > CUTOFF * spread
    return result
