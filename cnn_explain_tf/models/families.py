"""The architecture study's models as data: family, Grad-CAM layer, and the CPU-sized stand-ins."""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from cnn_explain_tf.models.blocks import batch_norm, bottleneck, conv_bn_relu
from cnn_explain_tf.models.classic import AlexNetSize, alexnet, squeezenet
from cnn_explain_tf.validation import InputError

__all__ = ["FAMILIES", "MEMBERS", "PAPER_LAYERS", "Member", "alexnet_lite", "densenet_base",
           "member", "resnet_base", "squeezenet_lite", "vgg_base"]

PAPER_LAYERS = {"alexnet": "features", "inception": "Mixed_7c", "vgg": "features",
                "resnet": "layer4", "densenet": "features", "squeezenet": "features"}
"""The paper's Table 3.2: the torchvision module each family's Grad-CAM is taken from (the last
feature layer, with VGG's and AlexNet's final max pool; the layer before average pooling for
Inception and ResNet)."""
FAMILIES = tuple(PAPER_LAYERS)
"""The six architecture families of the paper's Table 3.1."""


@dataclasses.dataclass(frozen=True)
class Member:
    """One zoo architecture of the study.

    Attributes:
        arch: its `zoo.build` name.
        family: one of `FAMILIES`; declared, never inferred from the name.
        gradcam_layer: the leaf layer that stands for the family's `PAPER_LAYERS` entry.
        stands_for: the paper's model this one is (or is the CPU-sized stand-in of).
    """

    arch: str
    family: str
    gradcam_layer: str
    stands_for: str


def _members(family: str, layer: str, archs: dict[str, str]) -> tuple[Member, ...]:
    return tuple(Member(arch, family, layer, model) for arch, model in archs.items())


MEMBERS: tuple[Member, ...] = (
    Member("alexnet", "alexnet", "pool5", "AlexNet"),
    Member("inceptionv3", "inception", "mixed10", "Inception V3"),
    *_members("vgg", "block5_pool", {"vgg16": "VGG16", "vgg19": "VGG19"}),
    *_members("resnet", "conv5_block3_out", {f"resnet{d}": f"ResNet{d}" for d in (50, 101, 152)}),
    *_members("densenet", "bn", {f"densenet{d}": f"DenseNet{d}" for d in (121, 169, 201)}),
    *_members("squeezenet", "fire9_concat", {f"squeezenet{v}": f"SqueezeNet{v}"
                                             for v in ("1_0", "1_1")}),
    Member("alexnet_lite", "alexnet", "pool5", "AlexNet"),
    Member("inception_lite", "inception", "mixed3_concat", "Inception V3"),
    *_members("vgg", "block4_pool", {f"vgg{d}_lite": f"VGG{d}" for d in (13, 16, 19)}),
    Member("resnet50_lite", "resnet", "conv4_block1_out", "ResNet50"),
    Member("resnet101_lite", "resnet", "conv4_block2_out", "ResNet101"),
    Member("resnet152_lite", "resnet", "conv4_block3_out", "ResNet152"),
    *_members("densenet", "bn", {f"densenet{d}_lite": f"DenseNet{d}" for d in (121, 169, 201)}),
    *_members("squeezenet", "fire9_concat", {f"squeezenet{v}_lite": f"SqueezeNet{v}"
                                             for v in ("1_0", "1_1")}),
)
"""The paper's 12 keras.applications / classic models (Table 3.1; its text counts 13 and also
mentions a VGG13, which keras.applications lacks) and 13 CPU-sized stand-ins (VGG13 included)."""
_BY_ARCH = {m.arch: m for m in MEMBERS}


def member(arch: str) -> Member:
    """The study's declaration of a zoo architecture.

    Raises:
        InputError: an architecture without a declared family and Grad-CAM layer.
    """
    if arch not in _BY_ARCH:
        raise InputError(f"arch: expected an architecture with a declared family and Grad-CAM "
                         f"layer ({sorted(_BY_ARCH)}), got {arch!r}")
    return _BY_ARCH[arch]


ALEXNET_LITE = AlexNetSize(filters=(24, 64, 96, 64, 64), kernels=(5, 5, 3, 3, 3), stem_stride=1,
                           dense=128, pooled=None, batch_norm=True)
"""AlexNet's layout at 1/3-1/4 of its widths, stride 1 and 5x5 in conv1 for 32x32 images."""


def alexnet_lite(input_shape, num_classes: int) -> keras.Model:
    """AlexNet at `ALEXNET_LITE` widths: 32x32 images, 3x3 pool5."""
    return alexnet(input_shape, num_classes, ALEXNET_LITE, name="alexnet_lite")


def squeezenet_lite(version: str):
    """A SqueezeNet `version` builder at 1/4 of its widths, stride-1 conv1, batch norm."""
    def build(input_shape, num_classes: int) -> keras.Model:
        return squeezenet(input_shape, num_classes, version, width_divisor=4, stem_stride=1,
                          normalize=True, name=f"squeezenet{version}_lite")
    return build


def vgg_base(blocks: tuple[int, ...], name: str, widths=(16, 32, 64, 128)) -> keras.Model:
    """A VGG base builder: blocks of 3x3 conv-BN-ReLU (`blocks[i]` convs in block i + 1), each
    block max-pooled; `block{n}_pool` ends `features`. VGG13/16/19 have (2,2,2,2,2) /
    (2,2,3,3,3) / (2,2,4,4,4) at widths 64-512 (Simonyan & Zisserman, ICLR 2015, Table 1); the
    lite nets keep the first four blocks' counts."""
    def build(input_shape, **_) -> keras.Model:
        inputs = keras.Input(input_shape)
        x = inputs
        for block, (convs, filters) in enumerate(zip(blocks, widths), start=1):
            for index in range(1, convs + 1):
                x = conv_bn_relu(x, filters, 3, name=f"block{block}_{index}")
            x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
        return keras.Model(inputs, x, name=name)
    return build


def resnet_base(blocks: tuple[int, ...], name: str) -> keras.Model:
    """A bottleneck ResNet base builder: 3x3 stem, then stages conv2-conv4 (16/32/64 filters,
    expanded 4x, stride 2 at each stage's first block) of `blocks[i]` bottlenecks; the last
    block's `conv4_block{n}_out` plays ResNet's `layer4`. ResNet50/101/152 have (3,4,6,3),
    (3,4,23,3), (3,8,36,3) blocks (He et al., CVPR 2016, Table 1)."""
    def build(input_shape, **_) -> keras.Model:
        inputs = keras.Input(input_shape)
        x = conv_bn_relu(inputs, 16, 3, name="stem")
        for stage, (count, filters) in enumerate(zip(blocks, (16, 32, 64)), start=2):
            for block in range(1, count + 1):
                x = bottleneck(x, filters, 2 if block == 1 else 1, f"conv{stage}_block{block}")
        return keras.Model(inputs, x, name=name)
    return build


def _dense_layer(x, growth: int, name: str):
    """DenseNet-BC layer: BN-ReLU-1x1 conv (4 x growth)-BN-ReLU-3x3 conv (growth), concatenated."""
    y = layers.ReLU(name=f"{name}_0_relu")(batch_norm(f"{name}_0_bn")(x))
    y = conv_bn_relu(y, 4 * growth, 1, name=f"{name}_1")
    y = layers.Conv2D(growth, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def densenet_base(blocks: tuple[int, ...], name: str, growth: int = 12) -> keras.Model:
    """A DenseNet-BC base builder: 3x3 stem and max pool, dense blocks of `blocks[i]` layers
    joined by transitions (BN-ReLU-1x1 conv halving the channels-2x2 average pool), then the
    final batch norm `bn` that ends torchvision's `features` (norm5) and a ReLU. DenseNet121/
    169/201 have (6,12,24,16), (6,12,32,32), (6,12,48,32) (Huang et al., CVPR 2017, Table 1)."""
    def build(input_shape, **_) -> keras.Model:
        inputs = keras.Input(input_shape)
        x = conv_bn_relu(inputs, 2 * growth, 3, name="stem")
        x = layers.MaxPooling2D(name="stem_pool")(x)
        for block, count in enumerate(blocks, start=2):
            if block > 2:
                x = layers.ReLU(name=f"pool{block - 1}_relu")(batch_norm(f"pool{block - 1}_bn")(x))
                x = layers.Conv2D(x.shape[-1] // 2, 1, use_bias=False,
                                  name=f"pool{block - 1}_conv")(x)
                x = layers.AveragePooling2D(2, name=f"pool{block - 1}_pool")(x)
            for index in range(1, count + 1):
                x = _dense_layer(x, growth, f"conv{block}_block{index}")
        x = layers.ReLU(name="relu")(batch_norm("bn")(x))
        return keras.Model(inputs, x, name=name)
    return build
