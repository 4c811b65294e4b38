"""Tests for the Fill in the blanks probe: both modes, both directions, seeds, bad input."""

import helpers
import keras
import numpy as np
import pytest
import tensorflow as tf
from fill_blanks_models import QUARTER, brightness_model

import cnn_explain_tf as cet
from cnn_explain_tf.cache import MODEL_CACHE
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
    assert result.prototypes.shape == images.shape
    if mode == "random":
        assert np.all(result.kept == 64) and np.all(result.drawn % 32 == 0)  # 32 per step
        assert result.steps is None and result.step_predictions is None
    else:  # one sequence, nothing selected; its last step is the prototype
        assert np.all(result.kept == 1) and np.all(result.drawn == 1)
        assert result.steps.shape == (2, 4, 16, 16, 3)
        assert result.step_predictions.shape == (2, 4)
        np.testing.assert_array_equal(result.steps[:, 0], result.filled)
        np.testing.assert_array_equal(result.steps[:, -1], result.prototypes)


def test_progressive_step_conditions_on_the_fills_before_it(model):
    images = helpers.images(1, 16, seed=2)
    probe = cet.probes.FillInTheBlanks(model, mode="progressive", verbose=0)
    result = probe(images, 1)
    sequence = probe._mode.masks(probe, probe.mask_seed(0), (8, 8))[None].numpy()
    for step in range(1, 4):
        blank = sequence[0, step] == 0
        before = result.steps[0, step - 1]
        # pixels blanked at this step are refilled; every other pixel is the previous step's
        np.testing.assert_array_equal(result.steps[0, step][~blank], before[~blank])
    assert not np.array_equal(result.steps[0, -1], images[0])


@pytest.mark.parametrize(("mode", "rule", "class_0"), [
    # min-max maps the zero update off the quarter to 1 and the negative one on it to 0
    ("random", None, 1 - QUARTER), ("progressive", "minmax", 1 - QUARTER),
    # the progressive default fills positive updates only: class 0 has none, nothing is on
    ("progressive", None, 0 * QUARTER)])
def test_a_model_of_one_regions_brightness_fills_exactly_that_region(mode, rule, class_0):
    probe = cet.probes.FillInTheBlanks(brightness_model(), mode=mode, patch_size=1,
                                       num_masks=64, batch_size=64, fill_rule=rule, verbose=0)
    result = probe(np.full((2, 8, 8, 1), 0.8, np.float32), [1, 0])
    np.testing.assert_array_equal(result.prototypes[0], QUARTER)  # class 1: the quarter on
    np.testing.assert_array_equal(result.prototypes[1], class_0)


def test_masked_labels_are_the_prediction_for_the_masked_input():
    probe = cet.probes.FillInTheBlanks(brightness_model(), num_masks=8, batch_size=256,
                                       verbose=0)
    image = np.full((1, 8, 8, 1), 0.55, np.float32)  # quarter mean 0.55: class 1 unmasked...
    assert probe.predict(image)[0] == 1
    # ...but 3 of 4 masks blank one of its 4 patches (1 - C(12,4)/C(16,4) = 0.73): mean 0.41
    assert probe.masked_labels(image)[0] == 0
    progressive = cet.probes.FillInTheBlanks(brightness_model(), mode="progressive", verbose=0)
    first = progressive._mode.masks(progressive, progressive.mask_seed(0), (4, 4))[0].numpy()
    expected = int(np.mean(image[0, :4, :4, 0] * first[:4, :4]) > 0.5)
    assert progressive.masked_labels(image)[0] == expected


def test_same_seed_same_result_other_seed_other_result(model):
    images = helpers.images(1, 16, seed=7)

    def directions(seed):
        return cet.probes.FillInTheBlanks(model, num_masks=32, batch_size=16, seed=seed,
                                          verbose=0)(images).directions

    np.testing.assert_array_equal(directions(1), directions(1))
    assert not np.array_equal(directions(1), directions(2))


def test_repeated_calls_reuse_one_compiled_step_per_image_shape(model):
    # a batch size no other probe of the module uses: the steps are this probe's own
    probe = cet.probes.FillInTheBlanks(model, num_masks=8, batch_size=5, verbose=0)
    first = probe(helpers.images(1, 16, seed=3))
    again = probe(helpers.images(1, 16, seed=3))
    np.testing.assert_array_equal(first.directions, again.directions)
    assert compiled_names(probe.steps) == ["batch", "predict"]


def compiled_names(steps):
    """Names of the compiled steps that `steps` owns in the one cache."""
    keys = [key for key in MODEL_CACHE.entries(steps.model)
            if len(key) > 1 and key[1].ref() is steps]
    return sorted(key[0][0][0] if isinstance(key[0][0], tuple) else key[0][0] for key in keys)


def test_probes_with_the_same_graph_settings_share_their_compiled_steps(model):
    images = helpers.images(1, 16, seed=3)
    first = cet.probes.FillInTheBlanks(model, num_masks=8, batch_size=8, seed=0, verbose=0)
    first(images)
    other = cet.probes.FillInTheBlanks(model, num_masks=16, batch_size=8, seed=1, verbose=0)
    result = other(images)
    assert other.steps is first.steps  # N* and the seed are inputs of the first probe's steps
    assert result.kept[0] == 16
    alone = cet.probes.FillInTheBlanks(model, num_masks=16, batch_size=8, seed=1, verbose=0,
                                       threshold=0.5 + 1e-9)  # other settings: its own steps
    np.testing.assert_allclose(alone(images).directions, result.directions, atol=1e-6)
    assert alone.steps is not first.steps
    assert compiled_names(alone.steps) == ["batch", "predict"]


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


@pytest.mark.parametrize(("rule", "on"), [("positive", lambda d: d >= 0.5 * d.max()),
                                           ("symmetric", lambda d: d > 0)])
def test_fill_rule_switches_on_the_pixels_of_its_rule(model, rule, on):
    """The random mode's prototype is T(E[dx]) of the whole image, so the rule is visible in it."""
    images = helpers.images(2, 16, seed=6)
    result = cet.probes.FillInTheBlanks(model, num_masks=32, batch_size=32, fill_rule=rule,
                                        verbose=0)(images)
    for prototype, direction in zip(result.prototypes, result.directions, strict=True):
        np.testing.assert_array_equal(prototype, on(direction).astype(np.float32))
        assert 0 < prototype.mean() < 1


@pytest.mark.parametrize(("options", "message"), [
    ({"mask_ratio": 0.0}, r"mask_ratio: expected a float in \(0, 1\), got 0.0"),
    ({"mask_ratio": 1.5}, r"mask_ratio: expected a float in \(0, 1\), got 1.5"),
    ({"mode": "sequential"}, r"mode: expected one of \['random', 'progressive'\]"),
    ({"direction": "newton"}, r"direction: expected one of \['gradient', 'bfgs'\]"),
    ({"num_masks": 0}, "num_masks: expected an int >= 1, got 0"),
    ({"threshold": 1.5}, r"threshold: expected a float in \[0, 1\], got 1.5"),
    ({"fill_rule": "sign"}, r"fill_rule: expected one of \['minmax', 'positive', 'symmetric'\]"),
    ({"seed": -1}, r"seed: expected an int in \[0, 2147483647\], got -1"),
    ({"seed": 2**31}, r"seed: expected an int in \[0, 2147483647\], got 2147483648"),
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
