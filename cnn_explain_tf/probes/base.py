"""The probe base: a classifier runner whose call returns a typed result rather than a heat map."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf.batching import ModelRunner, batched

__all__ = ["Probe"]


class Probe(ModelRunner):
    """Base of the methods that return more than a (B, H, W) map.

    A probe is built once per classifier and called on a batch, `probe(images, targets)`; the
    call returns a typed result (a NamedTuple or a frozen dataclass) that the subclass documents.
    Every compiled step of a probe lives in one cache, `compiled(key, step)`, so a step is traced
    once per key (a batch-agnostic signature, or a caller's signature for other arguments).

    Args:
        model: a Keras classifier taking (B, H, W, C) images; it is never modified.
        output: index of the output to probe for multi-output models.
        batch_size: images (or masks) per compiled step.
    """

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        super().__init__(model, output=output, batch_size=batch_size)
        self._compiled: dict[Hashable, Callable] = {}

    def __call__(self, images, targets=None):
        """Probes a batch: (B, H, W, C) images in [0, 1], targets None, an int or B ints."""
        raise NotImplementedError

    def compiled(self, key: Hashable, step: Callable,
                 signature: Sequence[tf.TensorSpec] | None = None) -> Callable:
        """`step` as a tf.function, built on the first request for `key` and reused after.

        Args:
            key: what identifies the step (its name, plus e.g. the image shape it was built for).
            step: the graph function to compile.
            signature: its input signature; None means `ModelRunner.compile`'s batch-agnostic
                (images, targets) signature.
        """
        if key not in self._compiled:
            self._compiled[key] = (self.compile(step) if signature is None
                                   else tf.function(step, input_signature=list(signature)))
        return self._compiled[key]

    def predict(self, images) -> np.ndarray:
        """(B,) int32 classes predicted by the model for float32 (B, H, W, C) images."""
        step = self.compiled("predict", self._predicted_classes,
                             [tf.TensorSpec((None, *self.input_shape), tf.float32)])
        return batched(step, (np.asarray(images, np.float32),), self.batch_size).astype(np.int32)

    def _predicted_classes(self, images: tf.Tensor) -> tf.Tensor:
        return tf.argmax(self.forward(images)[1], axis=-1, output_type=tf.int32)
