"""The Explainer contract: a compiled (images, targets) -> (B, H, W) step, and its map helpers."""

from __future__ import annotations

from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf.batching import ModelRunner

REGISTRY: dict[str, type[Explainer]] = {}


def register(cls: type[Explainer]) -> type[Explainer]:
    """Class decorator adding an explainer to the name registry under `cls.name`."""
    REGISTRY[cls.name] = cls
    return cls


class Explainer(ModelRunner):
    """Base class of every explainer: built once per classifier, called on batches of images.

    The contract: `explainer(images, targets=None)` returns float32 (B, H, W) maps in [0, 1] at
    the input resolution, never NaN. Subclasses implement only `explain_batch(images, targets)`,
    a graph-compatible function of float32 images and int32 targets (-1 means "the predicted
    class"); it is compiled once with a batch-agnostic signature, so batches of any size do not
    retrace, and run in batches of `batch_size` by `ModelRunner.run`.

    Args:
        model: a Keras classifier taking (B, H, W, C) images. A softmax/sigmoid head is linearised
            (its logits are explained) without modifying the model.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    name: ClassVar[str] = ""

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        super().__init__(model, output=output, batch_size=batch_size)
        self._step = self.compile(self.explain_batch)

    def __call__(self, images, targets=None) -> np.ndarray:
        """Explains a batch.

        Args:
            images: (B, H, W, C) floats in [0, 1]; grayscale is broadcast to the model's channels.
            targets: None (the predicted class), an int, or B ints.

        Returns:
            float32 array (B, H, W) in [0, 1] at the input resolution.
        """
        return self.run(self._step, images, targets)

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """(B, H, W) maps in [0, 1] of one batch, inside the compiled step."""
        raise NotImplementedError


def resolve_targets(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Replaces -1 entries by the predicted (argmax) class."""
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.where(targets < 0, predicted, targets)


def class_scores(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) logit of each image's target class (-1: predicted class)."""
    logits = tf.cast(logits, tf.float32)
    return tf.gather(logits, resolve_targets(logits, targets), batch_dims=1)


def normalize(maps: tf.Tensor, axes=None) -> tf.Tensor:
    """Min-max scales `maps` to [0, 1] over `axes` (default: all but the batch axis).

    Constant maps become zeros, never NaN.
    """
    axes = list(range(1, len(maps.shape))) if axes is None else axes
    low = tf.reduce_min(maps, axis=axes, keepdims=True)
    span = tf.reduce_max(maps, axis=axes, keepdims=True) - low
    return tf.math.divide_no_nan(maps - low, tf.where(span > 1e-12, span, 0.0))


def resize(maps: tf.Tensor, size) -> tf.Tensor:
    """Bilinear resize of (B, h, w) maps to (B, H, W)."""
    return tf.image.resize(maps[..., None], size, method="bilinear")[..., 0]
