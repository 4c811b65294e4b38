"""Shared pieces of the data package: dataset metadata, errors, argument checks, uint8 storage."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from cnn_explain_tf.validation import InputError

__all__ = ["DatasetInfo", "DatasetNotPreparedError", "check_split", "check_classes", "to_uint8"]

EMBEDDED_SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Static description of a dataset.

    Attributes:
        name: The name it is loaded by, e.g. ``"digits"`` or ``"tfds:mnist"``.
        num_classes: Number of classes; labels are ``0 .. num_classes - 1``.
        class_names: One readable name per class.
        image_shape: Native ``(H, W, C)``; ``H``/``W`` are ``None`` where images differ in size.
        semantics: ``"similar"`` (classes share one visual vocabulary, like handwritten glyphs),
            ``"dissimilar"`` (classes are different objects on varied scenes) or ``None``
            (unknown: tfds and folder datasets).
        has_masks: Whether ``load(..., with_masks=True)`` is available.
    """

    name: str
    num_classes: int
    class_names: tuple[str, ...]
    image_shape: tuple[int | None, int | None, int]
    semantics: str | None
    has_masks: bool


class DatasetNotPreparedError(FileNotFoundError):
    """A tfds dataset was requested that has not been downloaded and prepared locally."""


def check_split(split: str, valid: Iterable[str], dataset: str) -> None:
    """Raises ``InputError`` when ``split`` is not one of ``valid``."""
    valid = tuple(valid)
    if split not in valid:
        raise InputError(f"split for {dataset!r} must be one of {valid}, got {split!r}")


def check_classes(classes: Iterable[int] | None, num_classes: int) -> tuple[int, ...] | None:
    """Validates an optional selection of class indices; returns it as a sorted tuple."""
    if classes is None:
        return None
    selected = tuple(sorted({int(c) for c in classes}))
    if not selected or selected[0] < 0 or selected[-1] >= num_classes:
        raise ValueError(
            f"classes must be a non-empty iterable of indices in [0, {num_classes}), got {selected}"
        )
    return selected


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Rounds float images in [0, 1] to uint8 for compact storage; clips ``images`` in place."""
    np.clip(images, 0.0, 1.0, out=images)
    images *= 255
    images += 0.5
    return images.astype(np.uint8)
