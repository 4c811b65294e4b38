"""The Explainer base class: input checks, target resolution, batching and map post-processing."""

from __future__ import annotations

from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.validation import check_images, check_positive_int, check_targets

REGISTRY: dict[str, type[Explainer]] = {}


def register(cls: type[Explainer]) -> type[Explainer]:
    """Class decorator adding an explainer to the name registry under `cls.name`."""
    REGISTRY[cls.name] = cls
    return cls


class Explainer:
    """Base class: built once per classifier, called on batches of images.

    Subclasses implement `explain_batch(images, targets) -> (B, H, W)`, a graph-compatible function
    that
    receives float32 images and int32 targets where -1 means "the predicted class". It is compiled
    once
    with a batch-agnostic signature, so batches of any size do not retrace.

    Args:
        model: a Keras classifier taking (B, H, W, C) images. A softmax/sigmoid head is linearised
            (its logits are explained) without modifying the model.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    name: ClassVar[str] = ""

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        self.model = model
        self.output = output
        self.input_shape = graph.input_shape(model)
        graph.check_output_index(model, output)
        self.num_classes = int(graph.select_output(model.outputs, output).shape[-1])
        self.batch_size = check_positive_int("batch_size", batch_size)
        self._step = self.compile(self.explain_batch)

    def __call__(self, images, targets=None) -> np.ndarray:
        """Explains a batch.

        Args:
            images: (B, H, W, C) floats in [0, 1]; grayscale is broadcast to the model's channels.
            targets: None (the predicted class), an int, or B ints.

        Returns:
            float32 array (B, H, W) in [0, 1] at the input resolution.
        """
        return self.run_batched(self._step, images, targets)

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def compile(self, step):
        """`step(images, targets)` as a tf.function whose signature varies only by batch size."""
        spec = [tf.TensorSpec((None, *self.input_shape), tf.float32),
                tf.TensorSpec((None,), tf.int32)]
        return tf.function(step, input_signature=spec)

    def run_batched(self, step, images, targets) -> np.ndarray:
        """Validates images and targets, then runs a compiled `step` on batches of `batch_size`."""
        images = check_images(images, self.input_shape)
        targets = check_targets(targets, len(images), self.num_classes)
        return batched(step, (images, targets), self.batch_size)

    def forward(self, images, taps=(), rules: graph.BackwardRules | None = None):
        """(tapped layer outputs, logits) of the classifier, with an optional backward rule set."""
        return graph.run(self.model, images, taps=taps, rules=rules, output=self.output)


def batched(step, arrays: tuple[np.ndarray, ...], batch_size: int) -> np.ndarray:
    """Runs `step` on consecutive slices of `arrays` and concatenates the results as float32
    numpy."""
    total = len(arrays[0])
    parts = [np.asarray(step(*(a[i:i + batch_size] for a in arrays)))
             for i in range(0, total, batch_size)]
    return np.concatenate(parts).astype(np.float32, copy=False)


def resolve_targets(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Replaces -1 entries by the predicted (argmax) class."""
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.where(targets < 0, predicted, targets)


def class_scores(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) logit of each image's target class (-1: predicted class)."""
    logits = tf.cast(logits, tf.float32)
    return tf.gather(logits, resolve_targets(logits, targets), batch_dims=1)


def normalize(maps: tf.Tensor, axes=None) -> tf.Tensor:
    """Min-max scales `maps` to [0, 1] over `axes` (default: all but the batch axis); constant maps
    become zeros, never NaN."""
    axes = list(range(1, len(maps.shape))) if axes is None else axes
    low = tf.reduce_min(maps, axis=axes, keepdims=True)
    span = tf.reduce_max(maps, axis=axes, keepdims=True) - low
    return tf.math.divide_no_nan(maps - low, tf.where(span > 1e-12, span, 0.0))


def resize(maps: tf.Tensor, size) -> tf.Tensor:
    """Bilinear resize of (B, h, w) maps to (B, H, W)."""
    return tf.image.resize(maps[..., None], size, method="bilinear")[..., 0]
