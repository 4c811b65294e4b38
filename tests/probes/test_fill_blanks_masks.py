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


@pytest.mark.parametrize(("rule", "soft", "binary"), [
    # dx = -2 -1 0 1 4 over the blanks; min-max: (dx + 2) / 6, so -1 -> 1/6, 1 -> 1/2 (on)
    ("minmax", [0, 1 / 6, 2 / 6, 3 / 6, 1], [0, 0, 0, 1, 1]),
    # positive part over its max 4: only dx >= 2 is on at 0.5
    ("positive", [0, 0, 0, 0.25, 1], [0, 0, 0, 0, 1]),
    # (1 + dx / 4) / 2 and 0 where dx = 0: every positive update is on at 0.5
    ("symmetric", [0.25, 0.375, 0, 0.625, 1], [0, 0, 0, 1, 1])])
def test_fill_rules_normalise_as_documented(rule, soft, binary):
    directions = tf.constant([-2.0, -1.0, 0.0, 1.0, 4.0, 9.0])[None, None, :, None]
    region = tf.constant([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])[None, None, :, None]  # 9 is kept
    scaled = masks.threshold_fill(directions, region, binarize=False, rule=rule).numpy().ravel()
    np.testing.assert_allclose(scaled, [*soft, 0], atol=1e-7)
    on = masks.threshold_fill(directions, region, rule=rule).numpy().ravel()
    np.testing.assert_array_equal(on, [*binary, 0])


@pytest.mark.parametrize("rule", masks.FILL_RULES)
def test_fill_rules_fill_nothing_for_a_flat_or_negative_update(rule):
    flat = masks.threshold_fill(tf.zeros((1, 1, 4, 1)), tf.ones((1, 1, 4, 1)), rule=rule)
    negative = masks.threshold_fill(-tf.constant([1.0, 2.0, 3.0, 4.0])[None, None, :, None],
                                    tf.ones((1, 1, 4, 1)), rule=rule)
    # a flat update has no direction: no rule fills anything
    assert flat.numpy().sum() == 0
    # an update that is negative everywhere: min-max still turns on its largest half
    assert negative.numpy().sum() == (2 if rule == "minmax" else 0)


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
