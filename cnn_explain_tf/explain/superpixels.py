"""Superpixels, the interpretable features of LIME and KernelSHAP: SLIC, a grid, or your own."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
from skimage.segmentation import slic

from cnn_explain_tf.validation import InputError, check_choice, check_positive_int, describe

__all__ = ["SEGMENTATIONS", "Superpixels", "grid_segments", "segment_means", "slic_segments"]

SEGMENTATIONS = ("slic", "grid")


def consecutive_labels(labels: np.ndarray) -> np.ndarray:
    """(H, W) int32 labels renumbered 0..d-1 in order of their first value (d distinct)."""
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape).astype(np.int32)


def slic_segments(image: np.ndarray, num_segments: int, compactness: float | None = None
                  ) -> np.ndarray:
    """(H, W) int32 SLIC superpixel labels 0..d-1 of one (H, W, C) image in [0, 1].

    scikit-image's `slic` (k-means on colour and position, connected segments): RGB images are
    clustered in CIELAB, where the default `compactness` is 10; other channel counts on the raw
    [0, 1] values, where it is 0.1. d is about `num_segments`, often fewer.

    References: Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel
    Methods", IEEE TPAMI 34(11), 2012, Sec. 3 (the distance measure D = d_c + (m / S) d_s, m the
    compactness).
    """
    rgb = image.shape[-1] == 3
    if compactness is None:
        compactness = 10.0 if rgb else 0.1
    labels = slic(image.astype(np.float64), n_segments=num_segments, compactness=compactness,
                  start_label=0, channel_axis=-1, convert2lab=rgb)
    return consecutive_labels(labels)


def grid_segments(size: tuple[int, int], num_segments: int) -> np.ndarray:
    """(H, W) int32 labels of a regular grid, g = round(sqrt(num_segments)) cells per side (at
    most one pixel per cell), numbered row by row: pixel (i, j) is in cell
    (i g // H) g + (j g // W). E.g. size (4, 4), 4 segments: 2 x 2 cells of 2 x 2 pixels."""
    side = max(1, round(num_segments ** 0.5))
    rows, cols = min(side, size[0]), min(side, size[1])
    row_cell = np.arange(size[0]) * rows // size[0]
    col_cell = np.arange(size[1]) * cols // size[1]
    return (row_cell[:, None] * cols + col_cell[None, :]).astype(np.int32)


class Superpixels:
    """Segments (B, H, W, C) images into (B, H, W) int32 labels 0..d_b-1, d_b per image.

    Args:
        segmentation: "slic" (`slic_segments`), "grid" (`grid_segments`, the same for every
            image) or a callable mapping one (H, W, C) image to (H, W) integer labels (e.g. a
            quickshift wrapper, the lime package's default); labels are renumbered 0..d-1.
        num_segments: the number of superpixels asked of SLIC or the grid.
        compactness: SLIC's compactness (None: 10 for RGB, 0.1 otherwise).

    Raises:
        InputError: an unknown segmentation, num_segments < 1, compactness <= 0.
    """

    def __init__(self, segmentation: str | Callable = "slic", num_segments: int = 50,
                 compactness: float | None = None):
        if not callable(segmentation):
            check_choice("segmentation", segmentation, SEGMENTATIONS)
        self.segmentation = segmentation
        self.num_segments = check_positive_int("num_segments", num_segments)
        if compactness is not None and not float(compactness) > 0.0:
            raise InputError(f"compactness: expected a number > 0, got {describe(compactness)}")
        self.compactness = compactness

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if self.segmentation == "grid":
            labels = grid_segments(images.shape[1:3], self.num_segments)
            return np.repeat(labels[None], len(images), axis=0)
        if self.segmentation == "slic":
            return np.stack([slic_segments(image, self.num_segments, self.compactness)
                             for image in images])
        return np.stack([self._custom(image) for image in images])

    def _custom(self, image: np.ndarray) -> np.ndarray:
        labels = np.asarray(self.segmentation(image))
        if labels.shape != image.shape[:2] or not np.issubdtype(labels.dtype, np.integer):
            raise InputError(f"segmentation: expected the callable to return (H, W) = "
                             f"{image.shape[:2]} integer labels, got {describe(labels)}")
        return consecutive_labels(labels)


def segment_means(images: tf.Tensor, segments: tf.Tensor) -> tf.Tensor:
    """(B, H, W, C) images whose pixels are replaced by the mean colour of their superpixel
    (the lime package's fill, `hide_color=None`); `segments` (B, H, W) labels 0..d_b-1."""
    shape = tf.shape(images)
    offsets = tf.reduce_max(segments) + 1
    ids = segments + tf.range(shape[0])[:, None, None] * offsets
    pixels = tf.reshape(images, (-1, shape[3]))
    means = tf.math.unsorted_segment_mean(pixels, tf.reshape(ids, [-1]), shape[0] * offsets)
    return tf.reshape(tf.gather(means, tf.reshape(ids, [-1])), shape)
