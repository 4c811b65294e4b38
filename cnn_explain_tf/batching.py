"""The one batched runner: validate images and targets, compile a step once, run it in batches."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.validation import check_images, check_positive_int, check_targets

__all__ = ["ModelCache", "ModelRunner", "batched"]

T = TypeVar("T")


def batched(step: Callable, arrays: tuple[np.ndarray, ...], batch_size: int) -> np.ndarray:
    """Runs `step` on consecutive `batch_size` slices of `arrays`.

    Returns:
        The results of every slice concatenated along the batch axis, as float32 numpy.
    """
    total = len(arrays[0])
    parts = [np.asarray(step(*(a[i:i + batch_size] for a in arrays)))
             for i in range(0, total, batch_size)]
    return np.concatenate(parts).astype(np.float32, copy=False)


class ModelRunner:
    """A classifier with its input checks and compiled `(images, targets)` steps run in batches.

    The base of explainers and probes: `compile(step)` traces a graph function once with a
    signature that varies only by batch size; `run(step, images, targets)` validates the images
    (float, in [0, 1], grayscale broadcast to the model's channels) and targets (None, an int or
    one int per image; -1 inside the step means the predicted class), then runs the step on
    slices of `batch_size` images.

    Args:
        model: a Keras classifier taking (B, H, W, C) images.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        self.model = model
        self.output = output
        self.input_shape = graph.input_shape(model)
        graph.check_output_index(model, output)
        self.num_classes = int(graph.select_output(model.outputs, output).shape[-1])
        self.batch_size = check_positive_int("batch_size", batch_size)

    def compile(self, step: Callable) -> Callable:
        """`step(images, targets)` as a tf.function whose signature varies only by batch size."""
        spec = [tf.TensorSpec((None, *self.input_shape), tf.float32),
                tf.TensorSpec((None,), tf.int32)]
        return tf.function(step, input_signature=spec)

    def run(self, step: Callable, images, targets=None, batch_size: int | None = None
            ) -> np.ndarray:
        """Validates `images` and `targets`, then runs the compiled `step` in batches."""
        images = check_images(images, self.input_shape)
        targets = check_targets(targets, len(images), self.num_classes)
        return batched(step, (images, targets), batch_size or self.batch_size)

    def forward(self, images, taps=(), rules: graph.BackwardRules | None = None):
        """(tapped layer outputs, logits) of the classifier, with an optional backward rule set."""
        return graph.run(self.model, images, taps=taps, rules=rules, output=self.output)


class ModelCache:
    """Objects built once per classifier (and key), held weakly by the classifier.

    The one cache style for compiled steps and the explainers that hold them: an entry is built on
    first use by `get(model, key, build)` and reused for the same model object afterwards, so
    repeated calls on one classifier trace their graph functions once.
    """

    def __init__(self):
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, model: keras.Model, key: Hashable, build: Callable[[], T]) -> T:
        """The entry of (`model`, `key`), built by `build()` on first use."""
        per_model = self._entries.setdefault(model, {})
        if key not in per_model:
            per_model[key] = build()
        return per_model[key]
