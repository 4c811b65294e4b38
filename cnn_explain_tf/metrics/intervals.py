"""Bootstrap confidence intervals over images, stratified by group, paired for differences."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from cnn_explain_tf.metrics._checks import nan_mean
from cnn_explain_tf.validation import InputError, check_choice, check_positive_int, describe

__all__ = ["VERDICTS", "Interval", "bootstrap_interval", "difference_interval", "mean_interval",
           "resample_indices", "verdict"]

VERDICTS = ("met", "not met", "within noise", "n/a")
"""What `verdict` concludes from an interval: the goal is met or not met beyond noise, the
interval straddles the threshold, or there is no number (NaN)."""


@dataclasses.dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile bootstrap interval.

    Attributes:
        estimate: the statistic on the data as measured.
        low, high: the interval's bounds (NaN when the statistic is NaN).
        level: the interval's coverage, e.g. 0.95.
    """

    estimate: float
    low: float
    high: float
    level: float = 0.95

    def text(self, decimals: int = 2) -> str:
        """"12.34 [11.02, 13.71]", or "n/a" for NaN."""
        if np.isnan(self.estimate):
            return "n/a"
        return (f"{self.estimate:.{decimals}f} [{self.low:.{decimals}f}, "
                f"{self.high:.{decimals}f}]")


def resample_indices(sizes: Sequence[int], resamples: int, seed: int = 0) -> list[np.ndarray]:
    """The bootstrap's draws: per stratum, (resamples, n) image indices drawn with replacement.

    One `numpy.random.default_rng(seed)` draws every stratum in order with
    `rng.integers(0, n, (resamples, n))`, so the same seed and sizes give the same draws.
    """
    resamples = check_positive_int("resamples", resamples)
    rng = np.random.default_rng(seed)
    return [rng.integers(0, check_positive_int("sizes", int(n)), (resamples, int(n)))
            for n in sizes]


def bootstrap_interval(strata: Sequence, weights: Sequence[float] = (1.0,), *,
                       resamples: int = 2000, level: float = 0.95, seed: int = 0) -> Interval:
    """Percentile bootstrap interval of a weighted sum of stratified means.

    Each stratum (e.g. one dataset x classifier pair) holds per-image values, one column per
    paired quantity (e.g. one method). The statistic is sum_j weights[j] * m_j, where m_j is the
    mean over strata of the stratum's mean of column j, NaN values not counted (as
    `metrics.AverageDrop` excludes images). Each resample redraws the images of every stratum
    with replacement (`resample_indices`), the same images for every column, so differences of
    columns are paired; the interval is the (1 - level) / 2 and (1 + level) / 2 percentiles of the
    resampled statistics (linear interpolation, NaN resamples ignored).

    Args:
        strata: per stratum an (n,) or (n, len(weights)) array of per-image values.
        weights: the contrast over the columns: (1,) for a mean, (1, -1) for a difference.
        resamples: number of bootstrap resamples.
        level: coverage in (0, 1).
        seed: seed of the resampling.

    Returns:
        The estimate on the data and its interval.

    Raises:
        InputError: no strata, a stratum without images, columns that do not match the weights,
            a level outside (0, 1).

    References:
        Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13 (percentile
        intervals) and Sec. 8.3 (stratified resampling).
    """
    columns = _check_strata(strata, len(weights))
    if not 0.0 < float(level) < 1.0:
        raise InputError(f"level: expected a coverage in (0, 1), got {describe(level)}")
    weights = np.asarray(weights, np.float64)
    estimate = float(_contrast([nan_mean(values, axis=0) for values in columns], weights))
    draws = resample_indices([len(values) for values in columns], resamples, seed)
    resampled = _contrast([nan_mean(values[index], axis=1)
                           for values, index in zip(columns, draws)], weights)
    if np.isnan(estimate) or np.all(np.isnan(resampled)):
        return Interval(estimate, float("nan"), float("nan"), float(level))
    low, high = np.nanpercentile(resampled, [50 * (1 - level), 50 * (1 + level)])
    return Interval(estimate, float(low), float(high), float(level))


def mean_interval(strata: Sequence, **options) -> Interval:
    """Interval of the mean over strata of the per-stratum means; see `bootstrap_interval`."""
    return bootstrap_interval(strata, (1.0,), **options)


def difference_interval(strata_a: Sequence, strata_b: Sequence, **options) -> Interval:
    """Paired interval of mean(a) - mean(b), the same images resampled for both; see
    `bootstrap_interval`.

    Raises:
        InputError: a and b with different strata or different images per stratum.
    """
    if len(strata_a) != len(strata_b) or any(
            np.shape(a)[:1] != np.shape(b)[:1] for a, b in zip(strata_a, strata_b)):
        raise InputError(f"strata_b: expected the strata and image counts of strata_a "
                         f"{[np.shape(a)[:1] for a in strata_a]}, got "
                         f"{[np.shape(b)[:1] for b in strata_b]}")
    paired = [np.stack([np.asarray(a, np.float64), np.asarray(b, np.float64)], axis=-1)
              for a, b in zip(strata_a, strata_b)]
    return bootstrap_interval(paired, (1.0, -1.0), **options)


def verdict(interval: Interval, better: str = "lower", threshold: float = 0.0,
            inclusive: bool = False) -> str:
    """Whether a goal "the statistic is `better` than `threshold`" holds beyond noise.

    "met" when the whole interval lies on the better side of the threshold, "not met" when it
    lies wholly on the other side, "within noise" when it contains the threshold, "n/a" when the
    statistic is NaN. The threshold itself counts as not better unless `inclusive`.

    Args:
        interval: e.g. the paired interval of LSFT's minus Grad-CAM's average drop.
        better: "lower" or "higher".
        threshold: the value to beat, e.g. 0 for a difference, 50 for a win %.
        inclusive: the threshold itself counts as better (a goal "at least 0.95").
    """
    check_choice("better", better, ("lower", "higher"))
    if np.isnan(interval.estimate) or np.isnan(interval.low):
        return "n/a"
    sign = 1.0 if better == "higher" else -1.0
    low, high = sorted((sign * (interval.low - threshold), sign * (interval.high - threshold)))
    if low > 0 or (inclusive and low == 0):
        return "met"
    if high < 0 or (not inclusive and high == 0):
        return "not met"
    return "within noise"


def _check_strata(strata: Sequence, width: int) -> list[np.ndarray]:
    if len(strata) == 0:
        raise InputError("strata: expected at least one stratum of per-image values, got none")
    columns = []
    for i, values in enumerate(strata):
        array = np.asarray(values, np.float64)
        array = array[:, None] if array.ndim == 1 else array
        if array.ndim != 2 or array.shape[1] != width or len(array) == 0:
            raise InputError(f"strata[{i}]: expected per-image values of shape (n >= 1, {width})"
                             f" or (n,) for a single column, got {describe(values)}")
        columns.append(array)
    return columns


def _contrast(means: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """sum_j weights[j] * (mean over strata of column j): (..., columns) -> (...)."""
    return np.asarray(nan_mean(np.stack(means), axis=0) @ weights, np.float64)
