"""Tests for the Fill in the blanks probe: both modes, both directions, seeds, bad input."""

import helpers
import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def model():
    return helpers.classifier(16, classes=4, head=None)


def cross_entropy(model, images, targets):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(targets, model(images)).numpy()


def test_explainer_blanks_round_ratio_times_patches():
    explainer = cet.probes.FillInTheBlanks(helpers.classifier(16), mask_ratio=0.25, patch_size=2,
                                           num_masks=8, batch_size=8, verbose=0)
    result = explainer(helpers.images(2, 16))
    np.testing.assert_array_equal((result.masks == 0).sum(axis=(1, 2)), 16 * 4)  # 16 of 64


@pytest.mark.parametrize("direction", ["gradient", "bfgs"])
def test_a_small_step_along_dx_lowers_the_loss(model, direction):
    images, targets = helpers.images(4, 16, seed=5), np.array([0, 1, 2, 3], np.int32)
    explainer = cet.probes.FillInTheBlanks(model, direction=direction, bfgs_steps=2, verbose=0)
    dx = explainer.directions(images, targets)
    scale = 1e-2 / np.abs(dx).max(axis=(1, 2, 3), keepdims=True)
    before = cross_entropy(model, images, targets)
    after = cross_entropy(model, images + (dx if direction == "bfgs" else scale * dx), targets)
    assert np.all(after < before)


@pytest.mark.parametrize("mode", ["random", "progressive"])
def test_fill_touches_only_blanks_and_is_binary_there(model, mode):
    images = helpers.images(2, 16, seed=6)
    result = cet.probes.FillInTheBlanks(model, num_masks=64, batch_size=32, mode=mode,
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
        return cet.probes.FillInTheBlanks(model, num_masks=32, batch_size=16, seed=seed,
                                          verbose=0)(images).directions

    np.testing.assert_array_equal(directions(1), directions(1))
    assert not np.array_equal(directions(1), directions(2))


def test_repeated_calls_reuse_one_compiled_step_per_image_shape(model):
    probe = cet.probes.FillInTheBlanks(model, num_masks=8, batch_size=8, verbose=0)
    first = probe(helpers.images(1, 16, seed=3))
    again = probe(helpers.images(1, 16, seed=3))
    np.testing.assert_array_equal(first.directions, again.directions)
    assert sorted(key[0] if isinstance(key, tuple) else key for key in probe._compiled) == [
        "batch", "predict"]


def test_no_kept_mask_names_the_observed_predictions():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    dense = keras.layers.Dense(3)
    model = keras.Model(inputs, dense(x))
    dense.set_weights([np.zeros((2, 3), np.float32), np.array([5.0, 0.0, 0.0], np.float32)])
    explainer = cet.probes.FillInTheBlanks(model, num_masks=16, batch_size=16, max_draws=32,
                                           verbose=0)
    with pytest.raises(cet.probes.NoMaskKeptError,
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
        cet.probes.FillInTheBlanks(model, **options)


def test_patch_size_that_does_not_divide_the_image_is_refused(model):
    explainer = cet.probes.FillInTheBlanks(model, patch_size=3, verbose=0)
    with pytest.raises(InputError, match=r"patch_size: expected a divisor of the image size "
                                         r"16x16 \(one of \[1, 2, 4, 8, 16\]\), got 3"):
        explainer(helpers.images(1, 16))


def test_fill_in_the_blanks_is_no_longer_an_explainer():
    assert not hasattr(cet.explain, "FillInTheBlanks")
    assert not issubclass(cet.probes.FillInTheBlanks, cet.explain.Explainer)
    assert issubclass(cet.probes.FillInTheBlanks, cet.probes.Probe)
