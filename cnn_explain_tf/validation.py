"""Input checks shared by every explainer: images, targets, integer options, clear errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


class InputError(ValueError):
    """Bad input to a library call; the message names the argument, the expectation and the
    value."""


def describe(value) -> str:
    """Short description of a value for error messages (shape and dtype for arrays)."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_images(images, input_shape: Sequence[int | None]) -> np.ndarray:
    """Validates a batch of images and returns it as float32 (B, H, W, C) for the model.

    Images must be channels-last floats in [0, 1]. Integer arrays (e.g. uint8 in [0, 255]) are
    refused
    rather than silently rescaled; divide them by 255 first. Grayscale images (C=1) are broadcast
    to the
    model's channel count.

    Args:
        images: array-like of shape (B, H, W, C).
        input_shape: the model's input shape without the batch axis, e.g. (64, 64, 3); None for
        free axes.

    Raises:
        TypeError: non-numeric or integer images.
        InputError: wrong rank, empty batch, size or channel mismatch, NaN/inf, values outside [0,
        1].
    """
    array = _as_float_array(images)
    if array.ndim != 4:
        raise InputError(f"images: expected a batch of rank 4 (B, H, W, C), got {describe(array)}"
                         + ("; add a batch axis with images[None]" if array.ndim == 3 else ""))
    if array.shape[0] == 0:
        raise InputError(f"images: expected at least one image, got an empty batch "
                         f"{describe(array)}")
    array = _match_model_shape(array, tuple(input_shape))
    if not np.all(np.isfinite(array)):
        bad = int((~np.isfinite(array)).sum())
        raise InputError(f"images: expected finite pixel values, got {bad} NaN or inf values")
    low, high = float(array.min()), float(array.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise InputError(f"images: expected values in [0, 1], got range [{low:.4g}, {high:.4g}]; "
                         "scale the images (e.g. divide uint8 images by 255) and put any other "
                         "normalisation inside the model as a layer")
    return array


def _as_float_array(images) -> np.ndarray:
    try:
        array = np.asarray(images.numpy() if isinstance(images, tf.Tensor) else images)
    except (TypeError, ValueError) as error:
        message = f"images: expected an array-like of floats, got {describe(images)}"
        raise TypeError(message) from error
    if array.dtype.kind in "iub":
        raise TypeError(f"images: expected floats in [0, 1], got integer {describe(array)}; "
                        "divide by 255 (uint8) to rescale")
    if array.dtype.kind != "f":
        raise TypeError(f"images: expected an array-like of floats, got {describe(array)}")
    return array.astype(np.float32, copy=False)


def _match_model_shape(array: np.ndarray, input_shape: tuple) -> np.ndarray:
    height, width, channels = input_shape[-3:]
    for axis, name, expected in ((1, "height", height), (2, "width", width)):
        if expected is not None and array.shape[axis] != expected:
            raise InputError(f"images: expected {name} {expected} for this model (input shape "
                             f"{input_shape}), got {describe(array)}")
    if channels is not None and array.shape[3] != channels:
        if array.shape[3] != 1:
            raise InputError(f"images: expected {channels} channel(s) (or 1, broadcast) for this "
                             f"model, got {describe(array)}")
        array = np.repeat(array, channels, axis=3)
    return array


def check_targets(targets, batch_size: int, num_classes: int) -> np.ndarray:
    """Resolves `targets` to a (B,) int32 array; -1 marks "the predicted class".

    Args:
        targets: None (predicted class), an int (same class for every image) or B ints.
        batch_size: number of images B.
        num_classes: size of the model's output.

    Raises:
        TypeError: targets that are not integers.
        InputError: wrong length or a class index outside [0, num_classes).
    """
    if targets is None:
        return np.full((batch_size,), -1, np.int32)
    array = np.asarray(targets)
    if array.dtype.kind not in "iu":
        raise TypeError(f"targets: expected None, an int or a sequence of ints, got "
                        f"{describe(targets)}")
    if array.ndim == 0:
        array = np.full((batch_size,), int(array))
    if array.shape != (batch_size,):
        raise InputError(f"targets: expected None, an int or {batch_size} ints (one per image), "
                         f"got {describe(array)}")
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise InputError(f"targets: expected class indices in [0, {num_classes}), got "
                         f"{bad.tolist()}")
    return array.astype(np.int32)


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Returns `value` as int if it is an integer >= minimum, else raises with the argument's
    name."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise InputError(f"{name}: expected an int >= {minimum}, got {value}")
    return int(value)
