"""Decoding of source images to the model's input: one image, or a whole batch at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from cnn_explain_tf.validation import InputError

__all__ = ["READ_ERRORS", "decoded", "fit_block", "fit_image", "read_each"]

READ_ERRORS = (InputError, OSError, ValueError, cv2.error)
"""What reading one image may raise; anything else is a bug and stops the run."""


def fit_image(image: np.ndarray, input_shape: tuple) -> np.ndarray:
    """An (H, W), (H, W, C) uint8/uint16/float image as float32 in [0, 1] at the model's size and
    channels (bilinear resize; grayscale repeated to colour, colour averaged to grayscale)."""
    height, width, channels = input_shape
    if image.dtype.kind in "ui":
        image = image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    image = np.asarray(image, np.float32).reshape(image.shape[0], image.shape[1], -1)
    if image.shape[2] != channels:
        image = (np.repeat(image[..., :1], channels, axis=2) if image.shape[2] == 1
                 else image[..., :3].mean(axis=2, keepdims=True))
    if height and width and image.shape[:2] != (height, width):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(image.reshape(height or image.shape[0], width or image.shape[1], channels),
                   0.0, 1.0)


def fit_block(block: np.ndarray, input_shape: tuple) -> np.ndarray | None:
    """`fit_image` of every image of a (B, H, W[, C]) block at once, or None when the images need
    a resize or a channel change (then `fit_image` one by one). A float32 block comes back as
    it is (a view, not a copy: tf.data copies it into its tensor anyway).

    The block's images must be integers or floats already in [0, 1] (checked by the caller):
    they then get the same element-wise conversion as in `fit_image`, so the same values, and
    its clip to [0, 1] changes nothing and is left out.
    """
    height, width, channels = input_shape
    if block.shape[1:3] != (height, width) or (block.shape[3] if block.ndim == 4 else 1) \
            != channels:
        return None
    if block.dtype.kind in "ui":
        block = block.astype(np.float32) / np.float32(np.iinfo(block.dtype).max)
    return np.asarray(block, np.float32).reshape(len(block), height, width, channels)


def decoded(contents: bytes, input_shape: tuple) -> np.ndarray:
    """An encoded image (PNG, JPEG, ...) decoded as RGB (or grayscale) and fitted to the model."""
    flag = cv2.IMREAD_GRAYSCALE if input_shape[2] == 1 else cv2.IMREAD_COLOR
    image = cv2.imdecode(np.frombuffer(contents, np.uint8), flag)
    if image is None:
        raise InputError("could not decode the image (corrupt, truncated or another format)")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return fit_image(image, input_shape)


def read_each(read: Callable, payloads: Sequence, input_shape: tuple,
              rows: Sequence[int] | None = None, images: np.ndarray | None = None,
              errors: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """(images, errors) of a batch of payloads, each read by `read(payload) -> image`: an image
    that raises one of `READ_ERRORS` becomes zeros and a one-line error. Only `rows` are read
    (default: all) into `images` and `errors` when they are given."""
    if images is None:
        images = np.zeros((len(payloads), *input_shape), np.float32)
    errors = [""] * len(payloads) if errors is None else errors
    for row in range(len(payloads)) if rows is None else rows:
        try:
            images[row] = read(payloads[row])
        except READ_ERRORS as error:
            errors[row] = " ".join(str(error).split()) or "unreadable"
    return images, errors
