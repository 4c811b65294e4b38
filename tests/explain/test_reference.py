"""Numbers: our explainers against hand-computed cases and tf-keras-vis on the same model."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import pearson_per_map
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.scorecam import Scorecam
from tf_keras_vis.utils.scores import CategoricalScore

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize("ours, theirs, options", [
    (cet.explain.GradCAM, Gradcam, {}),
    # tf-keras-vis follows the Grad-CAM++ authors' code: alpha normalised over every position
    (cet.explain.GradCAMPlusPlus, GradcamPlusPlus, {"alpha_normalization": "all"})])
def test_cams_match_tf_keras_vis(linear_model, batch, ours, theirs, options):
    x, targets = batch
    expected = theirs(linear_model)(CategoricalScore(targets.tolist()), x, penultimate_layer="c3")
    got = ours(linear_model, layer="c3", **options)(x, targets)
    assert pearson_per_map(got, expected).min() >= 0.99
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_scorecam_matches_tf_keras_vis(linear_model, batch):
    x, targets = batch
    expected = Scorecam(linear_model)(CategoricalScore(targets.tolist()), x, penultimate_layer="c3")
    got = cet.explain.ScoreCAM(linear_model, layer="c3", batch_size=5)(x, targets)
    assert pearson_per_map(got, expected).min() >= 0.99


def test_saliency_matches_tf_keras_vis(linear_model, batch):
    x, targets = batch
    expected = Saliency(linear_model)(CategoricalScore(targets.tolist()), x)
    got = cet.explain.VanillaGradients(linear_model)(x, targets)
    assert pearson_per_map(got, expected).min() >= 0.99
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_smoothgrad_matches_tf_keras_vis_and_is_seeded(linear_model, batch):
    x, targets = batch
    np.random.seed(0)
    expected = Saliency(linear_model)(CategoricalScore(targets.tolist()), x, smooth_samples=500,
                                      smooth_noise=0.2)
    # tf-keras-vis averages |g| (its default gradient_modifier), the paper and xplique average g
    ours = cet.explain.SmoothGrad(linear_model, num_samples=500, noise_level=0.2, seed=3,
                                  absolute_first=True)
    got = ours(x, targets)
    assert pearson_per_map(got, expected).min() >= 0.99
    np.testing.assert_array_equal(got, ours(x, targets))
    other_seed = cet.explain.SmoothGrad(linear_model, num_samples=500, noise_level=0.2, seed=4,
                                        absolute_first=True)
    assert not np.array_equal(got, other_seed(x, targets))


def test_gradcam_weights_of_a_hand_made_gradient():
    gradients = np.zeros((1, 2, 2, 4), np.float32)
    gradients[0, :, :, 0] = 1.0
    gradients[0, 0, :, 1] = 1.0
    gradients[0, 0, 0, 2], gradients[0, 1, 1, 2] = 1.0, 0.5
    gradients[0, 1, 0, 3] = 0.5
    weights = cet.explain.gradcam_weights(tf.constant(gradients)).numpy()
    np.testing.assert_allclose(weights, [[4 / 4, 2 / 4, 1.5 / 4, 0.5 / 4]])


def test_gradcam_map_of_a_hand_computed_model():
    # 1x1 conv W (2 -> 2 channels) on a 2x2 image, GAP, dense head V, no biases:
    # A = x W per pixel, logit_c = sum_k V[k, c] mean(A_k), dS/dA_k = V[k, c] / 4, so
    # cam_c = relu(A V[:, c] / 4), then min-max normalised.
    inputs = keras.Input((2, 2, 2))
    conv = keras.layers.Conv2D(2, 1, use_bias=False, name="conv")
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(conv(inputs))))
    w = np.array([[1.0, -1.0], [0.5, 2.0]], np.float32)
    v = np.array([[2.0, -1.0], [0.5, 3.0]], np.float32)
    conv.set_weights([w.reshape(1, 1, 2, 2)])
    dense.set_weights([v])
    x = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.1, 0.3]], np.float32).reshape(1, 2, 2, 2)
    for target in (0, 1):
        cam = np.maximum(x[0] @ w @ v[:, target] / 4, 0)
        assert cam.max() > cam.min()
        expected = (cam - cam.min()) / (cam.max() - cam.min())
        got = cet.explain.GradCAM(model, layer="conv")(x, target)[0]
        np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("normalization", [None, "all", "positive"])
def test_gradcam_plus_plus_weights_of_a_hand_made_case(normalization):
    activations = np.array([1.0, 2.0, 0.0, 1.0], np.float32).reshape(1, 2, 2, 1)
    gradients = np.array([1.0, -1.0, 2.0, 0.0], np.float32).reshape(1, 2, 2, 1)
    # Eq. 19 with sum(A) = 4: alpha = g^2 / (2 g^2 + 4 g^3) = [1/6, 1/(2 - 4) = -1/2, 1/10, 0]
    alphas = np.array([1 / 6, -1 / 2, 1 / 10, 0.0])
    relu = np.array([1.0, 0.0, 2.0, 0.0])
    total = {None: 1.0, "all": alphas.sum(), "positive": 1 / 6 + 1 / 10}[normalization]
    expected = (alphas * relu).sum() / total  # Eq. 19: 1/6 + 2/10
    got = cet.explain.gradcam_plus_plus_weights(tf.constant(activations), tf.constant(gradients),
                                                normalization)
    np.testing.assert_allclose(got.numpy(), [[expected]], rtol=1e-6)


def test_gradcam_plus_plus_alpha_normalization_over_all_positions_can_flip_a_weight():
    # A negative gradient just past 2 + sum(A) g = 0 makes alpha large and negative: the
    # authors' normalisation over all positions flips the channel's weight, Eq. 19 does not.
    activations = np.array([1.0, 1.0, 1.0, 1.0], np.float32).reshape(1, 2, 2, 1)
    gradients = np.array([1.0, -0.51, 0.0, 0.0], np.float32).reshape(1, 2, 2, 1)
    weights = {mode: cet.explain.gradcam_plus_plus_weights(
        tf.constant(activations), tf.constant(gradients), mode).numpy()[0, 0]
        for mode in (None, "all", "positive")}
    assert weights[None] == pytest.approx(1 / 6, rel=1e-5) and weights["positive"] > 0
    assert weights["all"] < 0
    with pytest.raises(InputError, match="alpha_normalization: expected None, 'all' or "
                                         "'positive', got 'some'"):
        cet.explain.GradCAMPlusPlus(keras.Sequential([keras.Input((4, 4, 1)),
                                                      keras.layers.Conv2D(1, 1)]),
                                    alpha_normalization="some")


def two_layer_relu_net(hidden_weights, output_weights):
    """x (1x1x2) -> 1x1 conv to 3 units + ReLU -> GAP -> dense (no biases)."""
    inputs = keras.Input((1, 1, 2))
    hidden = keras.layers.Conv2D(3, 1, use_bias=False, activation="relu")
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(hidden(inputs))))
    hidden.set_weights([hidden_weights.reshape(1, 1, 2, 3)])
    dense.set_weights([output_weights])
    return model


@pytest.mark.parametrize("name", ["guided_backprop", "deconvnet", "saliency"])
def test_relu_backward_rules_on_a_hand_made_case(name):
    w1 = np.array([[1.0, -1.0, 0.5], [1.0, 2.0, -1.0]], np.float32)  # (inputs, hidden)
    w2 = np.array([[1.0, 0.0], [1.0, 0.0], [-2.0, 0.0]], np.float32)  # (hidden, classes)
    model = two_layer_relu_net(w1, w2)
    x = np.array([0.3, 0.2], np.float32)
    pre = x @ w1  # [0.5, 0.1, -0.05]: units 0 and 1 active, unit 2 inactive
    upstream = w2[:, 0]  # [1, 1, -2]
    rule = {"guided_backprop": upstream * (pre > 0) * (upstream > 0),
            "deconvnet": np.maximum(upstream, 0),
            "saliency": upstream * (pre > 0)}[name]
    expected = w1 @ rule
    explainer = cet.explain.get(name)(model)
    got = explainer.input_gradients(tf.constant(x.reshape(1, 1, 1, 2)), tf.constant([0]))
    np.testing.assert_allclose(got.numpy().reshape(2), expected, rtol=1e-6)
