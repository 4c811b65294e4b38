"""Sparseness, complexity and effective complexity against hand-computed values."""

import numpy as np
import pytest

import cnn_explain_tf as cet

ONE_HOT = np.zeros((1, 4, 4), np.float32)
ONE_HOT[0, 2, 1] = 3.0
UNIFORM = np.full((1, 4, 4), 0.25, np.float32)


def test_a_one_pixel_map_is_sparse_and_simple():
    assert cet.metrics.sparseness(ONE_HOT).scores[0] == pytest.approx(15 / 16)
    assert cet.metrics.complexity(ONE_HOT).scores[0] == pytest.approx(0.0, abs=1e-12)
    assert cet.metrics.effective_complexity(ONE_HOT).scores[0] == pytest.approx(1 / 16)


def test_a_uniform_map_is_dense_and_complex():
    assert cet.metrics.sparseness(UNIFORM).scores[0] == pytest.approx(0.0, abs=1e-7)
    assert cet.metrics.complexity(UNIFORM).scores[0] == pytest.approx(np.log(16))
    assert cet.metrics.effective_complexity(UNIFORM).scores[0] == pytest.approx(1.0)


def test_two_values_by_hand_and_the_directions():
    maps = np.zeros((1, 4, 4), np.float32)
    maps[0, 0, :2] = [1.0, -3.0]  # magnitudes 1 and 3 of a total of 4
    # Gini: sorted magnitudes 0 x 14, 1, 3 -> (2*15 - 17) * 1 + (2*16 - 17) * 3 = 58; / (16 * 4)
    assert cet.metrics.sparseness(maps).scores[0] == pytest.approx(58 / 64)
    assert cet.metrics.complexity(maps).scores[0] == pytest.approx(
        -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)))
    assert cet.metrics.effective_complexity(maps, eps=0.5).scores[0] == pytest.approx(1 / 16)
    assert cet.metrics.sparseness(maps).higher_is_better
    assert not cet.metrics.complexity(maps).higher_is_better


def test_an_all_zero_map_is_not_counted():
    zero = np.zeros((2, 4, 4), np.float32)
    result = cet.metrics.sparseness(np.concatenate([zero, ONE_HOT]))
    assert np.isnan(result.scores[:2]).all() and result.mean == pytest.approx(15 / 16)
