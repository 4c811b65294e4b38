"""Targets: what an explainer explains, as a (B,) score of the model output."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError, describe

__all__ = ["ClassLogit", "ClassProbability", "MultiLabel", "RegressionOutput",
           "SegmentationRegion", "Target", "check_target", "score"]


class Target:
    """A callable mapping the model output (B, ...) to the (B,) score to explain.

    Explainers call targets on the model output with a softmax/sigmoid head linearised, i.e. on
    the logits (pytorch-grad-cam's `ClassifierOutputTarget`, tf-keras-vis's `CategoricalScore`).
    Any function `output -> (B,)` can be passed as `targets=`; these classes add a `check` of
    the output shape that runs before anything is traced.
    """

    def __call__(self, output: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def check(self, output_shape: Sequence[int | None]) -> None:
        """Raises InputError if this target cannot score an output of `output_shape` (B, ...)."""


class _IndexTarget(Target):
    """Base of the targets that read one entry `index` of a (B, N) vector output."""

    kind = "class index"

    def __init__(self, index: int | None = None):
        if index is not None and (isinstance(index, bool) or not isinstance(
                index, (int, np.integer))):
            raise TypeError(f"index: expected an int or None, got {describe(index)}")
        self.index = None if index is None else int(index)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.index})"

    def check(self, output_shape):
        _check_rank(self, output_shape, "(B, N) vector")
        _check_index(self, self.kind, self.index, output_shape[-1])

    def __call__(self, output):
        return self.pick(output)

    def pick(self, values: tf.Tensor) -> tf.Tensor:
        """The (B,) entry `index` of (B, N) values; index None: each row's largest entry."""
        values = tf.cast(values, tf.float32)
        if self.index is None:
            return tf.reduce_max(values, axis=-1)
        return values[:, self.index]


class ClassLogit(_IndexTarget):
    """The logit of class `index` (None: the predicted class); the default target.

    Args:
        index: the class index, or None for each image's predicted class.
    """


class ClassProbability(_IndexTarget):
    """The softmax probability of class `index` (None: the predicted class)."""

    def __call__(self, output):
        return self.pick(tf.nn.softmax(tf.cast(output, tf.float32), axis=-1))


class MultiLabel(_IndexTarget):
    """One label of a multi-label (sigmoid) output: its logit, or with `probability` its sigmoid.

    Args:
        label: the label index.
        probability: explain sigmoid(logit) instead of the logit.
    """

    kind = "label index"

    def __init__(self, label: int, probability: bool = False):
        if label is None:
            raise TypeError("label: expected an int, got None")
        super().__init__(label)
        self.probability = bool(probability)

    def __call__(self, output):
        output = tf.cast(output, tf.float32)
        return self.pick(tf.sigmoid(output) if self.probability else output)


class RegressionOutput(_IndexTarget):
    """Entry `index` of a vector (regression) output, e.g. one coordinate of a box regressor."""

    kind = "output index"

    def __init__(self, index: int = 0):
        super().__init__(index)


class SegmentationRegion(Target):
    """The sum of class `category`'s logits inside `mask`, for (B, H, W, classes) outputs.

    As pytorch-grad-cam's `SemanticSegmentationTarget`: score = sum_ij output[:, i, j, category]
    * mask[i, j].

    Args:
        category: the class (channel) of the segmentation output.
        mask: (H, W) weights or booleans at the output resolution; None: every pixel.
    """

    def __init__(self, category: int, mask=None):
        self.category = int(category)
        self.mask = None if mask is None else np.asarray(mask, np.float32)
        if self.mask is not None and self.mask.ndim != 2:
            raise InputError(f"mask: expected an (H, W) array, got {describe(self.mask)}")

    def __repr__(self) -> str:
        return f"SegmentationRegion({self.category})"

    def check(self, output_shape):
        _check_rank(self, output_shape, "(B, H, W, classes)")
        _check_index(self, "segmentation category", self.category, output_shape[-1])
        size = tuple(output_shape[1:3])
        if self.mask is not None and self.mask.shape != size:
            raise InputError(f"targets: expected a segmentation mask of the output size {size}, "
                             f"got a mask of shape {self.mask.shape}")

    def __call__(self, output):
        region = tf.cast(output[..., self.category], tf.float32)
        if self.mask is not None:
            region = region * tf.constant(self.mask)
        return tf.reduce_sum(region, axis=(1, 2))


def score(target: Callable, output: tf.Tensor) -> tf.Tensor:
    """`target(output)` as float32 (B,), refusing any other shape (inside a traced step)."""
    scores = tf.convert_to_tensor(tf.autograph.experimental.do_not_convert(target)(output))
    if scores.shape.rank != 1:
        raise InputError(f"targets: expected the callable {describe(target)} to map the model "
                         f"output {_shape(output.shape)} to a (B,) score, got shape "
                         f"{_shape(scores.shape)}")
    return tf.cast(scores, tf.float32)


def check_target(target: Callable, output: tf.Tensor) -> None:
    """Validates a callable target on a real model output of 2 images, before any tracing.

    Raises:
        InputError: a `Target` that does not fit the output shape, or a callable that does not
            return one score per image, shape (B,); the message names the expected (B,).
    """
    if isinstance(target, Target):
        target.check(tuple(output.shape))
    scores = score(target, output)
    if tuple(scores.shape) != (output.shape[0],):
        raise InputError(f"targets: expected the callable {describe(target)} to map the model "
                         f"output {_shape(output.shape)} to a (B,) score (B={output.shape[0]}), "
                         f"got shape {tuple(scores.shape)}")


def _shape(shape) -> str:
    dims = list(shape)
    return str(("B", *dims[1:])).replace("'", "") if dims else "()"


def _check_rank(target: Target, output_shape: Sequence[int | None], expected: str) -> None:
    """Raises InputError unless the output has the rank of `expected`, e.g. "(B, N) vector"."""
    if len(output_shape) != expected.count(",") + 1:
        raise InputError(f"targets: {target!r} expects a {expected} output, got output shape "
                         f"{tuple(output_shape)}")


def _check_index(target: Target, kind: str, index: int | None, size: int | None) -> None:
    """Raises InputError if `index` is not in [0, size) (None and unknown sizes pass)."""
    if index is not None and size is not None and not 0 <= index < size:
        raise InputError(f"targets: expected a {kind} in [0, {size}), got {index} ({target!r})")
