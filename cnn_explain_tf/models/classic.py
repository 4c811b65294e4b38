"""AlexNet and SqueezeNet 1.0 / 1.1 as Keras functional builders with torchvision's topologies."""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from cnn_explain_tf.models.blocks import batch_norm, ceil_max_pool, conv_relu
from cnn_explain_tf.validation import InputError

__all__ = ["ALEXNET", "AlexNetSize", "SQUEEZENET_VERSIONS", "alexnet", "fire", "squeezenet"]


@dataclasses.dataclass(frozen=True)
class AlexNetSize:
    """The widths of an AlexNet; the defaults are torchvision's `alexnet` (61,100,840 parameters
    at 224x224 with 1000 classes: Krizhevsky's "one weird trick" single-GPU variant, 64-192-384-
    256-256 filters, of the 2012 paper's 96-256-384-384-256 two-GPU net).

    Attributes:
        filters: the five convolutions' filters.
        kernels: their kernel sizes (conv1 has padding 2 and stride `stem_stride`, the others
            padding kernel // 2 and stride 1).
        stem_stride: conv1's stride.
        dense: units of fc6 and fc7.
        pooled: side of the adaptive average pooling before fc6 (6 in torchvision; where pool5
            is not already that size, an antialiased bilinear resize stands in for it, close to
            bin averaging and differentiable); None flattens pool5 as it is.
        batch_norm: batch norm after each convolution and fc6 / fc7 (a stand-in for local
            response normalisation that lets the CPU-sized nets train in a few epochs); off in
            torchvision.
    """

    filters: tuple[int, ...] = (64, 192, 384, 256, 256)
    kernels: tuple[int, ...] = (11, 5, 3, 3, 3)
    stem_stride: int = 4
    dense: int = 4096
    pooled: int | None = 6
    batch_norm: bool = False


ALEXNET = AlexNetSize()
"""torchvision's AlexNet."""


def alexnet(input_shape, num_classes: int, size: AlexNetSize = ALEXNET,
            name: str = "alexnet") -> keras.Model:
    """AlexNet: five ReLU convolutions with max pooling after conv1, conv2 and conv5 (3x3,
    stride 2: torchvision's `features`, whose output `pool5` is the paper's Grad-CAM layer),
    then dropout-fc6-dropout-fc7-fc8 logits.

    References: Krizhevsky et al., NeurIPS 2012; "One weird trick for parallelizing
    convolutional neural networks", arXiv 1404.5997 (torchvision's widths).
    """
    inputs = keras.Input(input_shape)
    x = inputs
    for index, (filters, kernel) in enumerate(zip(size.filters, size.kernels), start=1):
        first = index == 1
        x = conv_relu(x, filters, kernel, f"conv{index}", strides=size.stem_stride if first else 1,
                      padding=2 if first else kernel // 2, normalize=size.batch_norm)
        if index in (1, 2, len(size.filters)):
            x = layers.MaxPooling2D(3, strides=2, name=f"pool{index}")(x)
    if size.pooled and x.shape[1:3] != (size.pooled, size.pooled):
        x = layers.Resizing(size.pooled, size.pooled, antialias=True, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    for index in (6, 7):
        x = layers.Dropout(0.5, name=f"dropout{index}")(x)
        x = layers.Dense(size.dense, use_bias=not size.batch_norm, name=f"fc{index}")(x)
        if size.batch_norm:
            x = batch_norm(f"fc{index}_bn")(x)
        x = layers.ReLU(name=f"fc{index}_relu")(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="fc8")(x), name=name)


SQUEEZENET_VERSIONS = {
    "1_0": {"stem": (96, 7), "pool_after": (4, 8)},
    "1_1": {"stem": (64, 3), "pool_after": (3, 5)},
}
"""SqueezeNet 1.0 (7x7 conv1 of 96 filters, max pools after conv1, fire4 and fire8) and the
1.1 changes (3x3 conv1 of 64 filters, pools moved earlier: after conv1, fire3 and fire5; 2.4x
less computation, about the same accuracy)."""
_FIRES = ((16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192), (64, 256), (64, 256))
"""(squeeze, expand) filters of fire2 ... fire9; each fire's 1x1 and 3x3 expands have `expand`."""


def fire(x, squeeze: int, expand: int, name: str, normalize: bool = False):
    """A Fire module: a 1x1 squeeze convolution, then 1x1 and 3x3 expand convolutions whose
    ReLU outputs are concatenated (`{name}_concat`)."""
    x = conv_relu(x, squeeze, 1, f"{name}_squeeze1x1", normalize=normalize)
    left = conv_relu(x, expand, 1, f"{name}_expand1x1", normalize=normalize)
    right = conv_relu(x, expand, 3, f"{name}_expand3x3", padding=1, normalize=normalize)
    return layers.Concatenate(name=f"{name}_concat")([left, right])


def squeezenet(input_shape, num_classes: int, version: str = "1_0", width_divisor: int = 1,
               stem_stride: int = 2, normalize: bool = False,
               name: str | None = None) -> keras.Model:
    """SqueezeNet 1.0 / 1.1 as torchvision builds it: conv1, ceil-mode max pools, fire2-fire9
    (`features`, whose output `fire9_concat` is the paper's Grad-CAM layer), then dropout, a 1x1
    conv10 with one filter per class, ReLU and global average pooling (the logits).

    With the defaults, 1,248,424 (1.0) and 1,235,496 (1.1) parameters at 1000 classes. The
    CPU-sized variants divide every width by `width_divisor`, may use stride 1 in conv1 for
    small images and add batch norm after every convolution (`normalize`; on conv10 it also
    keeps every class's ReLU logit alive), keeping the 1.0 / 1.1 layouts.

    References: Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size", arXiv 1602.07360; SqueezeNet v1.1 (github.com/forresti/SqueezeNet).
    """
    if version not in SQUEEZENET_VERSIONS:
        raise InputError(f"version: expected one of {list(SQUEEZENET_VERSIONS)}, got {version!r}")
    spec = SQUEEZENET_VERSIONS[version]
    inputs = keras.Input(input_shape)
    filters, kernel = spec["stem"]
    x = conv_relu(inputs, filters // width_divisor, kernel, "conv1", strides=stem_stride,
                  normalize=normalize)
    x = ceil_max_pool(x, "pool1")
    for index, (squeeze, expand) in enumerate(_FIRES, start=2):
        x = fire(x, squeeze // width_divisor, expand // width_divisor, f"fire{index}", normalize)
        if index in spec["pool_after"]:
            x = ceil_max_pool(x, f"pool{index}")
    x = layers.Dropout(0.5, name="dropout")(x)
    x = conv_relu(x, num_classes, 1, "conv10", normalize=normalize)
    outputs = layers.GlobalAveragePooling2D(name="avgpool")(x)
    return keras.Model(inputs, outputs, name=name or f"squeezenet{version}")

