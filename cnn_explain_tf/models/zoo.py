"""Classifier zoo: keras.applications bases and CPU-sized lite nets behind one `build` call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import keras
from keras import layers, ops

from cnn_explain_tf.models import families
from cnn_explain_tf.models.blocks import batch_norm, conv_bn_relu
from cnn_explain_tf.models.classic import alexnet, squeezenet
from cnn_explain_tf.validation import InputError

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
    kind: str = "application"  # "application", "classic" (our builders, weights=PATH) or "lite"
    own_head: bool = False  # the base ends in the logits (its paper's head), not a 4-D map


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
            raise InputError(f"mode: expected 'caffe', 'tf' or 'torch', got {mode!r}")
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


def _vgg_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Plain VGG-style stack: 4 blocks of two 3x3 convolutions (16-128 filters), max-pooled."""
    inputs = keras.Input(input_shape)
    x = inputs
    for block, filters in enumerate((16, 32, 64, 128), start=1):
        if block > 1:
            x = layers.MaxPooling2D(name=f"block{block - 1}_pool")(x)
        for index in (1, 2):
            x = conv_bn_relu(x, filters, 3, name=f"block{block}_{index}")
    return keras.Model(inputs, x, name="vgg_lite")


def _mobilenet_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Depthwise-separable net (MobileNet v1 style): 3x3 stem, 8 depthwise + pointwise blocks."""
    inputs = keras.Input(input_shape)
    x = conv_bn_relu(inputs, 16, 3, name="stem")
    blocks = ((32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1))
    for block, (filters, strides) in enumerate(blocks, start=1):
        x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                   name=f"block{block}_dw_conv")(x)
        x = batch_norm(name=f"block{block}_dw_bn")(x)
        x = layers.ReLU(name=f"block{block}_dw_relu")(x)
        x = conv_bn_relu(x, filters, 1, name=f"block{block}_pw")
    return keras.Model(inputs, x, name="mobilenet_lite")


def _inception_module(x, filters: int, name: str):
    """Inception v1 style module: 1x1, 1x1->3x3, 1x1->3x3->3x3 and pool->1x1 branches, joined."""
    branches = [
        conv_bn_relu(x, filters, 1, name=f"{name}_1x1"),
        conv_bn_relu(conv_bn_relu(x, filters // 2, 1, name=f"{name}_3x3_reduce"), filters, 3,
                      name=f"{name}_3x3"),
        conv_bn_relu(conv_bn_relu(conv_bn_relu(x, filters // 2, 1, name=f"{name}_5x5_reduce"),
                                    filters // 2, 3, name=f"{name}_5x5a"),
                      filters // 2, 3, name=f"{name}_5x5b"),
        conv_bn_relu(layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x),
                      filters // 2, 1, name=f"{name}_pool_proj"),
    ]
    return layers.Concatenate(name=f"{name}_concat")(branches)


def _inception_lite(input_shape: tuple[int, int, int], **_) -> keras.Model:
    """Inception-style net (an architecture family the quick GANs never see): 3x3 stem, then
    three max-pooled inception modules of four parallel branches (19 convs)."""
    inputs = keras.Input(input_shape)
    x = conv_bn_relu(inputs, 16, 3, name="stem")
    for module, filters in enumerate((16, 32, 64), start=1):
        x = layers.MaxPooling2D(name=f"mixed{module}_downsample")(x)
        x = _inception_module(x, filters, name=f"mixed{module}")
    return keras.Model(inputs, x, name="inception_lite")


def _application(constructor: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    def build_base(input_shape: tuple[int, int, int], weights: str | None, **_) -> keras.Model:
        return constructor(include_top=False, weights=weights, input_shape=input_shape)

    return build_base


def _classic(constructor: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    def build_base(input_shape: tuple[int, int, int], num_classes: int,
                   weights: str | None) -> keras.Model:
        model = constructor(input_shape, num_classes)
        if weights is not None:
            _load_weights(model, weights)
        return model

    return build_base


def _load_weights(model: keras.Model, path: str) -> None:
    """Loads a Keras weights file into one of our builders; InputError when it does not fit."""
    try:
        model.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        raise InputError(f"weights: expected a Keras weights file (.weights.h5) that fits "
                         f"{model.name!r} ({model.count_params():,} parameters), got {path!r} "
                         f"({str(error).splitlines()[0][:200]})") from error


def _lite(build_base, own_head: bool = False) -> _Arch:
    if own_head:
        return _Arch(lambda input_shape, num_classes, **_: build_base(input_shape, num_classes),
                     MIN_INPUT_SIZE, None, "lite", own_head=True)
    return _Arch(build_base, MIN_INPUT_SIZE, None, "lite")


def _squeezenet(version: str) -> Callable[..., keras.Model]:
    return _classic(lambda shape, classes: squeezenet(shape, classes, version))


_APPLICATIONS = {"vgg16": ("VGG16", 32, "caffe"), "resnet50": ("ResNet50", 32, "caffe"),
                 "mobilenet": ("MobileNet", 32, "tf"), "inceptionv3": ("InceptionV3", 75, "tf"),
                 "xception": ("Xception", 71, "tf"), "vgg19": ("VGG19", 32, "caffe"),
                 "densenet121": ("DenseNet121", 32, "torch"),
                 "resnet101": ("ResNet101", 32, "caffe"), "resnet152": ("ResNet152", 32, "caffe"),
                 "densenet169": ("DenseNet169", 32, "torch"),
                 "densenet201": ("DenseNet201", 32, "torch")}
_ARCHS: dict[str, _Arch] = {
    **{arch: _Arch(_application(getattr(keras.applications, constructor)), size, mode)
       for arch, (constructor, size, mode) in _APPLICATIONS.items()},
    "alexnet": _Arch(_classic(alexnet), 63, "torch", "classic", own_head=True),
    "squeezenet1_0": _Arch(_squeezenet("1_0"), 35, "torch", "classic", own_head=True),
    "squeezenet1_1": _Arch(_squeezenet("1_1"), 31, "torch", "classic", own_head=True),
    "alexnet_lite": _lite(families.alexnet_lite, own_head=True),
    **{f"vgg{d}_lite": _lite(families.vgg_base(blocks, f"vgg{d}_lite"))
       for d, blocks in ((13, (2, 2, 2, 2)), (16, (2, 2, 3, 3)), (19, (2, 2, 4, 4)))},
    **{f"resnet{d}_lite": _lite(families.resnet_base(blocks, f"resnet{d}_lite"))
       for d, blocks in ((50, (1, 2, 1)), (101, (2, 2, 2)), (152, (2, 3, 3)))},
    **{f"densenet{d}_lite": _lite(families.densenet_base(blocks, f"densenet{d}_lite"))
       for d, blocks in ((121, (2, 2, 2)), (169, (2, 3, 4)), (201, (3, 4, 6)))},
    **{f"squeezenet{v}_lite": _lite(families.squeezenet_lite(v), own_head=True)
       for v in ("1_0", "1_1")},
    "vgg_lite": _lite(_vgg_lite),
    "resnet_lite": _lite(families.resnet_base((1, 1, 1), "resnet_lite")),
    "mobilenet_lite": _lite(_mobilenet_lite),
    "inception_lite": _lite(_inception_lite),
}
"""Every architecture `build` accepts: keras.applications bases, our classic builders (AlexNet,
SqueezeNet: whole networks with their papers' heads, weights from a file) and the lite nets."""
KINDS = ("application", "classic", "lite")


def list_archs(kind: str | None = None) -> list[str]:
    """Names accepted by `build`: the keras.applications families, our classic builders, then the
    CPU-sized lite nets; `kind` ("application", "classic" or "lite") keeps one group."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"kind: expected one of {list(KINDS)} or None, got {kind!r}")
    return [arch for arch, spec in _ARCHS.items() if kind in (None, spec.kind)]


def build(arch: str, input_shape: Sequence[int], num_classes: int,
          weights: str | None = None) -> keras.Model:
    """Builds a classifier: [0, 1] images in, class probabilities (softmax) out.

    The model is `input -> [grayscale to RGB] -> [upsampling] -> [ImageNet preprocessing] -> base
    -> global average pooling -> Dense softmax`; AlexNet and SqueezeNet (classic and lite) keep
    their papers' heads inside the base (fc6-fc8; conv10 and average pooling), followed only by
    the softmax. The convolutional base is a nested `keras.Model`
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
            (needs network on first use) or a weights file; the classic builders take a Keras
            `.weights.h5` file of the whole network (e.g. converted from torchvision, whose
            ImageNet mean/std scaling the model then applies); not available for the lite nets.

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
    base = spec.build_base(input_shape=(*size, x.shape[-1]), weights=weights,
                           num_classes=num_classes)
    if spec.own_head:
        outputs = layers.Activation("softmax", dtype="float32", name="predictions")(base(x))
    else:
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
        raise InputError(f"arch: expected one of {list_archs()}, got {arch!r}")
    if weights is not None and _ARCHS[arch].preprocessing is None:
        raise ValueError(f"weights: {arch!r} has no pretrained weights; expected None, "
                         f"got {weights!r}")
    if weights == "imagenet" and _ARCHS[arch].kind == "classic":
        raise ValueError(f"weights: Keras has no ImageNet weights for {arch!r}; expected None or "
                         f"the path of a .weights.h5 file of the whole network, got 'imagenet'")
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
