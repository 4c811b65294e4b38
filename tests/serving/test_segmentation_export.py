"""serving.export of a segmenter: region-mask signatures, reloaded, equal the library's maps."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import images

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts, serving
from cnn_explain_tf.explain.targets import SegmentationRegion
from cnn_explain_tf.validation import InputError

MASK = np.zeros((8, 8), np.float32)
MASK[2:6, 1:5] = 1.0
MASK[0, 7] = 0.5  # weights, not only booleans


def segmenter() -> keras.Model:
    """16x16 images -> (B, 8, 8, 3) per-pixel softmax (the output at half the input size)."""
    keras.utils.set_random_seed(6)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="features")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="decoder")(x)
    outputs = keras.layers.Conv2D(3, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="segmenter")


def methods(model):
    """A CAM, an input gradient, and a perturbation method that scores masked copies of the
    images in larger batches (the mask input is shared by every copy)."""
    return ("gradcam", "saliency", cet.explain.Occlusion(model, patch_size=4))


@pytest.fixture(scope="module")
def model():
    return segmenter()


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    return serving.export(model, tmp_path_factory.mktemp("segmentation") / "seg",
                          methods(model), verbose=0)


@pytest.fixture(scope="module")
def loaded(exported):
    return tf.saved_model.load(str(exported.path))


def test_export_records_a_segmentation_task(exported):
    assert exported.signatures == ("serving_default", "probabilities", "gradcam", "saliency",
                                   "occlusion")
    record = artifacts.read_json(exported.path / "export.json")
    assert record["task"] == "segmentation" and record["num_classes"] == 3


@pytest.mark.parametrize("name", ["gradcam", "saliency", "occlusion"])
@pytest.mark.parametrize("batch", [1, 3])
def test_reloaded_region_signature_equals_the_library(model, loaded, name, batch):
    x = images(batch, seed=batch)
    result = loaded.signatures[name](images=tf.constant(x), category=tf.constant(1),
                                     mask=tf.constant(MASK))
    explainer = dict(gradcam=cet.explain.GradCAM(model), saliency=cet.explain.VanillaGradients(
        model), occlusion=cet.explain.Occlusion(model, patch_size=4))[name]
    expected = explainer(x, SegmentationRegion(1, MASK))
    assert result["maps"].shape == (batch, 16, 16)
    np.testing.assert_allclose(result["maps"].numpy(), expected, atol=1e-5)
    # scores: the region's sum of class-1 logits (the softmax head linearised), by hand
    logits = np.array(cet.graph.run(model, tf.constant(x))[1])
    np.testing.assert_allclose(result["scores"].numpy(), (logits[..., 1] * MASK).sum(axis=(1, 2)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(result["probabilities"].numpy(), model(x), atol=1e-6)


def test_serving_default_returns_per_pixel_probabilities(model, loaded):
    x = images(2, seed=7)
    result = loaded.signatures["serving_default"](images=tf.constant(x))
    assert result["probabilities"].shape == (2, 8, 8, 3)
    np.testing.assert_allclose(result["probabilities"].numpy(), model(x), atol=1e-6)


def test_tfsm_layer_calls_the_region_signature(exported, model):
    layer = keras.layers.TFSMLayer(str(exported.path), call_endpoint="gradcam")
    x = images(2, seed=8)
    result = layer({"images": x, "category": np.int32(2), "mask": MASK})
    np.testing.assert_allclose(np.asarray(result["maps"]), cet.explain.GradCAM(model)(
        x, SegmentationRegion(2, MASK)), atol=1e-5)


@pytest.mark.parametrize("category, mask, message", [
    (3, MASK, r"category: expected a segmentation class in \[0, 3\)"),
    (-1, MASK, r"category: expected a segmentation class in \[0, 3\)"),
    (0, np.where(MASK > 0, np.nan, 0.0).astype(np.float32), "mask: expected finite weights"),
])
def test_bad_region_inputs_are_refused_in_the_graph(loaded, category, mask, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures["gradcam"](images=tf.constant(images(1)), category=tf.constant(
            category), mask=tf.constant(mask))


def test_a_mask_of_another_size_is_refused(loaded):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"mask \[16,16\] is not compatible with expected shape \[8,8\]"):
        loaded.signatures["gradcam"](images=tf.constant(images(1)), category=tf.constant(0),
                                     mask=tf.constant(np.ones((16, 16), np.float32)))


def test_outputs_neither_classifier_nor_segmenter_are_refused(tmp_path):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Reshape((256, 3))(keras.layers.Conv2D(3, 1)(inputs))
    with pytest.raises(InputError, match=r"\(B, classes\) classifier output or a \(B, H, W, "
                                         r"classes\) segmentation output to serve, got output "
                                         r"shape \(None, 256, 3\)"):
        serving.export(keras.Model(inputs, x), tmp_path / "m", verbose=0)


def resnet_encoder(keras_hub):
    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[7], stackwise_num_filters=[64, 16, 16],
        stackwise_num_blocks=[1, 1, 1], stackwise_num_strides=[1, 2, 2],
        block_type="basic_block", use_pre_activation=False, image_shape=(32, 32, 3))


def tiny_keras_hub_segmenter(kind: str) -> keras.Model:
    """A keras-hub DeepLabV3 (on a 3-stage ResNet) or SegFormer (on a 2-stage MiT), random
    weights, 32x32 inputs, 3 classes; both output (B, 32, 32, 3)."""
    keras_hub = pytest.importorskip("keras_hub")
    keras.utils.set_random_seed(0)
    if kind == "deeplabv3":
        backbone = keras_hub.models.DeepLabV3Backbone(
            image_encoder=resnet_encoder(keras_hub), spatial_pyramid_pooling_key="P4",
            upsampling_size=4, dilation_rates=[1, 2], low_level_feature_key="P2",
            projection_filters=8, image_shape=(32, 32, 3))
        return keras_hub.models.DeepLabV3ImageSegmenter(backbone=backbone, num_classes=3)
    encoder = keras_hub.models.MiTBackbone(
        layerwise_depths=[1, 1], num_layers=2, layerwise_num_heads=[1, 1],
        layerwise_sr_ratios=[2, 1], max_drop_path_rate=0.0, layerwise_patch_sizes=[7, 3],
        layerwise_strides=[4, 2], hidden_dims=[8, 16], image_shape=(32, 32, 3))
    backbone = keras_hub.models.SegFormerBackbone(image_encoder=encoder, projection_filters=8)
    return keras_hub.models.SegFormerImageSegmenter(backbone=backbone, num_classes=3)


def hand_saliency(model, x, region):
    """max over channels of |d region score / d images|, min-max normalised, by hand."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = tf.reduce_sum(region(cet.graph.run(model, x)[1]))
    saliency = np.abs(tape.gradient(score, x).numpy()).max(axis=-1)
    low, high = saliency.min((1, 2), keepdims=True), saliency.max((1, 2), keepdims=True)
    return (saliency - low) / (high - low)


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["deeplabv3", "segformer"])
def test_keras_hub_segmenter_export_equals_the_library(kind, tmp_path):
    model = tiny_keras_hub_segmenter(kind)
    assert tuple(model.output.shape) == (None, 32, 32, 3)
    x = images(2, size=32, seed=9)
    mask = np.zeros((32, 32), np.float32)
    mask[8:24, 8:24] = 1.0
    region = SegmentationRegion(2, mask)
    saliency = cet.explain.VanillaGradients(model)
    np.testing.assert_allclose(saliency(x, region), hand_saliency(model, x, region), atol=1e-5)
    result = serving.export(model, tmp_path / kind, ("gradcam", "saliency"), verbose=0)
    loaded = tf.saved_model.load(str(result.path))
    for name, explainer in (("gradcam", cet.explain.GradCAM(model)), ("saliency", saliency)):
        maps = loaded.signatures[name](images=tf.constant(x), category=tf.constant(2),
                                       mask=tf.constant(mask))["maps"]
        np.testing.assert_allclose(maps.numpy(), explainer(x, region), atol=1e-5)
