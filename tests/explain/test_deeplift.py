"""DeepLIFT (Rescale rule): a hand-computed network, summation-to-delta, the max-pool convention."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images, same_resolution_classifier

import cnn_explain_tf as cet
from cnn_explain_tf.explain.deeplift import DeepLIFT
from cnn_explain_tf.validation import InputError


def logits_of(model, x):
    return cet.graph.run(model, tf.constant(x, tf.float32))[1].numpy()


def two_layer_model():
    """x (1, 2, 1) -> relu(x W1 + b1) -> h W2 + b2, one output."""
    inputs = keras.Input((1, 2, 1))
    hidden = keras.layers.Dense(2, activation="relu")
    top = keras.layers.Dense(1)
    model = keras.Model(inputs, top(hidden(keras.layers.Flatten()(inputs))))
    hidden.set_weights([np.array([[-1.0, 2.0], [-1.0, 1.0]], np.float32),
                        np.array([0.25, -0.25], np.float32)])
    top.set_weights([np.array([[1.0], [2.0]], np.float32), np.array([0.125], np.float32)])
    return model


def test_rescale_rule_of_a_hand_computed_two_layer_network():
    # x = (1/4, 1/2), x0 = (0, 0). Unit 1: z = -x1 - x2 + 1/4 = -1/2 (ref 1/4), relu 0
    # (ref 1/4): m1 = (0 - 1/4) / (-1/2 - 1/4) = 1/3. Unit 2: z = 2 x1 + x2 - 1/4 = 3/4
    # (ref -1/4), relu 3/4 (ref 0): m2 = (3/4) / 1 = 3/4. Input multipliers
    # sum_j W1[i, j] m_j W2[j]: x1: -1/3 + 2 * 3/4 * 2 = 8/3, x2: -1/3 + 1 * 3/4 * 2 = 7/6;
    # contributions (1/4 * 8/3, 1/2 * 7/6) = (2/3, 7/12) sum to f(x) - f(x0) = 13/8 - 3/8.
    model = two_layer_model()
    x = np.array([0.25, 0.5], np.float32).reshape(1, 1, 2, 1)
    got = DeepLIFT(model).attributions(x).ravel()
    np.testing.assert_allclose(got, [2 / 3, 7 / 12], rtol=1e-6)
    # Gradient x input sees only the active unit 2: (1/4 * 2 * 2, 1/2 * 1 * 2), summing to 2.
    np.testing.assert_allclose(cet.explain.GradientXInput(model).attributions(x).ravel(),
                               [1.0, 1.0], rtol=1e-6)


def test_an_activation_whose_input_equals_the_references_passes_its_gradient():
    # x = (1/2, 1/2), x0 = (0, 0): z = x1 - x2 + 1/2 = 1/2 = z0, so m = relu'(1/2) = 1 (as
    # captum); contributions (1/2 * 1, 1/2 * -1) sum to f(x) - f(x0) = 0.
    inputs = keras.Input((1, 2, 1))
    hidden = keras.layers.Dense(1, activation="relu")
    model = keras.Model(inputs, hidden(keras.layers.Flatten()(inputs)))
    hidden.set_weights([np.array([[1.0], [-1.0]], np.float32), np.array([0.5], np.float32)])
    x = np.full((1, 1, 2, 1), 0.5, np.float32)
    np.testing.assert_allclose(DeepLIFT(model).attributions(x).ravel(), [0.5, -0.5])


def small_smooth_model():
    """tanh and ELU activations, average pooling, a residual Add: no max pooling."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="tanh")(inputs)
    y = keras.layers.Conv2D(4, 3, padding="same")(x)
    x = keras.layers.Add()([x, keras.layers.ELU()(y)])
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Dense(5, activation="sigmoid")(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


@pytest.mark.parametrize("baseline", [0.0, 0.5, "image"])
@pytest.mark.parametrize("build", [same_resolution_classifier, small_smooth_model])
def test_attributions_sum_to_the_difference_from_the_baseline(build, baseline):
    model = build()
    size = model.inputs[0].shape[1]
    x = images(3, size=size)
    if baseline == "image":
        baseline = images(1, size=size, seed=9)[0] * 0.3
    targets = np.array([0, 2, 1])
    total = DeepLIFT(model, baseline=baseline).attributions(x, targets).sum(axis=(1, 2, 3))
    reference = np.broadcast_to(np.asarray(baseline, np.float32), x.shape)
    rows = np.arange(3)
    expected = logits_of(model, x)[rows, targets] - logits_of(model, reference)[rows, targets]
    assert np.abs(expected).min() > 1e-3
    np.testing.assert_allclose(total, expected, rtol=1e-4, atol=1e-6)


def test_max_pooling_passes_multipliers_to_the_image_maximum_unlike_captum():
    # f(x) = max(x1, x2), x = (1/4, 3/4), x0 = (1/2, 0): f(x) - f(x0) = 1/4. The multiplier
    # goes to the image's maximum as a gradient does (the DeepLIFT authors' code): contributions
    # (-1/4 * 0, 3/4 * 1) = (0, 3/4). captum's max-pool rule routes max(3/4, 1/2) - 1/2 = 1/4
    # to x2 and 3/4 - max(3/4, 1/2) = 0 to the reference's maximum x1: (0, 1/4), sum 1/4.
    inputs = keras.Input((1, 2, 1))
    dense = keras.layers.Dense(1, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(
        keras.layers.MaxPooling2D((1, 2))(inputs))))
    dense.set_weights([np.ones((1, 1), np.float32)])
    x = np.array([0.25, 0.75], np.float32).reshape(1, 1, 2, 1)
    baseline = np.array([0.5, 0.0], np.float32).reshape(1, 2, 1)
    got = DeepLIFT(model, baseline=baseline).attributions(x).ravel()
    np.testing.assert_allclose(got, [0.0, 0.75])


def test_map_is_the_normalised_magnitude_and_the_target_is_resolved_on_the_image():
    model = classifier(head="softmax")
    x = images(2)
    explainer = DeepLIFT(model)
    predicted = np.argmax(logits_of(model, x), axis=1)
    np.testing.assert_allclose(explainer.attributions(x), explainer.attributions(x, predicted),
                               atol=1e-6)
    expected = cet.explain.attribution_map(tf.constant(explainer.attributions(x))).numpy()
    np.testing.assert_allclose(explainer(x), expected, atol=1e-6)


def test_bad_baseline_is_refused():
    with pytest.raises(InputError, match="baseline"):
        DeepLIFT(classifier(), baseline=np.zeros((3, 3)))
