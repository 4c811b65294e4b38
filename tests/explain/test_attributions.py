"""Integrated Gradients, Gradient x Input, Occlusion and RISE: axioms and hand-computed cases."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def model():
    return classifier(head="softmax")


def logits_of(model, x):
    return cet.graph.run(model, tf.constant(x))[1].numpy()


def minmax(maps):
    low = maps.min(axis=(1, 2), keepdims=True)
    return (maps - low) / (maps.max(axis=(1, 2), keepdims=True) - low)


@pytest.mark.parametrize("baseline", [0.0, 0.5, "image"])
def test_integrated_gradients_completeness_at_128_steps(model, baseline):
    x = images(3)
    if baseline == "image":
        baseline = images(1, seed=9)[0] * 0.2
    ig = cet.explain.IntegratedGradients(model, steps=128, baseline=baseline)
    targets = np.array([0, 1, 3])
    total = ig.attributions(x, targets).sum(axis=(1, 2, 3))
    reference = np.broadcast_to(np.asarray(baseline, np.float32), x.shape)
    rows = np.arange(3)
    expected = logits_of(model, x)[rows, targets] - logits_of(model, reference)[rows, targets]
    assert np.abs(expected).min() > 1e-3
    np.testing.assert_allclose(total, expected, rtol=1e-2)


def test_integrated_gradients_in_several_passes_equals_one_pass(model):
    x = images(2)
    one = cet.explain.IntegratedGradients(model, steps=12).attributions(x)
    several = cet.explain.IntegratedGradients(model, steps=12, steps_per_pass=5).attributions(x)
    np.testing.assert_allclose(one, several, atol=1e-6)


def test_integrated_gradients_resolves_the_predicted_class_on_the_image(model):
    x = images(3)
    predicted = np.argmax(logits_of(model, x), axis=1)
    ig = cet.explain.IntegratedGradients(model, steps=8)
    np.testing.assert_allclose(ig.attributions(x), ig.attributions(x, predicted), atol=1e-7)


def test_gradient_x_input_and_the_map_channel_reduction(model):
    x = images(2)
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        score = tf.reduce_sum(cet.graph.run(model, tensor)[1][:, 2])
    expected = x * tape.gradient(score, tensor).numpy()
    explainer = cet.explain.GradientXInput(model)
    signed = explainer.attributions(x, 2)
    np.testing.assert_allclose(signed, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(explainer(x, 2), minmax(np.abs(signed.sum(axis=-1))), atol=1e-5)


def linear_model(size=6, channels=2, seed=7):
    """Flatten + Dense without bias: logit_c = sum_ijk W[ijk, c] x_ijk."""
    inputs = keras.Input((size, size, channels))
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    weights = np.random.default_rng(seed).normal(size=(size * size * channels, 2))
    dense.set_weights([weights.astype(np.float32)])
    return model, weights.reshape(size, size, channels, 2)


def test_occlusion_of_a_linear_model_is_its_weight_pattern():
    model, weights = linear_model()
    x = np.ones((2, 6, 6, 2), np.float32)
    pixels = cet.explain.Occlusion(model, patch_size=1, stride=1, batch_size=7).attributions(x, 1)
    np.testing.assert_allclose(pixels, np.broadcast_to(weights[..., 1].sum(-1), (2, 6, 6)),
                               atol=1e-5)
    blocks = cet.explain.Occlusion(model, patch_size=2, stride=2).attributions(x, 0)
    block_sums = weights[..., 0].sum(-1).reshape(3, 2, 3, 2).sum(axis=(1, 3))
    np.testing.assert_allclose(blocks[0], np.kron(block_sums, np.ones((2, 2))), atol=1e-5)


def test_occlusion_overlapping_patches_average_the_drops():
    model, weights = linear_model()
    x = images(1, size=6, channels=2)
    got = cet.explain.Occlusion(model, patch_size=4, stride=2, baseline=0.5).attributions(x, 0)
    contribution = ((x[0] - 0.5) * weights[..., 0]).sum(-1)
    drops, counts = np.zeros((6, 6)), np.zeros((6, 6))
    for top, left in cet.explain.occlusion_corners((6, 6), (4, 4), (2, 2)):
        drops[top:top + 4, left:left + 4] += contribution[top:top + 4, left:left + 4].sum()
        counts[top:top + 4, left:left + 4] += 1
    np.testing.assert_allclose(got[0], drops / counts, atol=1e-5)


def test_occlusion_corners_cover_the_edge():
    corners = cet.explain.occlusion_corners((10, 6), (4, 6), (4, 1))
    assert corners.tolist() == [[0, 0], [4, 0], [6, 0]]


def test_rise_is_the_centred_monte_carlo_sum_over_its_seeded_masks():
    model, _ = linear_model()
    x = images(2, size=6, channels=2)
    rise = cet.explain.RISE(model, num_masks=40, grid_size=3, keep_probability=0.4, seed=1,
                            batch_size=12)
    masks = rise.masks(tf.range(40)).numpy()
    assert masks.shape == (40, 6, 6) and masks.min() >= 0.0 and masks.max() <= 1.0
    probabilities = np.stack([tf.nn.softmax(logits_of(model, x * m[None, ..., None])).numpy()
                              for m in masks], axis=1)[:, :, 1]
    centred = probabilities - probabilities.mean(axis=1, keepdims=True)
    expected = np.einsum("bn,nhw->bhw", centred, masks) / (40 * 0.4)
    np.testing.assert_allclose(rise.attributions(x, 1), expected, rtol=1e-4, atol=1e-6)
    again = cet.explain.RISE(model, num_masks=40, grid_size=3, keep_probability=0.4, seed=1,
                             batch_size=12)
    np.testing.assert_array_equal(again(x, 1), rise(x, 1))
    other = cet.explain.RISE(model, num_masks=40, grid_size=3, keep_probability=0.4, seed=2)
    assert not np.allclose(other(x, 1), rise(x, 1))


def test_rise_finds_the_region_a_linear_model_reads():
    inputs = keras.Input((8, 8, 1))
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    weights = np.zeros((8, 8, 1, 2), np.float32)
    weights[:4, :4, 0, 0] = 0.15  # logit in [0, 2.4]: the probability does not saturate
    dense.set_weights([weights.reshape(64, 2)])
    maps = cet.explain.RISE(model, num_masks=1000, grid_size=4)(np.ones((1, 8, 8, 1)), 0)[0]
    assert maps[:4, :4].mean() > maps[4:, 4:].mean() + 0.3


def test_bad_input_is_refused(model):
    with pytest.raises(InputError, match=r"baseline: expected a number or an array of the "
                                         r"input shape \(16, 16, 3\), got ndarray of shape"):
        cet.explain.IntegratedGradients(model, baseline=np.zeros((8, 8, 3)))
    with pytest.raises(InputError, match="steps: expected an int >= 1, got 0"):
        cet.explain.IntegratedGradients(model, steps=0)
    with pytest.raises(InputError, match=r"patch no larger than the image \(16, 16\), got "
                                         r"\(17, 17\)"):
        cet.explain.Occlusion(model, patch_size=17)
    with pytest.raises(InputError, match="stride: expected an int >= 1, got 0"):
        cet.explain.Occlusion(model, stride=0)
    with pytest.raises(InputError, match="num_masks: expected an int >= 1, got 0"):
        cet.explain.RISE(model, num_masks=0)
    with pytest.raises(InputError, match=r"keep_probability: expected a value in \(0, 1\]"):
        cet.explain.RISE(model, keep_probability=0.0)
