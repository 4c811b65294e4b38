"""Detector adapters: one (B, N, 4 + classes) output from a detector's boxes and class scores."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from cnn_explain_tf import graph
from cnn_explain_tf.validation import InputError, describe

__all__ = ["DecodedBoxes", "pack_detector", "pack_retinanet"]

CORNER_FORMATS = ("xyxy", "yxyx", "rel_xyxy", "rel_yxyx")


def pack_detector(detector: keras.Model, boxes: str | int = "boxes",
                  scores: str | int = "scores", decode_boxes: Callable | None = None
                  ) -> keras.Model:
    """`detector` with its boxes and class scores as ONE (B, N, 4 + C) float32 output.

    The convention of `cet.explain.targets.DetectionBox`: for each of N detections (anchors,
    queries), 4 box corners then C class scores. The detector is called inside the new model
    as a nested model, so its weights are shared (not copied) and its layers, e.g. a
    backbone's last convolution, stay reachable by name for CAM methods.

    Args:
        detector: a functional Keras model with one image input and (B, N, 4) boxes and
            (B, N, C) scores among its outputs (a dict, list or tuple).
        boxes: the key (dict outputs) or index of the boxes output.
        scores: the key or index of the class-scores output.
        decode_boxes: a function of Keras ops mapping the boxes output to (B, N, 4) corners,
            e.g. decoding anchor deltas; None: the output already holds corners.

    Raises:
        InputError: a missing key or index, or outputs whose shapes do not fit.
    """
    shape = graph.input_shape(detector)
    inputs = keras.Input(shape, name="images")
    outputs = detector(inputs)
    box_output = _pick(outputs, boxes, "boxes")
    if decode_boxes is not None:
        box_output = DecodedBoxes(decode_boxes)(box_output)
    score_output = _pick(outputs, scores, "scores")
    _check_shapes(tuple(box_output.shape), tuple(score_output.shape))
    packed = keras.ops.concatenate([keras.ops.cast(box_output, "float32"),
                                    keras.ops.cast(score_output, "float32")], axis=-1)
    return keras.Model(inputs, packed, name=f"{detector.name}_packed")


def pack_retinanet(detector: keras.Model) -> keras.Model:
    """A keras-hub `RetinaNetObjectDetector` packed for `DetectionBox`: every anchor's decoded
    box (corners, in the detector's `bounding_box_format`) and its C class logits.

    The anchors of the detector's fixed input size are computed once; the box deltas are
    decoded as `RetinaNetObjectDetector.decode_predictions` does before non-maximum
    suppression, which is left out (it selects boxes, it does not change their scores).

    Raises:
        InputError: a detector whose `bounding_box_format` is not a corner format.
    """
    box_format = getattr(detector, "bounding_box_format", None)
    if box_format not in CORNER_FORMATS:
        raise InputError(f"detector: expected a RetinaNet with a corner bounding_box_format "
                         f"{CORNER_FORMATS}, got {box_format!r}")
    shape = graph.input_shape(detector)
    generator = detector.anchor_generator
    anchors = generator(np.zeros((1, *shape), np.float32))
    anchors = keras.ops.concatenate(list(anchors.values()), axis=0)

    def decode(deltas):
        return keras.utils.bounding_boxes.decode_deltas_to_boxes(
            anchors=anchors, boxes_delta=deltas, encoded_format="center_xywh",
            anchor_format=generator.bounding_box_format, box_format=box_format,
            image_shape=shape)

    return pack_detector(detector, "bbox_regression", "cls_logits", decode_boxes=decode)


class DecodedBoxes(keras.layers.Layer):
    """A layer applying `decode` (any TensorFlow or Keras-ops function) to a detector's boxes
    output; it has no weights. A model holding it is traced and exported like any other, but is
    not saved as `.keras` (pack the loaded detector again instead)."""

    def __init__(self, decode: Callable, **kwargs):
        super().__init__(**kwargs)
        self.decode = decode

    def call(self, boxes):
        return self.decode(boxes)


def _pick(outputs, key: str | int, name: str):
    """One output of a detector by dict key or list index."""
    keys = list(outputs) if isinstance(outputs, dict) else list(range(
        len(outputs) if isinstance(outputs, (list, tuple)) else 1))
    if key not in keys:
        raise InputError(f"{name}: expected one of the detector's outputs {keys}, got "
                         f"{describe(key)}")
    return outputs[key] if isinstance(outputs, (dict, list, tuple)) else outputs


def _check_shapes(boxes: tuple, scores: tuple) -> None:
    if len(boxes) != 3 or boxes[-1] != 4 or len(scores) != 3 or boxes[1] != scores[1]:
        raise InputError(f"detector: expected boxes (B, N, 4) and class scores (B, N, C) with "
                         f"the same N, got shapes {boxes} and {scores}")
