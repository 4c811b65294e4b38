"""The SFT-GAN networks: LSFT/GSFT generators (built from `sft_layers`) and the discriminator."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import layers

from cnn_explain_tf.models.sft_layers import ConditionNetwork, SFTLayer
from cnn_explain_tf.validation import InputError, check_config, check_positive_int

__all__ = ["GENERATOR_SIZES", "GeneratorSize", "build_discriminator", "build_gsft_generator",
           "build_lsft_generator", "resize_images", "resolve_generator_size", "sft_blocks"]


@dataclasses.dataclass(frozen=True)
class GeneratorSize:
    """Widths and depth of an SFT generator.

    Attributes:
        channels: feature channels of the trunk.
        num_blocks: residual blocks in the trunk, SFT blocks included.
        condition_filters: hidden channels of the condition network.
        condition_channels: channels of each condition map.
        downsample: the condition network and trunk run at 1/downsample of the input resolution
            (average-pooled inputs); the heat map is upsampled back bilinearly. 1 (the paper)
            keeps full resolution; Grad-CAM targets are smooth, so a CPU-sized generator loses
            little at 4 and costs about 16 times less.
    """

    channels: int
    num_blocks: int
    condition_filters: int
    condition_channels: int
    downsample: int = 1

    def __post_init__(self):
        check_config(self, positive=("channels", "num_blocks", "condition_filters",
                                     "condition_channels", "downsample"))


GENERATOR_SIZES: dict[str, GeneratorSize] = {
    "paper": GeneratorSize(channels=64, num_blocks=16, condition_filters=128,
                           condition_channels=32),
    "quick": GeneratorSize(channels=16, num_blocks=8, condition_filters=16,
                           condition_channels=8, downsample=4),
    "wide": GeneratorSize(channels=32, num_blocks=8, condition_filters=32,
                          condition_channels=8, downsample=4),
}
"""The named generator sizes a `GANConfig.generator_size` may give instead of a GeneratorSize."""


def sft_blocks(num_blocks: int, num_sft: int) -> list[int]:
    """Trunk positions of the SFT blocks: spread evenly, the first block is always one.

    For 16 blocks and 8 SFT blocks: [0, 2, 4, ..., 14] (SFT and plain blocks alternate).
    """
    if num_sft > num_blocks:
        raise InputError(f"size.num_blocks: expected at least {num_sft} blocks to hold "
                         f"{num_sft} SFT blocks, got {num_blocks}")
    return [index * num_blocks // num_sft for index in range(num_sft)]


def build_lsft_generator(image_shape=(64, 64, 3), num_conditions: int = 8,
                         size: str | GeneratorSize = "paper") -> keras.Model:
    """Local SFT generator: CGMA j conditions the j-th SFT block (CNN order).

    Each CGMA passes through one shared `ConditionNetwork` on its own; the k conditions modulate
    the k SFT blocks of the trunk in order, interleaved with plain residual blocks.

    Args:
        image_shape: (H, W, C) of the input image; the CGMAs are (H, W, num_conditions).
        num_conditions: k, the number of CGMAs.
        size: "paper", "quick", "wide" (quick with twice the channels) or a `GeneratorSize`.

    Returns:
        A functional model `[image, cgma] -> heat map (B, H, W, 1)` in [0, 1].

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3.2.
    """
    return _build_generator("lsft", image_shape, num_conditions, size)


def build_gsft_generator(image_shape=(64, 64, 3), num_conditions: int = 8,
                         size: str | GeneratorSize = "paper") -> keras.Model:
    """Global SFT generator: the k stacked CGMAs form one condition that feeds every SFT block.

    Same trunk as `build_lsft_generator` (k SFT blocks among `size.num_blocks`).

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3.2.
    """
    return _build_generator("gsft", image_shape, num_conditions, size)


def _build_generator(variant: str, image_shape, num_conditions: int, size) -> keras.Model:
    size = resolve_generator_size(size)
    height, width, channels = _check_image_shape(image_shape)
    k = check_positive_int("num_conditions", num_conditions)
    positions = sft_blocks(size.num_blocks, k)
    factor = _check_downsample(size.downsample, height, width)
    image = keras.Input((height, width, channels), name="image")
    cgma = keras.Input((height, width, k), name="cgma")
    pool = layers.AveragePooling2D(factor, name="downsample") if factor > 1 else (lambda x: x)
    network = ConditionNetwork(size.condition_filters, size.condition_channels,
                               per_map=variant == "lsft", name="condition_network")
    conditions = network(pool(cgma)) if variant == "lsft" else [network(pool(cgma))] * k
    head = layers.Conv2D(size.channels, 3, padding="same", name="head")(pool(image))
    x = head
    for block in range(size.num_blocks):
        if block in positions:
            index = positions.index(block)
            x = _sft_block(x, conditions[index], size.channels, f"sft_block{index + 1}")
        else:
            x = _residual_block(x, size.channels, f"res_block{block + 1}")
    x = layers.Conv2D(size.channels, 3, padding="same", name="trunk_out")(x)
    x = layers.Add(name="global_skip")([head, x])
    x = layers.Conv2D(size.channels, 3, padding="same", activation="relu", name="tail")(x)
    heat = layers.Conv2D(1, 3, padding="same", activation="sigmoid", dtype="float32",
                         name="heat_map")(x)
    if factor > 1:
        heat = layers.UpSampling2D(factor, interpolation="bilinear", dtype="float32",
                                   name="upsample")(heat)
    return keras.Model([image, cgma], heat, name=f"{variant}_generator")


def _sft_block(x, condition, channels: int, name: str):
    """SFT -> conv -> ReLU -> conv, plus the block's skip."""
    y = SFTLayer(channels, name=f"{name}_sft")([x, condition])
    y = layers.Conv2D(channels, 3, padding="same", activation="relu", name=f"{name}_conv1")(y)
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def _residual_block(x, channels: int, name: str):
    """Three 3x3 convs (ReLU between them) plus a skip."""
    y = x
    for index in (1, 2):
        y = layers.Conv2D(channels, 3, padding="same", activation="relu",
                          name=f"{name}_conv{index}")(y)
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv3")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def build_discriminator(image_shape=(64, 64, 3), filters: int = 64,
                        num_downsamples: int = 3) -> keras.Model:
    """Conditional PatchGAN discriminator: (image, heat map) -> real/fake logits per patch.

    The image and the heat map are concatenated, then `num_downsamples` strided 4x4 convs
    (doubling `filters`, LeakyReLU(0.2)) and a 4x4 conv give one float32 logit per patch.

    Args:
        image_shape: (H, W, C) of the conditioning image.
        filters: channels of the first conv.
        num_downsamples: strided convs; each halves the resolution.

    Returns:
        A functional model `[image, heat_map (B,H,W,1)] -> logits (B, h, w, 1)`.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3.3;
    Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017.
    """
    height, width, channels = _check_image_shape(image_shape)
    filters = check_positive_int("filters", filters)
    num_downsamples = check_positive_int("num_downsamples", num_downsamples)
    image = keras.Input((height, width, channels), name="image")
    heat = keras.Input((height, width, 1), name="heat_map")
    x = layers.Concatenate(name="pair")([image, heat])
    for index in range(num_downsamples):
        x = layers.Conv2D(filters * 2 ** index, 4, strides=2, padding="same",
                          name=f"down{index + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"down{index + 1}_lrelu")(x)
    logits = layers.Conv2D(1, 4, padding="same", dtype="float32", name="logits")(x)
    return keras.Model([image, heat], logits, name="discriminator")


def resolve_generator_size(size: str | GeneratorSize) -> GeneratorSize:
    """A `GeneratorSize` from itself or from a `GENERATOR_SIZES` name.

    Raises:
        InputError: an unknown name.
    """
    if isinstance(size, GeneratorSize):
        return size
    if size not in GENERATOR_SIZES:
        raise InputError(f"size: expected one of {list(GENERATOR_SIZES)} or a GeneratorSize, "
                         f"got {size!r}")
    return GENERATOR_SIZES[size]


def _check_downsample(factor: int, height: int, width: int) -> int:
    if height % factor or width % factor:
        raise InputError(f"size.downsample: expected a factor dividing the image size "
                         f"{height}x{width}, got {factor}")
    return factor


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape):
        raise InputError(f"image_shape: expected (H, W, C) positive ints, got {image_shape!r}")
    return shape


def resize_images(images, size: Sequence[int], channels: int | None = None) -> tf.Tensor:
    """Bilinear resize of (B, H, W, C) maps to `size`, clipped to [0, 1]; optionally converts
    grayscale to `channels` (repeat) or colour to 1 channel (mean). Graph-compatible."""
    images = tf.convert_to_tensor(images, tf.float32)
    if channels is not None and images.shape[-1] != channels:
        images = (tf.repeat(images, channels, axis=-1) if images.shape[-1] == 1
                  else tf.reduce_mean(images, axis=-1, keepdims=True))
    if tuple(images.shape[1:3]) != tuple(size):
        images = tf.clip_by_value(tf.image.resize(images, size), 0.0, 1.0)
    return images
