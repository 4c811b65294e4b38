"""keras-hub CNN backbones and ImageClassifiers: the layer found, Grad-CAM, gradients, occlusion."""

import keras
import numpy as np
import pytest
import tensorflow as tf

keras_hub = pytest.importorskip("keras_hub")

import cnn_explain_tf as cet  # noqa: E402
from cnn_explain_tf import graph  # noqa: E402
from cnn_explain_tf.models import hub  # noqa: E402

SHAPE = (32, 32, 3)
M = keras_hub.models


def resnet():
    return M.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 32],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
        use_pre_activation=False, image_shape=SHAPE)


def vgg():
    return M.VGGBackbone(stackwise_num_repeats=[1, 1], stackwise_num_filters=[8, 16],
                         image_shape=SHAPE)


def efficientnet():
    """One block of each kind: fused (residual), unfused (squeeze-excite), conv-BN-act."""
    return M.EfficientNetBackbone(
        stackwise_kernel_sizes=[3, 3, 3], stackwise_num_repeats=[1, 1, 1],
        stackwise_input_filters=[8, 8, 16], stackwise_output_filters=[8, 16, 16],
        stackwise_expansion_ratios=[1, 4, 1], stackwise_squeeze_and_excite_ratios=[0, 0.25, 0],
        stackwise_strides=[1, 2, 1], stackwise_block_types=["fused", "unfused", "cba"],
        stackwise_force_input_filters=[0, 0, 0], stackwise_nores_option=[False] * 3,
        width_coefficient=1.0, depth_coefficient=1.0, num_features=32, input_shape=SHAPE)


def mobilenet():
    return M.MobileNetBackbone(
        stackwise_expansion=[[16], [32]], stackwise_num_blocks=[1, 1],
        stackwise_num_filters=[[8], [16]], stackwise_kernel_size=[[3], [3]],
        stackwise_num_strides=[[2], [1]], stackwise_se_ratio=[[None], [0.25]],
        stackwise_activation=[["relu"], ["hard_swish"]], stackwise_padding=[[1], [1]],
        output_num_filters=32, depthwise_filters=8, depthwise_stride=1, depthwise_residual=False,
        last_layer_filter=32, image_shape=SHAPE, input_num_filters=8, squeeze_and_excite=0.5)


def densenet():
    return M.DenseNetBackbone(stackwise_num_repeats=[1, 1], image_shape=SHAPE, growth_rate=8)


def xception():
    return M.XceptionBackbone(stackwise_conv_filters=[[8, 16], [32, 32], [32, 32]],
                              stackwise_pooling=[False, True, False], image_shape=SHAPE)


def cspnet():
    return M.CSPNetBackbone(
        stem_filters=8, stem_kernel_size=3, stem_strides=1, stackwise_strides=2,
        stackwise_depth=[1, 1], stackwise_num_filters=[8, 16], image_shape=SHAPE,
        down_growth=True, bottle_ratio=(0.5, 1.0), block_ratio=(1.0, 0.5),
        expand_ratio=(2.0, 1.0), block_type="dark_block", stage_type="csp", stem_padding="same")


# backbone builder -> the layer Grad-CAM picks by default: the backbone's last conv-like layer
# (its output layer, except VGG's, whose output is a pooling layer).
FAMILIES = {
    resnet: "stack1_block0_out", vgg: "block2_conv1", efficientnet: "top_activation",
    mobilenet: "block_3_0", densenet: "relu", xception: "block3_sepconv2_act",
    cspnet: "stage_1_csp_transition_activation",
}
HEAVY = (densenet, xception, cspnet)
CASES = [pytest.param(build, marks=pytest.mark.e2e) if build in HEAVY else build
         for build in FAMILIES]


def classifier(build):
    tf.keras.utils.set_random_seed(0)
    return M.ImageClassifier(backbone=build(), num_classes=3)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).random((2, *SHAPE), dtype=np.float32)


def numpy_gradcam(model, x, layer_name: str, target: int) -> np.ndarray:
    """Grad-CAM by hand on the backbone's feature map A of `layer_name`, read by a multi-output
    Keras model: w = mean over positions of d logit / dA, relu(sum_k w_k A_k), bilinear resize,
    min-max per image (Selvaraju et al. 2017, Eq. 1-2)."""
    backbone = model.backbone
    inner = keras.Model(backbone.inputs[0], [backbone.get_layer(layer_name).output,
                                             backbone.output])
    with tf.GradientTape() as tape:
        features, out = inner(x)
        head = model.output_dense(model.output_dropout(model.pooler(out)))
        score = tf.reduce_sum(head[:, target])
    gradients = tape.gradient(score, features).numpy()
    cam = np.maximum(np.einsum("bhwk,bk->bhw", features.numpy(), gradients.mean(axis=(1, 2))), 0)
    cam = tf.image.resize(cam[..., None], x.shape[1:3], method="bilinear")[..., 0].numpy()
    low, high = cam.min(axis=(1, 2), keepdims=True), cam.max(axis=(1, 2), keepdims=True)
    return (cam - low) / np.where(high - low > 1e-12, high - low, 1.0)


def check_maps(maps, x):
    assert maps.shape == x.shape[:3] and maps.dtype == np.float32
    assert np.isfinite(maps).all() and maps.min() >= 0.0 and maps.max() <= 1.0


@pytest.mark.parametrize("build", CASES, ids=lambda build: build.__name__)
def test_gradcam_on_the_classifier_is_gradcam_on_its_backbone(build, x):
    model = classifier(build)
    layer = graph.find_layer(model, None)
    assert layer.name == FAMILIES[build] and layer is model.backbone.get_layer(layer.name)
    maps = cet.explain.GradCAM(model)(x, targets=1)
    check_maps(maps, x)
    np.testing.assert_allclose(maps, numpy_gradcam(model, x, layer.name, 1), atol=1e-4)


@pytest.mark.parametrize("build", CASES, ids=lambda build: build.__name__)
@pytest.mark.parametrize("method", ["saliency", "occlusion"])
def test_gradient_and_perturbation_methods(build, method, x):
    check_maps(cet.explain.get(method)(classifier(build))(x), x)


def test_gradcam_on_a_bare_backbone_with_a_callable_target(x):
    backbone = resnet()
    maps = cet.explain.GradCAM(backbone)(x, targets=lambda out: tf.reduce_mean(out, (1, 2, 3)))
    check_maps(maps, x)
    assert graph.find_layer(backbone, None).name == "stack1_block0_out"


@pytest.mark.parametrize("build", [efficientnet, mobilenet], ids=lambda build: build.__name__)
def test_custom_blocks_are_entered(build, x):
    """EfficientNet's and MobileNet's blocks are custom layers: graph.run enters them (models/hub.py
    expansions), giving the model's own output, their inner convolutions and guided backprop."""
    model = classifier(build)
    _, out = graph.run(model, tf.constant(x), linearize=False)
    np.testing.assert_allclose(out.numpy(), model(x).numpy(), atol=1e-6)
    convs = [info.name for info in graph.conv_layers(model)]
    inner = {efficientnet: ["block2a_dwconv2", "block2a_se_reduce", "block3a_conv"],
             mobilenet: ["block_0_0_conv1", "block_2_0_se_conv_reduce", "block_3_0_conv"]}
    assert set(inner[build]) <= set(convs)
    check_maps(cet.explain.get("guided_backprop")(model)(x), x)


class HiddenReLU(keras.layers.Layer):
    """A custom layer with an inner ReLU that graph.run cannot enter (no expansion)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.relu = keras.layers.ReLU()

    def call(self, inputs):
        return self.relu(inputs)


def test_rules_refuse_a_custom_layer_hiding_activations(x):
    inputs = keras.Input(SHAPE)
    features = HiddenReLU(name="hidden")(keras.layers.Conv2D(4, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(features)))
    check_maps(cet.explain.get("saliency")(model)(x), x)
    with pytest.raises(Exception, match="'hidden' .HiddenReLU. hides its activations"):
        cet.explain.get("guided_backprop")(model)(x)


def preset_like_classifier():
    """A small ResNet classifier with an ImageNet-style preprocessor, as a preset holds."""
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    converter = keras_hub.layers.ResNetImageConverter(
        image_size=SHAPE[:2], scale=list(1 / (255.0 * std)), offset=list(-mean / std))
    preprocessor = M.ResNetImageClassifierPreprocessor(image_converter=converter)
    return M.ResNetImageClassifier(backbone=resnet(), num_classes=3, preprocessor=preprocessor)


def test_with_preprocessing_matches_predict_on_raw_pixels(x):
    model = preset_like_classifier()
    wrapped = hub.with_preprocessing(model)
    assert wrapped.inputs[0].shape[1:] == SHAPE
    expected = model.predict(x * 255.0, verbose=0)  # predict runs the preprocessor
    np.testing.assert_allclose(wrapped(x).numpy(), expected, atol=1e-5)
    assert graph.find_layer(wrapped, None).name == "stack1_block0_out"


def test_from_preset_loads_through_keras_hub_and_explains(monkeypatch, x):
    asked = []

    def from_preset(preset, **kwargs):
        asked.append((preset, kwargs))
        return preset_like_classifier()

    monkeypatch.setattr(M.ImageClassifier, "from_preset", from_preset)
    model = hub.from_preset("resnet_18_imagenet", num_classes=3)
    assert asked == [("resnet_18_imagenet", {"num_classes": 3})]
    check_maps(cet.explain.GradCAM(model)(x), x)


def test_a_classifier_without_preprocessor_is_refused_by_name():
    with pytest.raises(cet.validation.InputError, match="classifier: expected a keras-hub"):
        hub.with_preprocessing(M.ImageClassifier(backbone=vgg(), num_classes=3))


def test_missing_keras_hub_gives_the_install_line(monkeypatch):
    monkeypatch.setattr(hub.importlib, "import_module", _no_module)
    with pytest.raises(ImportError, match=r'pip install "cnn_explain_tf\[hub\]"'):
        hub.from_preset("resnet_18_imagenet")


def _no_module(name):
    raise ModuleNotFoundError(f"No module named '{name}'")
