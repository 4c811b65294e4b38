"""Every bad input raises a typed error naming the argument, the expectation and the value."""

import keras
import numpy as np
import pytest
from helpers import CNN_EXPLAINERS, cheap_explainer, classifier, images

import cnn_explain_tf as cet


@pytest.fixture(scope="module")
def gradcam():
    return cet.explain.GradCAM(classifier(classes=4))


@pytest.mark.parametrize("bad, error, message", [
    (np.zeros((16, 16), np.float32), ValueError, r"expected a batch of rank 4 .*\(16, 16\)"),
    (np.zeros((1, 1, 16, 16, 3), np.float32), ValueError, r"rank 4 .*\(1, 1, 16, 16, 3\)"),
    (np.zeros((16, 16, 3), np.float32), ValueError, r"add a batch axis with images\[None\]"),
    (np.zeros((1, 20, 16, 3), np.float32), ValueError, r"expected height 16 .* \(1, 20, 16, 3\)"),
    (np.zeros((1, 16, 12, 3), np.float32), ValueError, r"expected width 16"),
    (np.zeros((1, 16, 16, 2), np.float32), ValueError, r"expected 3 channel\(s\) \(or 1"),
    (np.zeros((0, 16, 16, 3), np.float32), ValueError, r"at least one image, got an empty batch"),
    (np.full((1, 16, 16, 3), np.nan, np.float32), ValueError, r"finite pixel values, got 768 NaN"),
    (np.full((1, 16, 16, 3), np.inf, np.float32), ValueError, r"finite pixel values"),
    (np.full((1, 16, 16, 3), 200, np.uint8), TypeError, r"got integer .*uint8; divide by 255"),
    (np.full((1, 16, 16, 3), 200.0, np.float32), ValueError, r"values in \[0, 1\], got range"),
    ("not images", TypeError, r"images: expected an array-like of floats"),
])
def test_bad_images(gradcam, bad, error, message):
    with pytest.raises(error, match=message):
        gradcam(bad)


@pytest.mark.parametrize("targets, error, message", [
    (4, ValueError, r"targets: expected class indices in \[0, 4\), got \[4, 4\]"),
    ([0, -2], ValueError, r"class indices in \[0, 4\), got \[-2\]"),
    ([0, 1, 2], ValueError, r"targets: expected None, an int or 2 ints .* shape \(3,\)"),
    ([0.5, 1.0], TypeError, r"targets: expected None, an int or a sequence of ints"),
])
def test_bad_targets(gradcam, targets, error, message):
    with pytest.raises(error, match=message):
        gradcam(images(2), targets)


def test_unknown_layer_lists_candidates():
    message = r"layer: expected the name .* got 'conv9'.* relu2, add, conv3"
    with pytest.raises(ValueError, match=message):
        cet.explain.GradCAM(classifier(), layer="conv9")


def test_cam_on_a_model_without_4d_layers():
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)), name="mlp")
    with pytest.raises(ValueError, match="needs a layer with a 4-D output .* 'mlp' has none"):
        cet.explain.GradCAM(model)
    assert cet.explain.VanillaGradients(model)(images(1, size=4, channels=1)).shape == (1, 4, 4)


def test_multi_output_model_needs_an_output_selector():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, name="conv")(inputs))
    model = keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(5)(x)])
    with pytest.raises(ValueError, match=r"output: this model has 2 outputs; pass output="):
        cet.explain.GradCAM(model)
    with pytest.raises(ValueError, match=r"output: expected an index in \[0, 2\), got 2"):
        cet.explain.GradCAM(model, output=2)
    second = cet.explain.GradCAM(model, output=1)
    assert second.num_classes == 5 and second(images(2, size=8), targets=4).shape == (2, 8, 8)


@pytest.mark.parametrize("option, value, error", [("batch_size", 0, ValueError),
                                                  ("batch_size", 2.5, TypeError)])
def test_bad_options(option, value, error):
    with pytest.raises(error, match=option):
        cet.explain.GradCAM(classifier(), **{option: value})


def test_scorecam_and_smoothgrad_options_are_checked():
    model = classifier()
    with pytest.raises(ValueError, match="max_channels: expected an int >= 1, got 0"):
        cet.explain.ScoreCAM(model, max_channels=0)
    with pytest.raises(ValueError, match="noise_level: expected a value in"):
        cet.explain.SmoothGrad(model, noise_level=-1)


def dead_or_bias_free(dead: bool) -> keras.Model:
    inputs = keras.Input((8, 8, 3))
    init = "zeros" if dead else "glorot_uniform"
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False,
                            kernel_initializer=init)(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False,
                            kernel_initializer=init)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", use_bias=False,
                                                  kernel_initializer=init)(x))


@pytest.mark.parametrize("name", CNN_EXPLAINERS)
def test_dead_network_and_black_image_give_zero_maps(name):
    cases = [(dead_or_bias_free(True), images(2, size=8))]
    if name != "deconvnet":  # deconvnet's backward signal ignores the input: not zero on black
        cases.append((dead_or_bias_free(False), np.zeros((2, 8, 8, 3), np.float32)))
    for model, x in cases:
        maps = cheap_explainer(name, model)(x)
        assert np.isfinite(maps).all() and not maps.any()
