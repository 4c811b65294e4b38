"""Bootstrap intervals against hand-computed draws, and the verdicts on constructed intervals."""

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.metrics import Interval, verdict
from cnn_explain_tf.validation import InputError

# default_rng(0).integers(0, 3, (4, 3)): the documented draws of one stratum of 3 images.
DRAWS = [[2, 1, 1], [0, 0, 0], [0, 0, 0], [2, 1, 2]]


def test_resampling_draws_are_the_documented_ones():
    np.testing.assert_array_equal(cet.metrics.resample_indices([3], 4, seed=0)[0], DRAWS)
    first, second = cet.metrics.resample_indices([3, 2], 5, seed=7)
    assert first.shape == (5, 3) and second.shape == (5, 2)
    assert second.min() >= 0 and second.max() <= 1


def test_mean_interval_of_a_hand_computed_case():
    # values 1, 2, 4 -> resampled means 8/3, 1, 1, 10/3; sorted 1, 1, 8/3, 10/3; the 2.5 and 97.5
    # percentiles interpolate at positions 0.075 and 2.925: 1 and 8/3 + 0.925 * 2/3.
    interval = cet.metrics.mean_interval([[1.0, 2.0, 4.0]], resamples=4, seed=0)
    assert interval.estimate == pytest.approx(7 / 3)
    assert interval.low == pytest.approx(1.0)
    assert interval.high == pytest.approx(8 / 3 + 0.925 * 2 / 3)
    assert interval.text() == "2.33 [1.00, 3.28]"


def test_strata_are_averaged_per_stratum_and_nan_is_not_counted():
    # stratum means 2 (NaN skipped) and 10 -> 6; a constant stratum has no spread.
    interval = cet.metrics.mean_interval([[2.0, np.nan, 2.0], [10.0]], resamples=50)
    assert (interval.estimate, interval.low, interval.high) == (6.0, 6.0, 6.0)
    assert np.isnan(cet.metrics.mean_interval([[np.nan, np.nan]]).low)


def test_difference_is_paired_over_the_same_images():
    a = np.array([1.0, 5.0, 9.0, 2.0])
    # b = a - 1 per image: every resample of the pair differs by exactly 1, though a spreads.
    paired = cet.metrics.difference_interval([a], [a - 1], resamples=200, seed=3)
    assert (paired.estimate, paired.low, paired.high) == pytest.approx((1.0, 1.0, 1.0))
    assert cet.metrics.mean_interval([a], resamples=200, seed=3).high > 5
    with pytest.raises(InputError, match="strata_b: expected the strata and image counts"):
        cet.metrics.difference_interval([a], [a[:2]])


def test_bad_strata_and_levels_are_refused():
    with pytest.raises(InputError, match="strata: expected at least one stratum"):
        cet.metrics.mean_interval([])
    with pytest.raises(InputError, match=r"strata\[0\]: expected per-image values"):
        cet.metrics.mean_interval([[]])
    with pytest.raises(InputError, match="level: expected a coverage in"):
        cet.metrics.mean_interval([[1.0]], level=1.5)


@pytest.mark.parametrize(("low", "high", "better", "threshold", "expected"), [
    (-3.0, -1.0, "lower", 0.0, "met"),
    (1.0, 3.0, "lower", 0.0, "not met"),
    (-1.0, 2.0, "lower", 0.0, "within noise"),
    (0.0, 2.0, "lower", 0.0, "not met"),
    (51.0, 60.0, "higher", 50.0, "met"),
    (40.0, 50.0, "higher", 50.0, "not met"),
    (45.0, 55.0, "higher", 50.0, "within noise"),
])
def test_verdicts_of_constructed_intervals(low, high, better, threshold, expected):
    estimate = (low + high) / 2
    assert verdict(Interval(estimate, low, high), better, threshold) == expected


@pytest.mark.parametrize(("low", "high", "better", "strict", "inclusive"), [
    (0.95, 1.0, "higher", "within noise", "met"),
    (0.90, 0.95, "higher", "not met", "within noise"),
    (0.80, 0.949, "higher", "not met", "not met"),
    (0.96, 1.0, "higher", "met", "met"),
    (0.90, 0.95, "lower", "within noise", "met"),
    (0.95, 1.0, "lower", "not met", "within noise"),
])
def test_inclusive_verdicts_count_the_threshold_itself_as_better(low, high, better, strict,
                                                                  inclusive):
    interval = Interval((low + high) / 2, low, high)
    assert verdict(interval, better, 0.95) == strict
    assert verdict(interval, better, 0.95, inclusive=True) == inclusive


def test_verdict_of_nan_and_bad_direction():
    assert verdict(Interval(float("nan"), float("nan"), float("nan"))) == "n/a"
    with pytest.raises(InputError, match="better: expected one of"):
        verdict(Interval(1.0, 0.0, 2.0), "smaller")
