"""Targets: what an explainer explains, as a (B,) score of the model output."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError, describe

__all__ = ["ClassLogit", "ClassProbability", "DetectionBox", "MultiLabel", "RegressionOutput",
           "SegmentationRegion", "Target", "box_iou", "check_target", "region_score", "score"]


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
        self.index = _optional_int("index", index)

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
        return region_score(output, self.category, self.mask)


def region_score(output: tf.Tensor, category, mask=None) -> tf.Tensor:
    """(B,) sum over pixels of `output[..., category] * mask` for (B, H, W, classes) outputs:
    `SegmentationRegion`'s score, with `category` and the (H, W) `mask` also as tensors (the
    serving signatures take them as inputs); mask None: every pixel."""
    region = tf.cast(tf.gather(output, category, axis=-1), tf.float32)
    if mask is not None:
        region = region * tf.cast(mask, tf.float32)
    return tf.reduce_sum(region, axis=(1, 2))


class DetectionBox(Target):
    """One detection of an object detector: its class score, plus with `match` its IoU with a
    reference box.

    The detector's output is ONE tensor (B, N, 4 + C): for each of N candidate detections
    (anchors, queries, proposals), a box as two corners, then C class scores (logits or
    probabilities). Corners are (x_min, y_min, x_max, y_max) or (y_min, x_min, y_max, x_max):
    the IoU is the same in either order when the reference box uses the model's.
    `cnn_explain_tf.models.detection.pack_detector` builds such a model from a detector with
    separate box and score outputs, without copying its weights.

    score = s[n, class_id] without `match`: n is `box_index`, or (None) each image's detection
    with the highest class_id score. With `match`, each reference box k selects, per image, the
    detection n of largest IoU with it (or `box_index`), and adds
    s[n, class_id_k] + iou_weight * IoU(box_n, match_k) when that IoU exceeds `iou_threshold`
    and n's highest class is class_id_k, else 0; the K terms are summed. With iou_weight=1 and
    iou_threshold=0.5 this is pytorch-grad-cam's `FasterRCNNBoxScoreTarget` (which adds the
    IoU to the score; a product would reward a lower IoU whenever the logit is negative).

    Args:
        class_id: the class, or one class per reference box of `match`.
        box_index: the detection n in [0, N); None: chosen by score or by `match`.
        match: a reference box (4,) or K boxes (K, 4), corners in the model's order.
        iou_weight: the weight of the IoU term (with `match`).
        iou_threshold: with `match`, a detection at this IoU or below scores 0.
    """

    def __init__(self, class_id, box_index: int | None = None, match=None,
                 iou_weight: float = 1.0, iou_threshold: float = 0.5):
        self.match = None if match is None else _reference_boxes(match)
        count = 1 if self.match is None else len(self.match)
        many = np.ndim(class_id) == 1
        self.class_ids = [_optional_int("class_id", c)
                          for c in (class_id if many else [class_id] * count)]
        if len(self.class_ids) != count or np.ndim(class_id) > 1 or None in self.class_ids:
            raise InputError(f"class_id: expected an int or one per reference box ({count}), "
                             f"got {describe(class_id)}")
        self.box_index = _optional_int("box_index", box_index)
        self.iou_weight, self.iou_threshold = float(iou_weight), float(iou_threshold)
        if not 0.0 <= self.iou_threshold < 1.0:
            raise InputError(f"iou_threshold: expected a value in [0, 1), got {iou_threshold!r}")

    def __repr__(self) -> str:
        return f"DetectionBox({self.class_ids}, box_index={self.box_index})"

    def check(self, output_shape):
        _check_rank(self, output_shape, "(B, N, 4 + classes)")
        if output_shape[-1] is not None and output_shape[-1] < 5:
            raise InputError(f"targets: {self!r} expects a (B, N, 4 + classes) output with at "
                             f"least one class, got output shape {tuple(output_shape)}")
        classes = None if output_shape[-1] is None else output_shape[-1] - 4
        for class_id in self.class_ids:
            _check_index(self, "class index", class_id, classes)
        _check_index(self, "detection index", self.box_index, output_shape[1])

    def __call__(self, output):
        output = tf.cast(output, tf.float32)
        boxes, scores = output[..., :4], output[..., 4:]
        if self.match is None:
            if self.box_index is None:
                return tf.reduce_max(scores[..., self.class_ids[0]], axis=1)
            return scores[:, self.box_index, self.class_ids[0]]
        return tf.add_n([self._matched(boxes, scores, tf.constant(box), class_id)
                         for box, class_id in zip(self.match, self.class_ids)])

    def _matched(self, boxes, scores, reference, class_id):
        """(B,) score of the detection matched to one reference box (0 where none is)."""
        ious = box_iou(boxes, reference)
        if self.box_index is None:
            index = tf.argmax(ious, axis=1, output_type=tf.int32)
        else:
            index = tf.fill(tf.shape(ious)[:1], self.box_index)
        iou = tf.gather(ious, index, batch_dims=1)
        detection = tf.gather(scores, index, batch_dims=1)
        kept = (iou > self.iou_threshold) & (tf.argmax(detection, axis=-1) == class_id)
        return tf.where(kept, detection[:, class_id] + self.iou_weight * iou, 0.0)


def box_iou(boxes: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """IoU of (..., 4) corner boxes with one (4,) corner box. A box with a negative side has
    zero area (torchvision's `box_iou` does not clamp; the two agree on valid boxes)."""
    low = tf.maximum(boxes[..., :2], reference[:2])
    high = tf.minimum(boxes[..., 2:], reference[2:])
    overlap = tf.reduce_prod(tf.nn.relu(high - low), axis=-1)
    union = _area(boxes) + _area(reference) - overlap
    return tf.math.divide_no_nan(overlap, union)


def _area(boxes: tf.Tensor) -> tf.Tensor:
    return tf.reduce_prod(tf.nn.relu(boxes[..., 2:] - boxes[..., :2]), axis=-1)


def _reference_boxes(match) -> np.ndarray:
    """`match` as float32 (K, 4) finite corner boxes (min corner <= max corner)."""
    boxes = np.asarray(match, np.float32)
    boxes = boxes[None] if boxes.shape == (4,) else boxes
    if boxes.ndim != 2 or boxes.shape[1:] != (4,) or not np.isfinite(boxes).all() or np.any(
            boxes[:, 2:] < boxes[:, :2]):
        raise InputError(f"match: expected a corner box (4,) or boxes (K, 4) with min <= max "
                         f"corners, got {describe(match)}: {np.asarray(match).tolist()}")
    return boxes


def _optional_int(name: str, value) -> int | None:
    """`value` as an int (None passes); a TypeError naming `name` for anything else."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise TypeError(f"{name}: expected an int or None, got {describe(value)}")
    return None if value is None else int(value)


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
