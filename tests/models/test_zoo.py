"""Tests for the classifier zoo: every arch builds and runs, lite nets are deep, bad input."""

import keras
import numpy as np
import pytest

from cnn_explain_tf.models import zoo

APPLICATIONS = ["vgg16", "resnet50", "mobilenet", "inceptionv3", "xception", "vgg19", "densenet121"]
LITE = ["vgg_lite", "resnet_lite", "mobilenet_lite", "inception_lite"]


def _base(model: keras.Model) -> keras.Model:
    (base,) = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return base


def test_list_archs_names_paper_unseen_and_lite_families():
    assert zoo.list_archs("application") == APPLICATIONS + ["resnet101", "resnet152",
                                                            "densenet169", "densenet201"]
    assert zoo.list_archs("classic") == ["alexnet", "squeezenet1_0", "squeezenet1_1"]
    assert zoo.list_archs("lite")[-4:] == LITE
    assert zoo.list_archs() == sum((zoo.list_archs(kind) for kind in zoo.KINDS), [])


@pytest.mark.parametrize("arch", APPLICATIONS + LITE)
def test_build_runs_small_grayscale_input_through_a_nested_base(arch):
    model = zoo.build(arch, (16, 16, 1), num_classes=3)
    probabilities = model(np.random.default_rng(0).random((1, 16, 16, 1), np.float32)).numpy()
    assert probabilities.shape == (1, 3)
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
    assert model.get_layer("predictions").activation is keras.activations.softmax
    assert _base(model).output.ndim == 4
    assert ("upsample" in [layer.name for layer in model.layers]) == (arch in APPLICATIONS)


@pytest.mark.parametrize(("arch", "size"), [("inceptionv3", 75), ("xception", 71), ("vgg16", 32)])
def test_applications_are_upsampled_to_their_minimum_input(arch, size):
    model = zoo.build(arch, (20, 40, 1), num_classes=2)
    assert model.get_layer("upsample").output.shape[1:3] == (size, max(size, 40))
    assert model.input.shape[1:] == (20, 40, 1)


@pytest.mark.parametrize("arch", LITE)
def test_lite_nets_have_at_least_8_convolutions_and_keep_native_size(arch):
    model = zoo.build(arch, (32, 32, 1), num_classes=10)
    layers = _base(model).layers
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in layers) >= 8
    assert "upsample" not in [layer.name for layer in model.layers]
    assert model.count_params() < 500_000


def test_lite_model_round_trips_through_keras_file(tmp_path):
    model = zoo.build("resnet_lite", (16, 16, 1), num_classes=4)
    images = np.random.default_rng(1).random((2, 16, 16, 1), np.float32)
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(reloaded(images), model(images), rtol=1e-5, atol=1e-6)


def test_weights_are_passed_through_with_rgb_tiling_and_imagenet_scaling(tmp_path):
    source = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(32, 32, 3))
    source.save_weights(tmp_path / "mobilenet.weights.h5")
    model = zoo.build("mobilenet", (32, 32, 1), num_classes=2,
                      weights=str(tmp_path / "mobilenet.weights.h5"))
    assert model.get_layer("grayscale_to_rgb").output.shape[-1] == 3
    assert model.get_layer("imagenet_preprocessing").mode == "tf"
    for loaded, saved in zip(_base(model).weights, source.weights, strict=True):
        np.testing.assert_array_equal(loaded.numpy(), saved.numpy())


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_imagenet_preprocessing_matches_keras_preprocess_input(mode):
    images = np.random.default_rng(2).random((2, 4, 4, 3), np.float32)
    expected = keras.applications.imagenet_utils.preprocess_input(images * 255.0, mode=mode)
    layer = zoo.ImageNetPreprocessing(mode)
    np.testing.assert_allclose(layer(images), expected, rtol=1e-5, atol=1e-4)
    assert zoo.ImageNetPreprocessing.from_config(layer.get_config()).mode == mode


@pytest.mark.parametrize(("args", "message"), [
    (("resnet", (32, 32, 1), 10), r"arch: expected one of \['vgg16'.*'inception_lite'\], got 'res"),
    (("vgg16", (4, 32, 1), 10), "at least 8x8, got 4x32"),
    (("vgg_lite", (32, 32), 10), r"input_shape: expected \(height, width, channels\)"),
    (("vgg_lite", (32, 32.5, 1), 10), "input_shape: expected"),
    (("vgg_lite", (32, 32, 0), 10), "at least 1 channel, got 0"),
    (("vgg16", (32, 32, 2), 10, "imagenet"), "1 or 3 channels with pretrained weights, got 2"),
    (("vgg_lite", (32, 32, 1), 10, "imagenet"), "'vgg_lite' has no pretrained weights"),
    (("vgg_lite", (32, 32, 1), 1), "num_classes: expected an int >= 2, got 1"),
])
def test_bad_input_raises_value_error_naming_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        zoo.build(*args)
