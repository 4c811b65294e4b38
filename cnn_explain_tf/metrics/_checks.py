"""Input checks shared by the metrics: maps, masks, fractions, non-empty sets, nan-aware means."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError, describe


def as_maps(name: str, maps) -> np.ndarray:
    """Returns heat maps as float32 (B, H, W); a trailing channel axis of size 1 is dropped.

    Raises:
        TypeError: non-numeric input.
        InputError: wrong rank, empty set, NaN or inf.
    """
    array = _as_numeric(name, maps)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise InputError(f"{name}: expected maps of shape (B, H, W) or (B, H, W, 1), "
                         f"got {describe(array)}")
    if array.shape[0] == 0:
        raise InputError(f"{name}: expected at least one map, got an empty set {describe(array)}")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name}: expected finite values, got "
                         f"{int((~np.isfinite(array)).sum())} NaN or inf values")
    return array.astype(np.float32, copy=False)


def as_masks(name: str, masks) -> np.ndarray:
    """Returns masks as bool (B, H, W): booleans as they are, numbers as `value > 0.5`."""
    array = as_maps(name, masks)
    return array > 0.5


def check_same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raises InputError naming both arguments when their shapes differ."""
    if a.shape != b.shape:
        raise InputError(f"{name_b}: expected the shape of {name_a} {tuple(a.shape)}, "
                         f"got {describe(b)}")


def check_fraction(name: str, value) -> float:
    """Returns `value` as float if it is a number in [0, 1], else raises naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number in [0, 1], got {describe(value)}")
    if not 0.0 <= float(value) <= 1.0:
        raise InputError(f"{name}: expected a number in [0, 1], got {value}")
    return float(value)


def nan_mean(values: np.ndarray, axis=None):
    """Mean over the values that are not NaN (NaN marks a sample a metric does not count); NaN
    when nothing is counted."""
    values = np.asarray(values, np.float64)
    counted = np.sum(~np.isnan(values), axis=axis)
    total = np.nansum(values, axis=axis)
    return np.where(counted > 0, total / np.maximum(counted, 1), np.nan)


def reduce(values: np.ndarray, per_sample: bool) -> float | np.ndarray:
    """The (B,) per-sample values as float32, or their nan-aware mean as a float."""
    return np.asarray(values, np.float32) if per_sample else float(nan_mean(values))


def _as_numeric(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values.numpy() if isinstance(values, tf.Tensor) else values)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected an array-like of numbers, got "
                        f"{describe(values)}") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected an array-like of numbers, got {describe(array)}")
    return array
