"""SSIM similarity and distance matrices of heat maps, Ward clustering and its readings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from cnn_explain_tf.validation import InputError

__all__ = ["count_readings", "disagreements", "distance_matrix", "euclidean_defect",
           "merge_reading", "similarity_matrices", "similarity_matrix", "ward"]


@tf.function(reduce_retracing=True)
def _ssim(left: tf.Tensor, right: tf.Tensor, filter_size: int) -> tf.Tensor:
    return tf.image.ssim(left, right, max_val=1.0, filter_size=filter_size)


def similarity_matrices(maps: np.ndarray) -> np.ndarray:
    """(K, M, M) SSIM matrices of K sets of M maps (K, M, H, W) in [0, 1], in ONE batched
    `tf.image.ssim` call (compiled) over the K x M (M - 1) / 2 distinct pairs (SSIM is symmetric;
    window min(11, H, W), max_val 1); unit diagonal."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim != 4:
        raise InputError(f"maps: expected (sets, models, H, W) maps, got shape {maps.shape}")
    sets, count, height, width = maps.shape
    rows, cols = np.triu_indices(count, 1)
    left = maps[:, rows].reshape(-1, height, width, 1)
    right = maps[:, cols].reshape(-1, height, width, 1)
    values = _ssim(left, right, min(11, height, width)).numpy().reshape(sets, len(rows))
    matrix = np.ones((sets, count, count), np.float32)
    matrix[:, rows, cols] = matrix[:, cols, rows] = values
    return matrix


def similarity_matrix(maps_by_model: Mapping[str, np.ndarray]) -> np.ndarray:
    """(M, M) SSIM matrix of one image's maps, one (H, W) map per model (M >= 3, one size).

    Raises:
        InputError: fewer than 3 models or maps of different shapes.
    """
    shapes = {name: np.shape(m) for name, m in maps_by_model.items()}
    if len(shapes) < 3:
        raise InputError(f"maps_by_model: expected maps of at least 3 models, got {len(shapes)}")
    if len(set(shapes.values())) != 1:
        raise InputError(f"maps_by_model: expected (H, W) maps of one shape (see `common_form`),"
                         f" got {shapes}")
    return similarity_matrices(np.stack(list(maps_by_model.values()))[None])[0]


def distance_matrix(similarity: np.ndarray,
                    distance: Callable[[np.ndarray], np.ndarray] = lambda s: 1.0 - s) -> np.ndarray:
    """Distances from a similarity matrix: `distance(similarity)` (default 1 - SSIM), clipped at
    0, symmetric, zero diagonal."""
    matrix = np.clip(np.asarray(distance(np.asarray(similarity, np.float64))), 0, None)
    matrix = (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 0.0)
    return matrix


def euclidean_defect(distances: np.ndarray) -> float:
    """Share of negative eigenvalue mass of -1/2 J D^2 J (classical MDS): 0 when the distances
    embed in a Euclidean space (Ward's assumption), larger the further they are from it."""
    count = len(distances)
    centring = np.eye(count) - np.ones((count, count)) / count
    eigenvalues = np.linalg.eigvalsh(-0.5 * centring @ (distances ** 2) @ centring)
    total = np.abs(eigenvalues).sum()
    return float(abs(eigenvalues[eigenvalues < 0].sum()) / total) if total > 0 else 0.0


def ward(distances: np.ndarray) -> np.ndarray:
    """scipy's Ward linkage (M - 1, 4) of a square distance matrix (as the paper: Sec. 3.2.2)."""
    return hierarchy.linkage(squareform(distances, checks=False), method="ward")


def merge_reading(linkage: np.ndarray, names: Sequence[str]) -> dict:
    """The paper's readings of one dendrogram: the pair merged first, and the outlier (the
    single model joined last to all the others; None when the last merge joins two groups)."""
    count = len(names)
    first = tuple(sorted(names[int(i)] for i in linkage[0, :2]))
    last = [int(i) for i in linkage[-1, :2] if i < count]
    return {"first_pair": first, "outlier": names[last[0]] if last else None}


def count_readings(readings: Sequence[Mapping]) -> dict[str, Counter]:
    """Counts of outliers and first pairs over many images (the paper's Sec. 4.2 tables)."""
    return {"outlier": Counter(r["outlier"] for r in readings if r["outlier"] is not None),
            "first_pair": Counter(" + ".join(r["first_pair"]) for r in readings)}


def disagreements(predictions: Mapping[str, np.ndarray]) -> list[int]:
    """Indices of the images on which the models do not all predict the same class (round 3)."""
    stacked = np.stack([np.asarray(p) for p in predictions.values()])
    return [int(i) for i in np.flatnonzero((stacked != stacked[:1]).any(axis=0))]
