"""Localization metrics against hand-computed masks: binarize, Dice, rates, pointing game."""

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError

MAPS = np.array([[[0.9, 0.8, 0.1, 0.0],
                  [0.6, 0.2, 0.0, 0.0]],
                 [[0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 1.0]]], np.float32)
MASKS = np.array([[[1, 1, 1, 0],
                   [0, 0, 0, 0]],
                  [[0, 0, 0, 0],
                   [0, 0, 1, 1]]], np.float32)


def test_binarize_is_strictly_above_the_threshold():
    maps = np.array([[[127 / 255, 128 / 255, 0.0, 1.0]]], np.float32)
    np.testing.assert_array_equal(cet.metrics.binarize(maps), [[[False, True, False, True]]])
    np.testing.assert_array_equal(cet.metrics.binarize(maps, threshold=0.0),
                                  [[[True, True, False, True]]])


def test_dice_of_known_masks():
    # sample 0: P = {(0,0),(0,1),(1,0)}, G = {(0,0),(0,1),(0,2)}: 2*2/(3+3); sample 1: 2*1/(1+2)
    expected = np.array([4 / 6, 2 / 3])
    np.testing.assert_allclose(cet.metrics.dice(MAPS, MASKS, per_sample=True), expected, 1e-6)
    assert cet.metrics.dice(MAPS, MASKS) == pytest.approx(expected.mean())
    assert cet.metrics.dice(MASKS, MASKS) == 1.0
    assert cet.metrics.dice(np.zeros((1, 2, 2)), np.zeros((1, 2, 2))) == 1.0  # both empty


def test_localization_rates_of_known_maps():
    rates = cet.metrics.localization_rates(MAPS, MASKS, per_sample=True)
    # sample 0: |G|=3, |P∩G|=2, |¬G|=5, |P∩¬G|=1; sample 1: |G|=2, hit 1, |¬G|=6, none lit
    np.testing.assert_allclose(rates.tp, [2 / 3, 1 / 2], 1e-6)
    np.testing.assert_allclose(rates.fn, [1 / 3, 1 / 2], 1e-6)
    np.testing.assert_allclose(rates.fp, [1 / 5, 0.0], 1e-6)
    np.testing.assert_allclose(rates.tn, [4 / 5, 1.0], 1e-6)
    mean = cet.metrics.localization_rates(MAPS, MASKS)
    assert mean.tp == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_rates_skip_samples_without_foreground():
    masks = MASKS.copy()
    masks[1] = 0
    rates = cet.metrics.localization_rates(MAPS, masks, per_sample=True)
    assert np.isnan(rates.tp[1]) and rates.fp[1] == pytest.approx(1 / 8)
    assert cet.metrics.localization_rates(MAPS, masks).tp == pytest.approx(2 / 3)


def test_pointing_game_hits_misses_and_tolerance():
    maps = np.zeros((2, 5, 5), np.float32)
    maps[0, 1, 1] = maps[1, 4, 4] = 1.0
    masks = np.zeros((2, 5, 5), bool)
    masks[:, 0:2, 0:2] = True
    np.testing.assert_array_equal(cet.metrics.pointing_game(maps, masks, per_sample=True), [1, 0])
    assert cet.metrics.pointing_game(maps, masks) == 0.5
    # (4,4) is sqrt(3^2 + 3^2) = 4.24 pixels from (1,1)
    assert cet.metrics.pointing_game(maps, masks, tolerance=4.3) == 1.0
    assert cet.metrics.pointing_game(maps, masks, tolerance=4.2) == 0.5


def test_background_error_is_the_mean_heat_on_the_background():
    # sample 0: background heat 0.0+0.6+0.2+0.0+0.0 = 0.8 over 5 pixels; sample 1: 0 over 6
    np.testing.assert_allclose(cet.metrics.background_error(MAPS, MASKS, per_sample=True),
                               [0.8 / 5, 0.0], 1e-6)
    assert cet.metrics.background_error(MASKS, MASKS) == 0.0
    assert cet.metrics.background_error(1 - MASKS, MASKS) == 1.0


@pytest.mark.parametrize("metric", [cet.metrics.dice, cet.metrics.localization_rates,
                                    cet.metrics.pointing_game, cet.metrics.background_error])
def test_shape_mismatch_and_empty_sets_are_refused(metric):
    with pytest.raises(InputError, match=r"gt_masks|b: expected the shape"):
        metric(MAPS, MASKS[:, :, :3])
    with pytest.raises(InputError, match="empty"):
        metric(MAPS[:0], MASKS[:0])


def test_bad_threshold_and_tolerance_are_refused():
    with pytest.raises(InputError, match=r"threshold: expected a number in \[0, 1\], got 2"):
        cet.metrics.binarize(MAPS, threshold=2)
    with pytest.raises(InputError, match="tolerance"):
        cet.metrics.pointing_game(MAPS, MASKS, tolerance=-1)
    with pytest.raises(TypeError, match="maps: expected an array-like of numbers"):
        cet.metrics.binarize(np.array([["a"]]))
