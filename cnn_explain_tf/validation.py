"""Input checks shared by the library: images, targets, integer options, configs, clear errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import tensorflow as tf


class InputError(ValueError):
    """Bad input to a library call; the message names the argument, the expectation, the value."""


def describe(value) -> str:
    """Short description of a value for error messages (shape and dtype for arrays)."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_images(images, input_shape: Sequence[int | None]) -> np.ndarray:
    """Validates a batch of images and returns it as float32 (B, H, W, C) for the model.

    Images must be channels-last floats in [0, 1]. Integer arrays (e.g. uint8 in [0, 255]) are
    refused rather than silently rescaled; divide them by 255 first. Grayscale images (C=1) are
    broadcast to the model's channel count.

    Args:
        images: array-like of shape (B, H, W, C).
        input_shape: the model's input shape without the batch axis, e.g. (64, 64, 3); None for
            free axes.

    Raises:
        TypeError: non-numeric or integer images.
        InputError: wrong rank, empty batch, size or channel mismatch, NaN/inf, or values outside
            [0, 1].
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


def check_positive_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """Returns `value` as int if it is an integer in [minimum, maximum], else raises naming it.

    This is the library's one integer-option check (explainers, metrics, layers and, through
    `check_config`, every job config); `maximum` None means no upper bound.

    Raises:
        TypeError: `value` is not an int (bools are refused too).
        InputError: `value` is outside [minimum, maximum].
    """
    expected = f"an int >= {minimum}" if maximum is None else f"an int in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected {expected}, got {describe(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        raise InputError(f"{name}: expected {expected}, got {value}")
    return int(value)


def check_choice(name: str, value, options: Collection):
    """Returns `value` if it is one of `options`, else raises naming the valid options.

    Raises:
        InputError: e.g. "optimizer: expected one of ['paper', 'adam', 'sgd'], got 'rmsprop'".
    """
    if value not in options:
        raise InputError(f"{name}: expected one of {list(options)}, got {describe(value)}")
    return value


def check_config(config, positive: Iterable[str] = (), optional_positive: Iterable[str] = (),
                 choices: Mapping[str, Collection] | None = None) -> None:
    """Validates fields of a (frozen) dataclass config; call it from the config's __post_init__.

    Args:
        config: the dataclass instance; fields are read by name.
        positive: fields that must be ints >= 1 (`check_positive_int`).
        optional_positive: fields that must be None or ints >= 1.
        choices: field name -> the values it may take (`check_choice`).

    Raises:
        TypeError: a positive field that is not an int.
        InputError: a field out of range or not among its choices; the message names the field.

    Example:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Recipe:
        ...     epochs: int
        ...     optimizer: str = "adam"
        ...     def __post_init__(self):
        ...         check_config(self, positive=["epochs"], choices={"optimizer": ["adam", "sgd"]})
        >>> Recipe(epochs=0)
        Traceback (most recent call last):
        ...
        cnn_explain_tf.validation.InputError: epochs: expected an int >= 1, got 0
    """
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config: expected a dataclass instance, got {describe(config)}")
    for name in positive:
        check_positive_int(name, getattr(config, name))
    for name in optional_positive:
        if getattr(config, name) is not None:
            check_positive_int(name, getattr(config, name))
    for name, options in (choices or {}).items():
        check_choice(name, getattr(config, name), options)
