"""The one batched runner: validate images and targets, compile a step once, run it in batches."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.cache import MODEL_CACHE, weak_method
from cnn_explain_tf.validation import check_images, check_positive_int, check_targets

__all__ = ["ModelRunner", "batched"]


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
    slices of `batch_size` images. Compiled steps live in `MODEL_CACHE`, owned by the runner:
    they are freed with it, and they do not keep it (nor its model) alive. A runner that is
    itself a cache entry (a shared CGMA extractor, say) is `detached()`: it then reaches its
    model through a weak reference only.

    Args:
        model: a Keras classifier taking (B, H, W, C) images.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        self._model_ref, self._model = weakref.ref(model), model
        self.output = output
        self.input_shape = graph.input_shape(model)
        graph.check_output_index(model, output)
        self.num_classes = int(graph.select_output(model.outputs, output).shape[-1])
        self.batch_size = check_positive_int("batch_size", batch_size)

    @property
    def model(self) -> keras.Model:
        """The classifier (held strongly, unless the runner is `detached`)."""
        return self._model_ref()

    def detached(self):
        """This runner, holding its model weakly from now on: what a cache entry may hold."""
        self._model = None
        return self

    def signature(self) -> tuple[tf.TensorSpec, tf.TensorSpec]:
        """The batch-agnostic (images, targets) input signature of the compiled steps."""
        return (tf.TensorSpec((None, *self.input_shape), tf.float32),
                tf.TensorSpec((None,), tf.int32))

    def compile(self, step: Callable, signature: Sequence[tf.TensorSpec] | None = None, *,
                key: Hashable = None, **bound) -> Callable:
        """`step` (a method of this runner) as a tf.function, built once and kept in the cache.

        Args:
            step: a bound method of this runner; the graph function reaches the runner weakly.
            signature: its input signature; None: the batch-agnostic (images, targets) one.
            key: what identifies the step among the runner's (default: the method's name).
            **bound: keyword arguments fixed for every call, e.g. `target=`; a value that is
                callable also owns the compiled step (it is freed with it).
        """
        signature = self.signature() if signature is None else tuple(signature)
        name = step.__name__ if key is None else key
        fixed = tuple(sorted((k, id(v) if callable(v) else v) for k, v in bound.items()))
        owners = (self, *(v for v in bound.values() if callable(v)))
        return MODEL_CACHE.get(self.model, (name, signature, fixed), lambda: tf.function(
            weak_method(step, **bound), input_signature=list(signature)), owners=owners)

    def run(self, step: Callable, images, targets=None, batch_size: int | None = None
            ) -> np.ndarray:
        """Validates `images` and `targets`, then runs `step` (a method of this runner taking
        (images, targets)) compiled (`compile`) in batches."""
        images = check_images(images, self.input_shape)
        targets = check_targets(targets, len(images), self.num_classes)
        return batched(self.compile(step), (images, targets), batch_size or self.batch_size)

    def forward(self, images, taps=(), rules: graph.BackwardRules | None = None):
        """(tapped layer outputs, logits) of the classifier, with an optional backward rule set."""
        return graph.run(self.model, images, taps=taps, rules=rules, output=self.output)
