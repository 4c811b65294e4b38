"""Perception Visualization model: truncated-classifier encoder, skip-free decoder, PV losses."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.validation import InputError, check_positive_int, describe

__all__ = ["LOSS_WEIGHTS", "ClassifierEncoder", "build_pv_decoder", "dsim", "perception_loss",
           "ssim_loss", "ssim_per_channel", "upsampling_blocks"]

LOSS_WEIGHTS = (0.2, 0.4, 0.4)
"""Default (MSE, SSIM, DSIM) weights of the PV loss (a1, a2, a3 in the paper)."""


class ClassifierEncoder:
    """The classifier truncated at a named layer, without retraining: images -> the layer's output.

    The layer may sit inside a nested model (a `keras.applications` base in the zoo); the caller's
    model is run layer by layer with its own weights and is not modified.

    Args:
        model: the classifier.
        layer: name or layer object of a layer with a 4-D output (B, h, w, c).
        output: output index for multi-output models.

    Raises:
        InputError: unknown layer (the message lists candidates) or a layer that is not 4-D.

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        BMVC 2021 (arXiv 2204.09920), Section 3.1.
    """

    def __init__(self, model: keras.Model, layer: str | keras.layers.Layer = "conv5_block3_out",
                 output: int | None = None):
        self.model, self.output = model, output
        self.layer = graph.find_layer(model, layer)
        self.image_shape = graph.input_shape(model)
        self.latent_shape = self._trace_latent_shape()

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        """(B, H, W, C) float images -> (B, h, w, c) float32 latents."""
        (latents,), _ = graph.run(self.model, images, taps=[self.layer], output=self.output)
        return tf.cast(latents, tf.float32)

    def _trace_latent_shape(self) -> tuple[int | None, ...]:
        sample = tuple(32 if size is None else size for size in self.image_shape)
        trace = tf.function(self).get_concrete_function(tf.TensorSpec((1, *sample), tf.float32))
        shape = tuple(trace.structured_outputs.shape[1:])
        if len(shape) != 3:
            raise InputError(f"layer: expected a layer with a 4-D output (B, h, w, c) to encode "
                             f"into, got '{self.layer.name}' with output shape (B, *{shape})")
        free = [size is None for size in self.image_shape[:2]]
        return tuple(None if free[i] else size for i, size in enumerate(shape[:2])) + shape[2:]


def upsampling_blocks(latent_size: Sequence[int], output_size: Sequence[int]) -> int:
    """Number of x2 decoder blocks that bring a (h, w) latent to at least (H, W), e.g. 7 -> 224: 5.

    References: Giulivi et al., arXiv 2204.09920, Section 3.2 (one block per encoder halving).
    """
    ratios = [out / size for size, out in zip(latent_size, output_size)]
    return max(0, max(math.ceil(math.log2(ratio) - 1e-9) for ratio in ratios))


def build_pv_decoder(latent_shape: Sequence[int], output_shape: Sequence[int], *,
                     width: int = 512, min_width: int = 32, convs_per_block: int = 2,
                     name: str = "pv_decoder") -> keras.Model:
    """Builds the decoder that inverts a truncated classifier: latent z -> image y in [0, 1].

    Each block is a stride-2 transposed 3x3 convolution (x2 upsampling, linear) with batch norm,
    then `convs_per_block` 3x3 convolutions with LeakyReLU(0.2); block i has
    max(width / 2**i, min_width) filters. There are as many blocks as the encoder's stride needs
    (`upsampling_blocks`), so any encoder works, not only 7x7x2048. When the blocks overshoot the
    output size (a stride that is not a power of two), a bilinear `Resizing` layer brings the
    result to the exact size. A 3x3 convolution and a float32 sigmoid give the image. There are no
    skip connections: the paper forbids them so that the decoder can only use the latent.

    Args:
        latent_shape: (h, w, c) of the encoder's output, e.g. (7, 7, 2048).
        output_shape: (H, W, C) of the images to reconstruct.
        width: filters of the first block.
        min_width: lower bound on the filters of later blocks.
        convs_per_block: 3x3 LeakyReLU convolutions after each upsampling.
        name: the model's name.

    Returns:
        An uncompiled functional `keras.Model` (B, h, w, c) -> (B, H, W, C).

    Raises:
        InputError: shapes that are not 3 positive ints, or non-positive widths/counts.
        TypeError: widths or counts that are not ints.

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        arXiv 2204.09920, Section 3.2.
    """
    latent_shape = _check_shape("latent_shape", latent_shape)
    output_shape = _check_shape("output_shape", output_shape)
    for argument, value, minimum in (("width", width, 1), ("min_width", min_width, 1),
                                     ("convs_per_block", convs_per_block, 0)):
        check_positive_int(argument, value, minimum)
    latents = keras.Input(latent_shape, name="latent")
    x = latents
    for block in range(upsampling_blocks(latent_shape[:2], output_shape[:2])):
        x = _upsampling_block(x, max(width // 2 ** block, min_width), convs_per_block,
                              f"block{block + 1}")
    if tuple(x.shape[1:3]) != output_shape[:2]:
        x = keras.layers.Resizing(*output_shape[:2], name="resize_to_output")(x)
    x = keras.layers.Conv2D(output_shape[2], 3, padding="same", name="to_image")(x)
    images = keras.layers.Activation("sigmoid", dtype="float32", name="image")(x)
    return keras.Model(latents, images, name=name)


def _upsampling_block(x, filters: int, convs: int, name: str):
    x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                     name=f"{name}_upsample")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)  # settles fast
    for index in range(1, convs + 1):
        x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu{index}")(x)
    return x


def _check_shape(name: str, shape) -> tuple[int, int, int]:
    values = tuple(shape) if isinstance(shape, (tuple, list)) else None
    if values is None or len(values) != 3 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in values):
        raise InputError(f"{name}: expected (height, width, channels) as 3 positive ints, "
                         f"got {describe(shape)}")
    return tuple(int(v) for v in values)


def ssim_per_channel(images: tf.Tensor, reconstructions: tf.Tensor, max_val: float = 1.0,
                     filter_size: int = 11, sigma: float = 1.5) -> tf.Tensor:
    """SSIM of each image and channel, (B, H, W, C) x2 -> (B, C), with a Gaussian window.

    Matches `tf.image.ssim` (which averages these over channels) for images of at least
    `filter_size` pixels; smaller images use a window as large as the image.

    References: Wang et al., "Image Quality Assessment: From Error Visibility to Structural
        Similarity", IEEE TIP 2004, Eq. 13.
    """
    x, y = tf.cast(images, tf.float32), tf.cast(reconstructions, tf.float32)
    size = min(filter_size, x.shape[1] or filter_size, x.shape[2] or filter_size)
    taps = np.exp(-0.5 * ((np.arange(size) - (size - 1) / 2) / sigma) ** 2)
    window = np.outer(taps, taps) / np.sum(taps) ** 2
    kernel = tf.tile(tf.constant(window[:, :, None, None], tf.float32), [1, 1, x.shape[-1], 1])

    def blur(z):
        return tf.nn.depthwise_conv2d(z, kernel, strides=[1, 1, 1, 1], padding="VALID")

    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mean_x, mean_y = blur(x), blur(y)
    luminance = (2 * mean_x * mean_y + c1) / (mean_x ** 2 + mean_y ** 2 + c1)
    covariance = blur(x * y) - mean_x * mean_y
    variances = blur(x * x + y * y) - mean_x ** 2 - mean_y ** 2
    contrast_structure = (2 * covariance + c2) / (variances + c2)
    return tf.reduce_mean(luminance * contrast_structure, axis=(1, 2))


def ssim_loss(images: tf.Tensor, reconstructions: tf.Tensor) -> tf.Tensor:
    """(B,) negated SSIM summed over channels, offset by C so that identical images score 0.

    The offset does not change the gradients of the paper's -sum_c SSIM_c.

    References: Giulivi et al., arXiv 2204.09920, Eq. 8.
    """
    similarity = ssim_per_channel(images, reconstructions)
    return tf.reduce_sum(1.0 - similarity, axis=-1)


def dsim(latents: tf.Tensor, reencoded: tf.Tensor) -> tf.Tensor:
    """(B,) latent dissimilarity ||E(y) - z||^2, averaged over the latent's elements.

    References: Giulivi et al., arXiv 2204.09920, Eq. 9 (averaged rather than summed).
    """
    return tf.reduce_mean(tf.square(tf.cast(reencoded, tf.float32) - latents), axis=(1, 2, 3))


def perception_loss(encoder: ClassifierEncoder, images: tf.Tensor, reconstructions: tf.Tensor,
                    latents: tf.Tensor, weights: Sequence[float] = LOSS_WEIGHTS
                    ) -> dict[str, tf.Tensor]:
    """The PV decoder loss a1 * MSE + a2 * SSIM loss + a3 * DSIM and its terms, each (B,).

    Args:
        encoder: the truncated classifier E; the reconstructions are re-encoded for DSIM.
        images: the inputs x, (B, H, W, C).
        reconstructions: the decoder's outputs y = D(E(x)).
        latents: z = E(x).
        weights: (a1, a2, a3).

    Returns:
        {"loss", "mse", "ssim_loss", "dsim"}, each a float32 (B,) tensor.

    References: Giulivi et al., arXiv 2204.09920, Eq. 6 (the weighted sum), Eq. 7 (MSE, here
        averaged rather than summed), Eq. 8 (SSIM loss) and Eq. 9 (DSIM).
    """
    images = tf.cast(images, tf.float32)
    reconstructions = tf.cast(reconstructions, tf.float32)
    terms = {"mse": tf.reduce_mean(tf.square(images - reconstructions), axis=(1, 2, 3)),
             "ssim_loss": ssim_loss(images, reconstructions),
             "dsim": dsim(latents, encoder(reconstructions))}
    terms["loss"] = sum(weight * term for weight, term in zip(weights, terms.values()))
    return terms
