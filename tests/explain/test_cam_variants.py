"""HiResCAM, XGrad-CAM, LayerCAM, EigenCAM and Ablation-CAM against hand-computed cases and
tf-keras-vis."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import images, pearson_per_map
from tf_keras_vis.layercam import Layercam
from tf_keras_vis.utils.scores import CategoricalScore

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


def minmax(maps):
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 1e-12, (maps - low) / np.where(span > 1e-12, span, 1), 0)


@pytest.mark.parametrize("layer", ["c3", "c2"])
def test_layercam_matches_tf_keras_vis(linear_model, batch, layer):
    x, targets = batch
    expected = Layercam(linear_model)(CategoricalScore(targets.tolist()), x,
                                      penultimate_layer=layer)
    got = cet.explain.LayerCAM(linear_model, layer=layer)(x, targets)
    assert pearson_per_map(got, expected).min() >= 0.99
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_layercam_fuses_several_layers_with_the_tanh_scaling(linear_model, batch):
    x, targets = batch
    single = [cet.explain.LayerCAM(linear_model, layer=name)(x, targets)
              for name in ("c1", "c2", "c3")]
    fused = cet.explain.LayerCAM(linear_model, layer=["c1", "c2", "c3"])(x, targets)
    np.testing.assert_allclose(fused, minmax(np.mean(np.tanh(2.0 * np.stack(single)), 0)),
                               atol=1e-5)


def test_hirescam_is_gradcam_where_gradients_are_spatially_constant(linear_model, batch):
    x, targets = batch  # c3 -> GAP -> dense: dS/dA_k = V[k, c] / (h w) at every pixel
    np.testing.assert_allclose(cet.explain.HiResCAM(linear_model, layer="c3")(x, targets),
                               cet.explain.GradCAM(linear_model, layer="c3")(x, targets), atol=1e-5)
    assert not np.allclose(cet.explain.HiResCAM(linear_model, layer="c2")(x, targets),
                           cet.explain.GradCAM(linear_model, layer="c2")(x, targets), atol=1e-2)


def test_hirescam_and_layercam_maps_of_a_hand_made_case():
    activations = np.array([[1.0, 2.0], [0.0, 3.0]], np.float32).reshape(1, 2, 1, 2)
    gradients = np.array([[0.5, -1.0], [2.0, 1.0]], np.float32).reshape(1, 2, 1, 2)
    hires = cet.explain.hirescam_map(tf.constant(activations), tf.constant(gradients))
    layer = cet.explain.layercam_map(tf.constant(activations), tf.constant(gradients))
    np.testing.assert_allclose(hires.numpy().ravel(), [0.0, 3.0])  # relu(0.5 - 2), relu(0 + 3)
    np.testing.assert_allclose(layer.numpy().ravel(), [0.5, 3.0])  # 0.5 * 1 + 0 * 2, 0 + 3


def test_xgradcam_weights_of_a_hand_made_case():
    # channel 0: A = [1, 3, 0, 0] (sum 4), g = [2, 1, 5, -1] -> (1*2 + 3*1) / 4 = 1.25
    # channel 1: A = [2, 2, 2, 2] (sum 8), g = [1, 0, 0, -1] -> (2 - 2) / 8 = 0
    # channel 2: A = 0 everywhere -> weight 0 (no division by zero)
    activations = np.zeros((1, 2, 2, 3), np.float32)
    gradients = np.zeros((1, 2, 2, 3), np.float32)
    activations[0, :, :, 0] = [[1, 3], [0, 0]]
    gradients[0, :, :, 0] = [[2, 1], [5, -1]]
    activations[0, :, :, 1] = 2.0
    gradients[0, :, :, 1] = [[1, 0], [0, -1]]
    gradients[0, :, :, 2] = 7.0
    weights = cet.explain.xgradcam_weights(tf.constant(activations), tf.constant(gradients))
    np.testing.assert_allclose(weights.numpy(), [[1.25, 0.0, 0.0]], atol=1e-7)


def test_eigencam_is_the_first_principal_component_of_numpy_svd():
    activations = np.random.default_rng(5).random((3, 4, 5, 6), dtype=np.float32)
    got = cet.explain.first_principal_component(tf.constant(activations)).numpy()
    for image, projection in zip(activations, got):
        pixels = image.reshape(-1, 6)
        centred = pixels - pixels.mean(axis=0)
        expected = (centred @ np.linalg.svd(centred, full_matrices=False)[2][0]).reshape(4, 5)
        expected *= np.sign(np.sum(expected * image.mean(axis=2)))
        np.testing.assert_allclose(projection, expected, atol=1e-4)


def test_eigencam_map_ignores_the_target(linear_model, batch):
    x, _ = batch
    eigencam = cet.explain.EigenCAM(linear_model, layer="c3")
    np.testing.assert_allclose(eigencam(x, 0), eigencam(x, 2))
    taps = [linear_model.get_layer("c3")]
    activations = cet.graph.run(linear_model, tf.constant(x), taps=taps)[0][0]
    expected = np.maximum(cet.explain.first_principal_component(activations).numpy(), 0)
    np.testing.assert_allclose(eigencam(x), minmax(expected), atol=1e-5)


def one_decisive_channel_model():
    """1x1 conv (2 -> 4 channels, ReLU, no bias) + GAP + dense reading only channel 2."""
    inputs = keras.Input((6, 6, 2))
    conv = keras.layers.Conv2D(4, 1, activation="relu", use_bias=False, name="conv")
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(conv(inputs))))
    conv.set_weights([np.array([[1, 0, 1, 1], [0, 1, 1, -1]], np.float32).reshape(1, 1, 2, 4)])
    head = np.zeros((4, 2), np.float32)
    head[2] = [3.0, -1.0]
    dense.set_weights([head])
    return model


def test_ablation_cam_drop_on_a_model_with_one_decisive_channel():
    model = one_decisive_channel_model()
    x = images(2, size=6, channels=2, seed=3)
    ablation = cet.explain.AblationCAM(model, layer="conv", batch_size=3)
    activations = cet.graph.run(model, tf.constant(x), taps=[model.get_layer("conv")])[0][0]
    weights = ablation.cam_weights(activations, None, tf.constant(x), tf.constant([0, 0]))
    np.testing.assert_allclose(weights.numpy(), [[0, 0, 1, 0]] * 2, atol=1e-6)  # drop y -> 0
    np.testing.assert_allclose(ablation(x, 0), minmax(activations.numpy()[..., 2]), atol=1e-5)
    # class 1 reads channel 2 with weight -1: y < 0 and y_2 = 0, so (y - y_2) / y = 1 (the
    # paper divides by y, not |y|), and the map is channel 2, not flat
    negative = ablation.cam_weights(activations, None, tf.constant(x), tf.constant([1, 1]))
    np.testing.assert_allclose(negative.numpy(), [[0, 0, 1, 0]] * 2, atol=1e-6)
    np.testing.assert_allclose(ablation(x, 1), minmax(activations.numpy()[..., 2]), atol=1e-5)


def test_ablation_weights_of_a_hand_made_case():
    scores = tf.constant([2.0, -4.0, 0.0])
    ablated = tf.constant([[1.0, 2.0, 3.0], [-5.0, -4.0, -2.0], [1.0, 0.0, 0.0]])
    got = cet.explain.ablation_weights(scores, ablated).numpy()
    # (y - y_k) / y: for y = -4, y_k = -5 -> -0.25 and y_k = -2 -> 0.5; y = 0 gives 0
    np.testing.assert_allclose(got, [[0.5, 0.0, -0.5], [-0.25, 0.0, 0.5], [0.0, 0.0, 0.0]])


def test_bad_options_are_refused(linear_model):
    with pytest.raises(InputError, match="Ablation-CAM explains one layer, got 2"):
        cet.explain.AblationCAM(linear_model, layer=["c2", "c3"])
    with pytest.raises(InputError, match="gamma: expected a value > 0, got 0"):
        cet.explain.LayerCAM(linear_model, gamma=0)
