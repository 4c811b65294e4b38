"""Tests for Fill in the blanks: masks, directions, T, both modes, BFGS, consistency, bad input."""

import helpers
import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.explain import fill_blanks
from cnn_explain_tf.validation import InputError

SEED = tf.constant([3, 4], tf.int32)


@pytest.fixture(scope="module")
def model():
    return helpers.classifier(16, classes=4, head=None)


def cross_entropy(model, images, targets):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(targets, model(images)).numpy()


def test_random_masks_blank_exactly_the_ratio_of_patches():
    masks = fill_blanks.random_masks(SEED, 50, (4, 4), 4, blanks=4).numpy()
    assert masks.shape == (50, 16, 16) and set(np.unique(masks)) == {0.0, 1.0}
    np.testing.assert_array_equal((masks == 0).sum(axis=(1, 2)), 4 * 16)
    patches = masks.reshape(50, 4, 4, 4, 4)  # every 4x4 patch is wholly kept or wholly blank
    assert np.all(patches.min(axis=(2, 4)) == patches.max(axis=(2, 4)))
    assert len({m.tobytes() for m in masks}) > 40  # random, not one mask repeated


def test_explainer_blanks_round_ratio_times_patches():
    explainer = cet.explain.FillInTheBlanks(helpers.classifier(16), mask_ratio=0.25, patch_size=2,
                                            num_masks=8, batch_size=8, verbose=0)
    result = explainer(helpers.images(2, 16))
    np.testing.assert_array_equal((result.masks == 0).sum(axis=(1, 2)), 16 * 4)  # 16 of 64


def test_progressive_masks_are_disjoint_and_cover_the_image():
    masks = fill_blanks.progressive_masks(SEED, 10, (5, 5), 2, steps=4).numpy()
    assert masks.shape == (10, 4, 10, 10)
    np.testing.assert_array_equal((1 - masks).sum(axis=1), 1.0)  # each pixel blank exactly once
    sizes = (masks == 0).sum(axis=(2, 3)) // 4
    assert sizes.min() >= 6 and sizes.max() <= 7  # 25 patches in 4 balanced groups


@pytest.mark.parametrize("direction", ["gradient", "bfgs"])
def test_a_small_step_along_dx_lowers_the_loss(model, direction):
    images, targets = helpers.images(4, 16, seed=5), np.array([0, 1, 2, 3], np.int32)
    explainer = cet.explain.FillInTheBlanks(model, direction=direction, bfgs_steps=2, verbose=0)
    dx = explainer.directions(images, targets)
    scale = 1e-2 / np.abs(dx).max(axis=(1, 2, 3), keepdims=True)
    before = cross_entropy(model, images, targets)
    after = cross_entropy(model, images + (dx if direction == "bfgs" else scale * dx), targets)
    assert np.all(after < before)


def test_threshold_fill_normalises_over_the_region_only():
    directions = tf.constant([1.0, 2.0, 3.0, 40.0])[None, None, :, None]
    region = tf.constant([1.0, 1.0, 1.0, 0.0])[None, None, :, None]
    binary = fill_blanks.threshold_fill(directions, region).numpy().ravel()
    soft = fill_blanks.threshold_fill(directions, region, binarize=False).numpy().ravel()
    np.testing.assert_allclose(binary, [0, 1, 1, 0])
    np.testing.assert_allclose(soft, [0, 0.5, 1, 0])


@pytest.mark.parametrize("mode", ["random", "progressive"])
def test_fill_touches_only_blanks_and_is_binary_there(model, mode):
    images = helpers.images(2, 16, seed=6)
    result = cet.explain.FillInTheBlanks(model, num_masks=64, batch_size=32, mode=mode,
                                         verbose=0)(images)
    kept = result.masks[..., None] == 1
    np.testing.assert_array_equal(np.where(kept, result.filled, 0), np.where(kept, images, 0))
    assert set(np.unique(result.filled[~np.broadcast_to(kept, images.shape)])) <= {0.0, 1.0}
    assert set(np.unique(result.prototypes)) <= {0.0, 1.0}
    assert result.prototypes.shape == images.shape and np.all(result.kept == 64)
    assert np.all(result.drawn % 32 == 0)  # masks go through the model 32 at a time
    if mode == "progressive":
        assert result.steps.shape == (2, 4, 16, 16, 3)
        np.testing.assert_array_equal(result.steps[:, 0], result.filled)


def test_same_seed_same_result_other_seed_other_result(model):
    images = helpers.images(1, 16, seed=7)

    def directions(seed):
        return cet.explain.FillInTheBlanks(model, num_masks=32, batch_size=16, seed=seed,
                                           verbose=0)(images).directions

    np.testing.assert_array_equal(directions(1), directions(1))
    assert not np.array_equal(directions(1), directions(2))


def test_quasi_newton_direction_matches_dense_bfgs():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(3):
        s = rng.normal(size=(2, 5)).astype(np.float32)
        pairs.append((s, s * rng.uniform(0.5, 2.0, (2, 5)).astype(np.float32)))  # s.y > 0
    gradient, scale = rng.normal(size=(2, 5)).astype(np.float32), np.array([[0.7], [1.3]])
    ours = fill_blanks.quasi_newton_direction(
        tf.constant(gradient), [(tf.constant(s), tf.constant(y)) for s, y in pairs],
        tf.constant(scale, tf.float32)).numpy()
    for sample in range(2):
        inverse_hessian = scale[sample, 0] * np.eye(5)
        for s, y in ((s[sample], y[sample]) for s, y in pairs):
            rho = 1 / (y @ s)
            left = np.eye(5) - rho * np.outer(s, y)
            inverse_hessian = left @ inverse_hessian @ left.T + rho * np.outer(s, s)
        np.testing.assert_allclose(ours[sample], inverse_hessian @ gradient[sample], rtol=1e-4)


def test_no_kept_mask_names_the_observed_predictions():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    dense = keras.layers.Dense(3)
    model = keras.Model(inputs, dense(x))
    dense.set_weights([np.zeros((2, 3), np.float32), np.array([5.0, 0.0, 0.0], np.float32)])
    explainer = cet.explain.FillInTheBlanks(model, num_masks=16, batch_size=16, max_draws=32,
                                            verbose=0)
    with pytest.raises(cet.explain.NoMaskKeptError,
                       match=r"none of the 32 masked versions of image 0 .* class 2; the "
                             r"predictions were class 0: 32"):
        explainer(np.zeros((1, 8, 8, 1), np.float32), targets=2)


@pytest.mark.parametrize(("options", "message"), [
    ({"mask_ratio": 0.0}, r"mask_ratio: expected a float in \(0, 1\), got 0.0"),
    ({"mask_ratio": 1.5}, r"mask_ratio: expected a float in \(0, 1\), got 1.5"),
    ({"mode": "sequential"}, r"mode: expected one of \['random', 'progressive'\]"),
    ({"direction": "newton"}, r"direction: expected one of \['gradient', 'bfgs'\]"),
    ({"num_masks": 0}, "num_masks: expected an int >= 1, got 0"),
])
def test_bad_options_are_refused(model, options, message):
    with pytest.raises(InputError, match=message):
        cet.explain.FillInTheBlanks(model, **options)


def test_patch_size_that_does_not_divide_the_image_is_refused(model):
    explainer = cet.explain.FillInTheBlanks(model, patch_size=3, verbose=0)
    with pytest.raises(InputError, match=r"patch_size: expected a divisor of the image size "
                                         r"16x16 \(one of \[1, 2, 4, 8, 16\]\), got 3"):
        explainer(helpers.images(1, 16))


def test_consistency_evaluation_runs_on_a_tiny_model(model):
    images = helpers.images(4, 16, seed=8)
    labels = cet.explain.FillInTheBlanks(model, verbose=0).predict(images)
    report = fill_blanks.consistency(model, images, labels, num_masks=16, batch_size=16,
                                     verbose=0)
    assert set(report) == {"random", "progressive"}
    for scores in report.values():
        assert set(scores) == {"accuracy", "macro_f1", "weighted_f1", "without_prototype"}
        assert 0 <= scores["accuracy"] <= 1 and 0 <= scores["weighted_f1"] <= 1


def test_mask_ablation_gives_one_prototype_batch_per_pair(model):
    images = helpers.images(2, 16, seed=9)
    prototypes = fill_blanks.mask_ablation(model, images, ratios=(0.25, 0.5), patch_sizes=(4, 8),
                                           num_masks=8, batch_size=8, verbose=0)
    assert set(prototypes) == {(0.25, 4), (0.25, 8), (0.5, 4), (0.5, 8)}
    assert all(p.shape == images.shape for p in prototypes.values())
