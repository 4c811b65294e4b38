"""The Explainer contract: a compiled (images, targets) -> (B, H, W) step, and its map helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.batching import ModelRunner, batched
from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.explain import targets as target_functions
from cnn_explain_tf.validation import InputError, check_images, check_targets

REGISTRY: dict[str, type[Explainer]] = {}


def register(cls: type[Explainer]) -> type[Explainer]:
    """Class decorator adding an explainer to the name registry under `cls.name`."""
    REGISTRY[cls.name] = cls
    return cls


class Explainer(ModelRunner):
    """Base class of every explainer: built once per classifier, called on batches of images.

    The contract: `explainer(images, targets=None)` returns float32 (B, H, W) maps in [0, 1] at
    the input resolution, never NaN. Subclasses implement only `explain_batch(images, targets,
    target=None)`, a graph-compatible function of float32 images and int32 targets (-1 means
    "the predicted class"); it is compiled once with a batch-agnostic signature, so batches of
    any size do not retrace, and run in batches of `batch_size`.

    Targets may also be callables mapping the model output (B, ...) to a (B,) score (see
    `explain.targets`). The target is an argument of the compiled steps: `run` resolves it once
    per call; a callable is checked on the output of two images the first time it meets the
    model, and each step is compiled once per callable, with `target=` bound (`compile`). A step
    is called without `target` for class indices, so a step that only handles class indices may
    leave it out; the score functions below (`target_scores`, `target_probabilities`,
    `resolve_targets`) take it and say what a step scores.

    Thread safety: an explainer may be called from several threads at once; the compiled steps
    are built once (`cache.MODEL_CACHE` is locked) and tf.function traces under its own lock.

    Args:
        model: a Keras classifier taking (B, H, W, C) images. A softmax/sigmoid head is linearised
            (its logits are explained) without modifying the model.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    name: ClassVar[str] = ""
    class_specific: ClassVar[bool] = True  # False: the map does not depend on the target
    graph_options: ClassVar[dict] = {}
    """Options under which the compiled step is TensorFlow only, as a SavedModel needs (e.g.
    LIME's grid superpixels instead of SLIC); `serving.export(..., "all")` builds with them."""

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        super().__init__(model, output=output, batch_size=batch_size)
        self.output_shape = tuple(graph.select_output(model.outputs, output).shape)

    def compile(self, step: Callable, signature=None, *, key=None, target: Callable | None = None,
                **bound) -> Callable:
        """`ModelRunner.compile` of `step` for `target`: None (class indices; `step` is called
        without it) or a callable target, bound as `step(images, targets, target=target)`."""
        if target is not None:
            bound["target"] = target
        return super().compile(step, signature, key=key, **bound)

    def run(self, step: Callable, images, targets=None, batch_size: int | None = None
            ) -> np.ndarray:
        """`ModelRunner.run` that also takes a callable target (model output -> (B,) score).

        The images are validated once; a callable target is checked once per model
        (`targets.check_target`) and passed to the compiled `step` as its `target` argument.

        Raises:
            InputError: class-index targets for a model whose output is not (B, classes), or a
                callable target that does not fit the output (`targets.check_target`).
        """
        images = check_images(images, self.input_shape)
        target = targets if callable(targets) else None
        if target is None:
            self._check_class_output(targets)
        else:
            targets = None
            MODEL_CACHE.get(self.model, ("explain.check_target", self.output),
                            lambda: self._check_target(target, images), owners=(target,))
        targets = check_targets(targets, len(images), self.num_classes)
        return batched(self.compile(step, target=target), (images, targets),
                       batch_size or self.batch_size)

    def _check_target(self, target: Callable, images: np.ndarray) -> bool:
        probe = np.concatenate([images[:2], images[:1]])[:2]
        target_functions.check_target(target, self.forward(tf.constant(probe))[1])
        return True

    def _check_class_output(self, targets) -> None:
        if len(self.output_shape) != 2:
            raise InputError(
                f"targets: class indices ({targets!r}) need a (B, classes) model output, this "
                f"model's output has shape {self.output_shape}; pass a callable target, e.g. "
                "cet.explain.targets.SegmentationRegion(category, mask) or RegressionOutput(i)")

    def __call__(self, images, targets=None) -> np.ndarray:
        """Explains a batch.

        Args:
            images: (B, H, W, C) floats in [0, 1]; grayscale is broadcast to the model's channels.
            targets: None (the predicted class), an int, B ints, or a callable mapping the
                model output (B, ...) to a (B,) score (see `explain.targets`).

        Returns:
            float32 array (B, H, W) in [0, 1] at the input resolution.
        """
        return self.run(self.explain_batch, images, targets)

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor,
                      target: Callable | None = None) -> tf.Tensor:
        """(B, H, W) maps in [0, 1] of one batch, inside the compiled step; `target` is the
        callable target, or None when `targets` are class indices."""
        raise NotImplementedError


def resolve_targets(logits: tf.Tensor, targets: tf.Tensor, target: Callable | None = None
                    ) -> tf.Tensor:
    """Replaces -1 entries by the predicted (argmax) class; unchanged under a callable target."""
    if target is not None:
        return targets
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.where(targets < 0, predicted, targets)


def class_scores(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) logit of each image's target class (-1: predicted class)."""
    logits = tf.cast(logits, tf.float32)
    return tf.gather(logits, resolve_targets(logits, targets), batch_dims=1)


def target_scores(output: tf.Tensor, targets: tf.Tensor, target: Callable | None = None
                  ) -> tf.Tensor:
    """The (B,) scores to explain: the callable `target`'s score of `output`, else the target
    class logits (`class_scores`)."""
    if target is None:
        return class_scores(output, targets)
    return target_functions.score(target, output)


def target_probabilities(output: tf.Tensor, targets: tf.Tensor, target: Callable | None = None
                         ) -> tf.Tensor:
    """The (B,) scores of score-based methods (Score-CAM, RISE): the callable `target`'s score,
    else the softmax probability of the target class (-1 must be resolved already)."""
    if target is not None:
        return target_functions.score(target, output)
    probabilities = tf.nn.softmax(tf.cast(output, tf.float32))
    return tf.gather(probabilities, targets, batch_dims=1)


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
