"""Tests for Fill in the blanks' masks M and fill transform T against hand-computed arrays."""

import numpy as np
import pytest
import tensorflow as tf

from cnn_explain_tf.probes.fill_blanks import masks
from cnn_explain_tf.validation import InputError

SEED = tf.constant([3, 4], tf.int32)


def test_random_masks_blank_exactly_the_ratio_of_patches():
    drawn = masks.random_masks(SEED, 50, (4, 4), 4, blanks=4).numpy()
    assert drawn.shape == (50, 16, 16) and set(np.unique(drawn)) == {0.0, 1.0}
    np.testing.assert_array_equal((drawn == 0).sum(axis=(1, 2)), 4 * 16)
    patches = drawn.reshape(50, 4, 4, 4, 4)  # every 4x4 patch is wholly kept or wholly blank
    assert np.all(patches.min(axis=(2, 4)) == patches.max(axis=(2, 4)))
    assert len({m.tobytes() for m in drawn}) > 40  # random, not one mask repeated


def test_progressive_masks_are_disjoint_and_cover_the_image():
    drawn = masks.progressive_masks(SEED, 10, (5, 5), 2, steps=4).numpy()
    assert drawn.shape == (10, 4, 10, 10)
    np.testing.assert_array_equal((1 - drawn).sum(axis=1), 1.0)  # each pixel blank exactly once
    sizes = (drawn == 0).sum(axis=(2, 3)) // 4
    assert sizes.min() >= 6 and sizes.max() <= 7  # 25 patches in 4 balanced groups


def test_threshold_fill_normalises_over_the_region_only():
    directions = tf.constant([1.0, 2.0, 3.0, 40.0])[None, None, :, None]
    region = tf.constant([1.0, 1.0, 1.0, 0.0])[None, None, :, None]
    binary = masks.threshold_fill(directions, region).numpy().ravel()
    soft = masks.threshold_fill(directions, region, binarize=False).numpy().ravel()
    np.testing.assert_allclose(binary, [0, 1, 1, 0])
    np.testing.assert_allclose(soft, [0, 0.5, 1, 0])


@pytest.mark.parametrize(("threshold", "expected"), [
    (0.0, [1, 1, 1, 1, 1]), (0.5, [0, 0, 1, 1, 1]), (0.75, [0, 0, 0, 1, 1]),
    (1.0, [0, 0, 0, 0, 1])])
def test_threshold_turns_on_the_normalised_values_at_or_above_it(threshold, expected):
    directions = tf.constant([-2.0, -1.0, 0.0, 1.0, 2.0])[None, None, :, None]  # -> 0 .25 .5 .75 1
    binary = masks.threshold_fill(directions, tf.ones_like(directions), threshold=threshold)
    np.testing.assert_array_equal(binary.numpy().ravel(), expected)


@pytest.mark.parametrize(("grid", "ratio", "blanks"), [
    ((8, 8), 0.25, 16), ((2, 2), 0.1, 1), ((3, 3), 0.5, 4), ((2, 2), 0.99, 4)])
def test_blank_count_rounds_the_ratio_and_keeps_one_to_all(grid, ratio, blanks):
    assert masks.blank_count(grid, ratio) == blanks


@pytest.mark.parametrize(("ratio", "steps"), [(0.25, 4), (0.3, 3), (0.5, 2), (0.9, 1)])
def test_progressive_steps_is_the_rounded_inverse_ratio(ratio, steps):
    assert masks.progressive_steps(ratio) == steps


def test_patch_grid_divides_the_image_or_lists_the_divisors():
    assert masks.patch_grid((16, 8), 4) == (4, 2)
    with pytest.raises(InputError, match=r"image size 6x4 \(one of \[1, 2\]\), got 3"):
        masks.patch_grid((6, 4), 3)
