"""Classifier zoo: keras.applications bases and CPU-sized lite nets behind one `build` call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import keras
from keras import layers, ops

__all__ = ["MIN_INPUT_SIZE", "ImageNetPreprocessing", "build", "check_input_shape", "list_archs"]

MIN_INPUT_SIZE = 8
"""Smallest accepted height/width: the lite nets halve the resolution three times (8 -> 1)."""

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@dataclasses.dataclass(frozen=True)
class _Arch:
    """How to build one architecture's convolutional base."""

    build_base: Callable[..., keras.Model]
    min_size: int
    preprocessing: str | None  # ImageNet input scaling of the pretrained weights; None: no weights


@keras.saving.register_keras_serializable(package="cnn_explain_tf")
class ImageNetPreprocessing(layers.Layer):
    """Maps [0, 1] RGB images to the input range that a family's ImageNet weights were trained on.

    Modes follow `keras.applications.imagenet_utils.preprocess_input`: "caffe" (RGB->BGR, 0-255,
    minus the BGR mean; VGG, ResNet), "tf" ([-1, 1]; MobileNet, Inception, Xception), "torch"
    (ImageNet mean/std; DenseNet).
    """

    def __init__(self, mode: str, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("caffe", "tf", "torch"):
            raise ValueError(f"mode: expected 'caffe', 'tf' or 'torch', got {mode!r}")
        self.mode = mode

    def call(self, inputs):
        if self.mode == "tf":
            return inputs * 2.0 - 1.0
        if self.mode == "torch":
            return (inputs - ops.array(_IMAGENET_MEAN, self.compute_dtype)) / ops.array(
                _IMAGENET_STD, self.compute_dtype)
        return ops.flip(inputs, axis=-1) * 255.0 - ops.array(_CAFFE_MEAN_BGR, self.compute_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


def _batch_norm(name: str) -> layers.BatchNormalization:
    """Batch norm whose moving statistics settle within the few hundred steps of a quick run."""
    return layers.BatchNormalization(momentum=0.9, name=name)


def _conv_bn_relu(x, filters: int, kernel_size: int, name: str, strides: int = 1):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      name=f"{name}_conv")(x)
    x = _batch_norm(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _vgg_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Plain VGG-style stack: 4 blocks of two 3x3 convolutions (16-128 filters), max-pooled."""
    inputs = keras.Input(input_shape)
    x = inputs
    for block, filters in enumerate((16, 32, 64, 128), start=1):
        if block > 1:
            x = layers.MaxPooling2D(name=f"block{block - 1}_pool")(x)
        for index in (1, 2):
            x = _conv_bn_relu(x, filters, 3, name=f"block{block}_{index}")
    return keras.Model(inputs, x, name="vgg_lite")


def _bottleneck(x, filters: int, strides: int, name: str):
    """ResNet v1 bottleneck: 1x1 reduce, 3x3, 1x1 expand (4x), projection shortcut, add, ReLU."""
    shortcut = layers.Conv2D(4 * filters, 1, strides=strides, use_bias=False,
                             name=f"{name}_0_conv")(x)
    shortcut = _batch_norm(name=f"{name}_0_bn")(shortcut)
    x = _conv_bn_relu(x, filters, 1, name=f"{name}_1", strides=strides)
    x = _conv_bn_relu(x, filters, 3, name=f"{name}_2")
    x = layers.Conv2D(4 * filters, 1, use_bias=False, name=f"{name}_3_conv")(x)
    x = _batch_norm(name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.ReLU(name=f"{name}_out")(x)


def _resnet_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Residual bottleneck net: 3x3 stem, then 3 stages of one bottleneck block (13 convs)."""
    inputs = keras.Input(input_shape)
    x = _conv_bn_relu(inputs, 16, 3, name="stem")
    for stage, (filters, strides) in enumerate(((16, 2), (32, 2), (64, 2)), start=2):
        x = _bottleneck(x, filters, strides, name=f"conv{stage}_block1")
    return keras.Model(inputs, x, name="resnet_lite")


def _mobilenet_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Depthwise-separable net (MobileNet v1 style): 3x3 stem, 8 depthwise + pointwise blocks."""
    inputs = keras.Input(input_shape)
    x = _conv_bn_relu(inputs, 16, 3, name="stem")
    blocks = ((32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1))
    for block, (filters, strides) in enumerate(blocks, start=1):
        x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                   name=f"block{block}_dw_conv")(x)
        x = _batch_norm(name=f"block{block}_dw_bn")(x)
        x = layers.ReLU(name=f"block{block}_dw_relu")(x)
        x = _conv_bn_relu(x, filters, 1, name=f"block{block}_pw")
    return keras.Model(inputs, x, name="mobilenet_lite")


def _inception_module(x, filters: int, name: str):
    """Inception v1 style module: 1x1, 1x1->3x3, 1x1->3x3->3x3 and pool->1x1 branches, joined."""
    branches = [
        _conv_bn_relu(x, filters, 1, name=f"{name}_1x1"),
        _conv_bn_relu(_conv_bn_relu(x, filters // 2, 1, name=f"{name}_3x3_reduce"), filters, 3,
                      name=f"{name}_3x3"),
        _conv_bn_relu(_conv_bn_relu(_conv_bn_relu(x, filters // 2, 1, name=f"{name}_5x5_reduce"),
                                    filters // 2, 3, name=f"{name}_5x5a"),
                      filters // 2, 3, name=f"{name}_5x5b"),
        _conv_bn_relu(layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x),
                      filters // 2, 1, name=f"{name}_pool_proj"),
    ]
    return layers.Concatenate(name=f"{name}_concat")(branches)


def _inception_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Inception-style net (an architecture family the quick GANs never see): 3x3 stem, then
    three max-pooled inception modules of four parallel branches (19 convs)."""
    inputs = keras.Input(input_shape)
    x = _conv_bn_relu(inputs, 16, 3, name="stem")
    for module, filters in enumerate((16, 32, 64), start=1):
        x = layers.MaxPooling2D(name=f"mixed{module}_downsample")(x)
        x = _inception_module(x, filters, name=f"mixed{module}")
    return keras.Model(inputs, x, name="inception_lite")


def _application(constructor: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    def build_base(input_shape: tuple[int, int, int], weights: str | None) -> keras.Model:
        return constructor(include_top=False, weights=weights, input_shape=input_shape)

    return build_base


_ARCHS: dict[str, _Arch] = {
    "vgg16": _Arch(_application(keras.applications.VGG16), 32, "caffe"),
    "resnet50": _Arch(_application(keras.applications.ResNet50), 32, "caffe"),
    "mobilenet": _Arch(_application(keras.applications.MobileNet), 32, "tf"),
    "inceptionv3": _Arch(_application(keras.applications.InceptionV3), 75, "tf"),
    "xception": _Arch(_application(keras.applications.Xception), 71, "tf"),
    "vgg19": _Arch(_application(keras.applications.VGG19), 32, "caffe"),
    "densenet121": _Arch(_application(keras.applications.DenseNet121), 32, "torch"),
    "vgg_lite": _Arch(_vgg_lite, MIN_INPUT_SIZE, None),
    "resnet_lite": _Arch(_resnet_lite, MIN_INPUT_SIZE, None),
    "mobilenet_lite": _Arch(_mobilenet_lite, MIN_INPUT_SIZE, None),
    "inception_lite": _Arch(_inception_lite, MIN_INPUT_SIZE, None),
}


def list_archs() -> list[str]:
    """Names accepted by `build`: the keras.applications families, then the CPU-sized lite nets."""
    return list(_ARCHS)


def build(arch: str, input_shape: Sequence[int], num_classes: int,
          weights: str | None = None) -> keras.Model:
    """Builds a classifier: [0, 1] images in, class probabilities (softmax) out.

    The model is `input -> [grayscale to RGB] -> [upsampling] -> [ImageNet preprocessing] -> base
    -> global average pooling -> Dense softmax`. The convolutional base is a nested `keras.Model`
    (named after the architecture), as when users wrap a `keras.applications` model. Inputs smaller
    than the base's minimum (75 for InceptionV3, 71 for Xception, 32 for the other applications)
    are upsampled by a `Resizing` layer inside the model. With `weights`, grayscale inputs are tiled
    to 3 channels and scaled the way the pretrained weights expect. The head is a softmax (the
    explainers linearise it to explain the logits) computed in float32, so the model is safe under
    mixed precision.

    Args:
        arch: one of `list_archs()`.
        input_shape: (H, W, C) of the [0, 1] images, H and W >= `MIN_INPUT_SIZE`.
        num_classes: number of classes, >= 2.
        weights: None (random init) or a `keras.applications` weights spec such as "imagenet"
            (needs network on first use); not available for the lite nets.

    Returns:
        An uncompiled `keras.Model` named "<arch>_classifier".

    Raises:
        ValueError: unknown arch, malformed or too small input_shape, bad num_classes, or weights
            requested for a lite net or with a channel count other than 1 or 3.
    """
    height, width, channels = check_input_shape(arch, input_shape, weights)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes: expected an int >= 2, got {num_classes!r}")
    spec = _ARCHS[arch]
    inputs = keras.Input((height, width, channels), name="image")
    x = inputs
    if weights is not None and channels == 1:
        x = layers.Concatenate(name="grayscale_to_rgb")([x, x, x])
    size = (max(height, spec.min_size), max(width, spec.min_size))
    if size != (height, width):
        x = layers.Resizing(*size, name="upsample")(x)
    if weights is not None:
        x = ImageNetPreprocessing(spec.preprocessing, name="imagenet_preprocessing")(x)
    base = spec.build_base(input_shape=(*size, x.shape[-1]), weights=weights)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(base(x))
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{arch}_classifier")


def check_input_shape(arch: str, input_shape: Sequence[int],
                      weights: str | None = None) -> tuple[int, int, int]:
    """Checks that `build(arch, input_shape, ..., weights)` accepts the arch and image shape.

    Returns:
        The shape as a tuple (height, width, channels).

    Raises:
        ValueError: unknown arch, weights for a lite net, or a shape that is not 3 ints, is
            smaller than `MIN_INPUT_SIZE`, or (with weights) has not 1 or 3 channels.
    """
    if arch not in _ARCHS:
        raise ValueError(f"arch: expected one of {list_archs()}, got {arch!r}")
    if weights is not None and _ARCHS[arch].preprocessing is None:
        raise ValueError(f"weights: {arch!r} has no pretrained weights; expected None, "
                         f"got {weights!r}")
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise ValueError("input_shape: expected (height, width, channels) ints, "
                         f"got {input_shape!r}")
    height, width, channels = shape
    if min(height, width) < MIN_INPUT_SIZE:
        raise ValueError(f"input_shape: {arch!r} needs images of at least {MIN_INPUT_SIZE}x"
                         f"{MIN_INPUT_SIZE}, got {height}x{width}")
    if channels < 1 or (weights is not None and channels not in (1, 3)):
        expected = "1 or 3 channels with pretrained weights" if weights else "at least 1 channel"
        raise ValueError(f"input_shape: {arch!r} expects {expected}, got {channels}")
    return shape
