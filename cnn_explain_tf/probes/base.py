"""The probe base: a classifier runner whose call returns a typed result rather than a heat map."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.batching import ModelRunner, batched

__all__ = ["Probe"]


class Probe(ModelRunner):
    """Base of the methods that return more than a (B, H, W) map.

    A probe is built once per classifier and called on a batch, `probe(images, targets)`; the
    call returns a typed result (a frozen dataclass) that the subclass documents. Every compiled
    step of a probe lives in the one cache (`cache.MODEL_CACHE`), owned by the probe:
    `compiled(key, step)` traces a step once per key (a batch-agnostic signature, or a caller's
    signature for other arguments), and the steps go with the probe.

    Args:
        model: a Keras classifier taking (B, H, W, C) images; it is never modified.
        output: index of the output to probe for multi-output models.
        batch_size: images (or masks) per compiled step.
    """

    def __call__(self, images, targets=None):
        """Probes a batch: (B, H, W, C) images in [0, 1], targets None, an int or B ints."""
        raise NotImplementedError

    def compiled(self, key: Hashable, step: Callable,
                 signature: Sequence[tf.TensorSpec] | None = None) -> Callable:
        """`step` as a tf.function, built on the first request for `key` and reused after.

        Args:
            key: what identifies the step (its name, plus e.g. the image shape it was built for).
            step: the graph function to compile, a method of this probe.
            signature: its input signature; None means `ModelRunner.compile`'s batch-agnostic
                (images, targets) signature.
        """
        return self.compile(step, signature, key=key)

    def predict(self, images) -> np.ndarray:
        """(B,) int32 classes predicted by the model for float32 (B, H, W, C) images."""
        step = self.compiled("predict", self._predicted_classes,
                             [tf.TensorSpec((None, *self.input_shape), tf.float32)])
        return batched(step, (np.asarray(images, np.float32),), self.batch_size).astype(np.int32)

    def _predicted_classes(self, images: tf.Tensor) -> tf.Tensor:
        return tf.argmax(self.forward(images)[1], axis=-1, output_type=tf.int32)
