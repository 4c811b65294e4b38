"""The model-based metric base: a classifier, batched compiled confidences, per-sample scores."""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.batching import batched
from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.metrics._checks import as_maps, check_same_shape, nan_mean
from cnn_explain_tf.validation import (
    InputError,
    check_images,
    check_positive_int,
    check_targets,
    describe,
)


class ModelMetric:
    """Base of the metrics that query a classifier with a softmax (or sigmoid) head.

    Subclasses implement `detailed_evaluate(...) -> (B,)` per-sample scores, NaN for samples the
    metric does not count; `evaluate(...)` averages them over the counted samples.

    Args:
        model: a Keras classifier returning class probabilities for (B, H, W, C) images.
        batch_size: images per compiled model call.
    """

    def __init__(self, model: keras.Model, batch_size: int = 32):
        self.model = model
        self.input_shape = graph.input_shape(model)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self._probabilities = MODEL_CACHE.get(model, "metrics.probabilities",
                                              lambda: _probabilities_step(model, self.input_shape))

    def evaluate(self, *args, **kwargs) -> float:
        """The mean of `detailed_evaluate(...)` over the counted (non-NaN) samples."""
        return float(nan_mean(self.detailed_evaluate(*args, **kwargs)))

    def detailed_evaluate(self, *args, **kwargs) -> np.ndarray:
        raise NotImplementedError

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(B, classes) model probabilities, computed in batches of `batch_size`."""
        probabilities = batched(self._probabilities, (images,), self.batch_size)
        if probabilities.min() < -1e-6 or probabilities.max() > 1 + 1e-6:
            raise InputError("model: expected a classifier whose output is probabilities (softmax "
                             f"or sigmoid head), got outputs in [{probabilities.min():.4g}, "
                             f"{probabilities.max():.4g}]")
        return probabilities

    def confidences(self, images: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """(B,) probability of each image's target class."""
        return np.take_along_axis(self.probabilities(images), targets[:, None], axis=1)[:, 0]

    def check_inputs(self, images, targets, **maps) -> tuple:
        """Validated (images, resolved targets, *maps): float32 images, int32 classes (None: the
        predicted class of each image), float32 (B, H, W) maps matching the images. The model
        runs on every image only when some target is the predicted class; with every target
        given, on the first image alone, to check that it returns probabilities, the first time
        a metric gets this model (the check is kept with the model)."""
        images = check_images(images, self.input_shape)
        checked = [as_maps(name, value) for name, value in maps.items()]
        for name, array in zip(maps, checked):
            check_same_shape("images[..., 0]", images[..., 0], name, array)
        targets = check_targets(targets, len(images), self.num_classes)
        missing = targets < 0
        if missing.any():
            targets = np.where(missing, self.probabilities(images).argmax(axis=1), targets)
        else:
            MODEL_CACHE.get(self.model, "metrics.returns_probabilities",  # raises if it does not
                            lambda: self.probabilities(images[:1]) is not None)
        return (images, targets.astype(np.int32), *checked)

    @property
    def num_classes(self) -> int:
        """The size of the model's (selected) output."""
        return int(graph.select_output(self.model.outputs, None).shape[-1])



def _probabilities_step(model: keras.Model, input_shape: tuple[int, ...]):
    """`model`'s float32 probabilities as a tf.function traced once per batch size; it reaches
    the model through a weak reference, so the cache entry goes with the model."""
    weak = weakref.ref(model)

    def step(images: tf.Tensor) -> tf.Tensor:
        return tf.cast(graph.select_output(weak()(images, training=False), None), tf.float32)

    return tf.function(step, input_signature=[tf.TensorSpec((None, *input_shape), tf.float32)])


def energy_images(images: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """The energy map image * map of the SFT-GAN paper: each pixel scaled by its heat."""
    if maps.min() < 0 or maps.max() > 1:
        raise InputError(f"maps: expected values in [0, 1], got {describe(maps)} with range "
                         f"[{maps.min():.4g}, {maps.max():.4g}]")
    return images * maps[..., None]
