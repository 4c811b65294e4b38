"""FullGrad and FEM against hand-computed arrays, numpy copies of the peers' formulas, and the
full-gradient completeness."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images, same_resolution_classifier

import cnn_explain_tf as cet
from cnn_explain_tf.explain.cam_extra import FEM, FullGrad, fem_map, fullgrad_map
from cnn_explain_tf.validation import InputError


def scale_per_channel(values):
    """pytorch-grad-cam's scale_cam_image on (B, h, w, C): per image and channel, (v - min) /
    (1e-7 + max of v - min)."""
    shifted = values - values.min(axis=(1, 2), keepdims=True)
    return shifted / (1e-7 + shifted.max(axis=(1, 2), keepdims=True))


def test_fullgrad_map_of_a_hand_made_case():
    # input term, 2 channels: |[-2, 1, 0]| -> [1, 1/2, 0]; [1, 3, 2] -> [0, 1, 1/2]; sum
    # [1, 3/2, 1/2]. Bias term: |[3, -1, 0]| -> [1, 1/3, 0]; constant [5, 5, 5] -> 0.
    # Total [2, 11/6, 1/2], min-max scaled: [1, 8/9, 0].
    input_term = np.array([[-2.0, 1.0], [1.0, 3.0], [0.0, 2.0]], np.float32).reshape(1, 1, 3, 2)
    bias_term = np.array([[3.0, 5.0], [-1.0, 5.0], [0.0, 5.0]], np.float32).reshape(1, 1, 3, 2)
    got = fullgrad_map(tf.constant(input_term), [tf.constant(bias_term)]).numpy()
    np.testing.assert_allclose(got.ravel(), [1.0, 8 / 9, 0.0], atol=1e-6)


def pre_activation_gradients(model, x, targets):
    """x * dS/dx and b * dS/dz of the same-resolution classifier, computed with tf ops on its
    weights (independently of the library's graph walk)."""
    convs = [model.get_layer(name) for name in ("c1", "c2", "c3")]
    head = model.get_layer("head")
    x = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        out, pre = x, []
        for conv in convs:
            pre.append(tf.nn.conv2d(out, conv.kernel, 1, "SAME") + conv.bias)
            out = tf.nn.relu(pre[-1])
        logits = tf.reduce_mean(out, axis=(1, 2)) @ head.kernel + head.bias
        scores = tf.gather(logits, targets, batch_dims=1)
    terms = [(conv.bias * tape.gradient(scores, z)).numpy() for conv, z in zip(convs, pre)]
    return (x * tape.gradient(scores, x)).numpy(), terms


def test_fullgrad_matches_pytorch_grad_cams_formula():
    model = same_resolution_classifier(head=None)  # every conv keeps the 12 x 12 resolution
    x, targets = images(3, size=12), np.array([0, 1, 2])
    input_term, bias_terms = pre_activation_gradients(model, x, targets)
    total = scale_per_channel(np.abs(input_term)).sum(-1)
    total += sum(scale_per_channel(np.abs(term)).sum(-1) for term in bias_terms)
    shifted = total - total.min(axis=(1, 2), keepdims=True)
    expected = shifted / (1e-7 + shifted.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(FullGrad(model)(x, targets), expected, atol=1e-4)


@pytest.mark.parametrize("nested", [False, True])
def test_fullgrad_contributions_sum_to_the_logit(nested):
    # conv + batch normalisation + max pooling + residual Add + dense head: piecewise linear.
    model = classifier(head="softmax", nested=nested)
    base = model.get_layer("base") if nested else model
    rng = np.random.default_rng(0)  # gamma, beta, moving mean, moving variance
    base.get_layer("bn1").set_weights([rng.uniform(0.5, 1.5, 6).astype(np.float32)
                                       for _ in range(4)])
    x, targets = images(4), np.array([0, 1, 2, 3])
    explainer = FullGrad(model)
    contributions = explainer.contributions(x, targets)
    assert explainer.bias_layer_names == ["conv1", "bn1", "conv2", "conv3", "head"]
    assert contributions.shape == (4, 6) and np.abs(contributions[:, 2]).max() > 1e-4
    logits = cet.graph.run(model, tf.constant(x))[1].numpy()[np.arange(4), targets]
    np.testing.assert_allclose(contributions.sum(axis=1), logits, rtol=1e-4, atol=1e-6)


def test_fullgrad_of_a_bias_free_network_is_its_scaled_input_term():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3, use_bias=False, activation="relu")(inputs)
    outputs = keras.layers.Dense(2, use_bias=False)(keras.layers.GlobalAveragePooling2D()(x))
    model, x = keras.Model(inputs, outputs), images(2, size=8)
    explainer = FullGrad(model)
    assert explainer.bias_layer_names == []
    input_term = explainer.contributions(x, 0)[:, 0]
    logits = cet.graph.run(model, tf.constant(x))[1].numpy()[:, 0]
    np.testing.assert_allclose(input_term, logits, rtol=1e-5)
    gradient_x_input = cet.explain.GradientXInput(model).attributions(x, 0)
    expected = scale_per_channel(np.abs(gradient_x_input)).sum(-1)
    low = expected.min(axis=(1, 2), keepdims=True)
    expected = (expected - low) / (expected.max(axis=(1, 2), keepdims=True) - low)
    np.testing.assert_allclose(explainer(x, 0), expected, atol=1e-5)


def spikes():
    """(1, 3, 3, 3) activations: channel 0 a spike of 9 at (0, 0); channel 1 a spike of 18 at
    (2, 2) over a floor of 3; channel 2 constant 5."""
    activations = np.zeros((1, 3, 3, 3), np.float32)
    activations[0, 0, 0, 0] = 9.0
    activations[..., 1] = 3.0
    activations[0, 2, 2, 1] = 18.0
    activations[..., 2] = 5.0
    return activations


def test_fem_map_of_a_hand_made_case():
    # channel 0: mean 1, std sqrt((8 * 1 + 8 ** 2) / 9) = sqrt(8); threshold 1 + 2 sqrt(8)
    # = 6.66 < 9: fires at (0, 0) with weight 1. Channel 1: mean 42 / 9 = 4.67, std 4.71,
    # threshold 14.1 < 18: fires at (2, 2) with weight 4.67. Channel 2: std 0, no value above
    # its mean (xplique's >= would add 5 everywhere, a shift the min-max scaling removes).
    got = fem_map(tf.constant(spikes()), k=2.0).numpy()[0]
    expected = np.zeros((3, 3))
    expected[0, 0], expected[2, 2] = 1.0, 42 / 9
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_fem_weights_binary_maps_by_channel_means_unlike_pytorch_grad_cam():
    # pytorch-grad-cam's FEM: sum_k mean([A_k > T_k]) A_k = A_0 / 9 + A_1 / 9 (channel 2 never
    # fires): (0, 0): 1 + 1/3, (2, 2): 2, elsewhere 1/3; min-max scaled (0, 0) -> 0.6, while
    # the paper's map (ours) scales (0, 0) to 1 / (42 / 9) = 0.214.
    activations = spikes()
    binary = activations > activations.mean((1, 2), keepdims=True) + 2 * activations.std(
        (1, 2), keepdims=True)
    theirs = (binary.mean((1, 2), keepdims=True) * activations).sum(-1)[0]
    theirs = (theirs - theirs.min()) / (theirs.max() - theirs.min())
    ours = fem_map(tf.constant(activations)).numpy()[0]
    ours /= ours.max()
    np.testing.assert_allclose([theirs[0, 0], ours[0, 0]], [0.6, 9 / 42], rtol=1e-5)


def test_fem_matches_xpliques_formula_on_a_layer():
    model = same_resolution_classifier(head=None)
    x = images(3, size=12)
    activations = keras.Model(model.inputs[0], model.get_layer("c2").output)(x).numpy()
    means = activations.mean(axis=(1, 2), keepdims=True)
    threshold = means + 2.0 * activations.std(axis=(1, 2), keepdims=True)
    expected = ((activations >= threshold) * means).sum(-1)  # xplique FEM, before resizing
    low = expected.min(axis=(1, 2), keepdims=True)
    expected = (expected - low) / (expected.max(axis=(1, 2), keepdims=True) - low)
    explainer = FEM(model, layer="c2")
    np.testing.assert_allclose(explainer(x), expected, atol=1e-5)
    np.testing.assert_allclose(explainer(x, 0), explainer(x, 2))  # class-agnostic


def test_fem_refuses_a_non_finite_k():
    with pytest.raises(InputError, match="k:"):
        FEM(classifier(), k=float("nan"))
