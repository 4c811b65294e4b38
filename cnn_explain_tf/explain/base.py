"""The Explainer contract: a compiled (images, targets) -> (B, H, W) step, and its map helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.batching import ModelRunner
from cnn_explain_tf.explain import targets as target_functions
from cnn_explain_tf.validation import InputError, check_images

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

    Targets may also be callables mapping the model output (B, ...) to a (B,) score (see
    `explain.targets`). Such a target is checked on the output of two images, then every step
    is compiled once more for it with the target active while tracing (`targets.scoring`), so
    the score functions below (`target_scores`, `target_probabilities`) use it in place of the
    class indices; the step for class indices is unchanged.

    Args:
        model: a Keras classifier taking (B, H, W, C) images. A softmax/sigmoid head is linearised
            (its logits are explained) without modifying the model.
        output: index of the output to explain for multi-output models.
        batch_size: images per compiled step.
    """

    name: ClassVar[str] = ""
    class_specific: ClassVar[bool] = True  # False: the map does not depend on the target
    max_target_steps: ClassVar[int] = 16  # compiled steps kept per step for callable targets

    def __init__(self, model: keras.Model, *, output: int | None = None, batch_size: int = 32):
        super().__init__(model, output=output, batch_size=batch_size)
        self.output_shape = tuple(graph.select_output(model.outputs, output).shape)
        self._sources: dict[int, tuple[Callable, dict]] = {}
        self._step = self.compile(self.explain_batch)

    def compile(self, step: Callable) -> Callable:
        """`ModelRunner.compile`, remembering `step` to recompile it for callable targets."""
        compiled = super().compile(step)
        self._sources[id(compiled)] = (step, {})
        return compiled

    def run(self, step: Callable, images, targets=None, batch_size: int | None = None
            ) -> np.ndarray:
        """`ModelRunner.run` that also takes a callable target (model output -> (B,) score).

        Raises:
            InputError: class-index targets for a model whose output is not (B, classes), or a
                callable target that does not fit the output (`targets.check_target`).
        """
        if not callable(targets):
            self._check_class_output(targets)
            return super().run(step, images, targets, batch_size)
        images = check_images(images, self.input_shape)
        return super().run(self._target_step(step, targets, images), images, None, batch_size)

    def _target_step(self, step: Callable, target: Callable, images: np.ndarray) -> Callable:
        """`step` compiled with `target` active, checked and built on first use."""
        source, per_target = self._sources[id(step)]
        if id(target) not in per_target:
            probe = np.concatenate([images[:2], images[:1]])[:2]
            target_functions.check_target(target, self.forward(tf.constant(probe))[1])
            if len(per_target) >= self.max_target_steps:
                per_target.pop(next(iter(per_target)))
            per_target[id(target)] = (target, super().compile(_with_target(source, target)))
        return per_target[id(target)][1]

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
        return self.run(self._step, images, targets)

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """(B, H, W) maps in [0, 1] of one batch, inside the compiled step."""
        raise NotImplementedError


def _with_target(step: Callable, target: Callable) -> Callable:
    """`step` traced with `target` active (`targets.scoring`)."""

    def step_with_target(images, targets):
        with target_functions.scoring(target):
            return step(images, targets)

    return step_with_target


def resolve_targets(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Replaces -1 entries by the predicted (argmax) class; unchanged under a callable target."""
    if target_functions.active() is not None:
        return targets
    predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.where(targets < 0, predicted, targets)


def class_scores(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) logit of each image's target class (-1: predicted class)."""
    logits = tf.cast(logits, tf.float32)
    return tf.gather(logits, resolve_targets(logits, targets), batch_dims=1)


def target_scores(output: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) scores to explain: the active callable target's score of `output`, else the
    target class logits (`class_scores`)."""
    target = target_functions.active()
    return class_scores(output, targets) if target is None else target_functions.score(
        target, output)


def target_probabilities(output: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The (B,) scores of score-based methods (Score-CAM, RISE): the active callable target's
    score, else the softmax probability of the target class (-1 must be resolved already)."""
    target = target_functions.active()
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
