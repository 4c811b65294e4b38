"""Kernels, coalition samplers and weighted least-squares fits of LIME and KernelSHAP."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from scipy.special import comb

__all__ = ["efficient_least_squares", "lime_kernel", "shapley_coalitions", "shapley_kernel",
           "weighted_ridge"]


def lime_kernel(coalitions: np.ndarray, kernel_width: float = 0.25, distance: str = "cosine"
                ) -> np.ndarray:
    """(n,) LIME weights pi(z) = exp(-D(1, z)^2 / (2 w^2)) of (n, d) binary coalitions z.

    D is the distance of z to the all-ones vector (the image itself): "cosine",
    1 - sqrt(|z| / d), as the lime package's images (1 for the empty coalition); "euclidean",
    ||1 - z||_2 / sqrt(d) (the L2 distance with the width scaled by sqrt(d)). w = kernel_width;
    the lime package writes the same kernel sqrt(exp(-D^2 / w^2)), the paper's exp(-D^2 / s^2)
    with s = sqrt(2) w. E.g. d = 4, |z| = 1, cosine, w = 0.25: D = 0.5, pi = exp(-2).
    """
    num_features = coalitions.shape[1]
    kept = coalitions.sum(axis=1) / num_features
    distances = 1.0 - np.sqrt(kept) if distance == "cosine" else np.sqrt(1.0 - kept)
    return np.exp(-distances ** 2 / (2.0 * kernel_width ** 2)).astype(np.float32)


def shapley_kernel(coalitions: np.ndarray) -> np.ndarray:
    """(n,) Shapley kernel pi(z) = (d - 1) / (C(d, |z|) |z| (d - |z|)) of (n, d) coalitions;
    infinite for the empty and the full coalition (Lundberg & Lee 2017, Theorem 2). E.g. d = 4:
    |z| = 1 or 3: 1/4, |z| = 2: 1/8."""
    num_features, kept = coalitions.shape[1], coalitions.sum(axis=1)
    with np.errstate(divide="ignore"):
        return (num_features - 1) / (comb(num_features, kept) * kept * (num_features - kept))


def _solve(matrix: tf.Tensor, rhs: tf.Tensor) -> tf.Tensor:
    """Minimum-norm solution of (B, k, k) systems (pseudo-inverse, float64), as float32."""
    return tf.cast(tf.linalg.matvec(tf.linalg.pinv(matrix), rhs), tf.float32)


def weighted_ridge(coalitions, weights, scores, alpha: float, feature_mask) -> tf.Tensor:
    """(B, D) coefficients of the weighted ridge regression of `scores` (B, n) on `coalitions`
    (B, n, D) with sample `weights` (B, n) and an unpenalised intercept, as scikit-learn's
    `Ridge(alpha).fit(z, y, sample_weight=w)`: argmin sum_i w_i (y_i - b - z_i c)^2 +
    alpha |c|^2. Features outside `feature_mask` (B, D) (padding) get 0.
    """
    design = tf.cast(coalitions, tf.float64)
    design = tf.concat([tf.ones_like(design[..., :1]), design], axis=-1)
    weighted = design * tf.cast(weights, tf.float64)[..., None]
    mask = tf.cast(feature_mask, tf.float64)
    penalty = tf.concat([tf.zeros_like(mask[:, :1]), alpha * mask + (1.0 - mask)], axis=-1)
    gram = tf.einsum("bni,bnj->bij", weighted, design) + tf.linalg.diag(penalty)
    return _solve(gram, tf.einsum("bni,bn->bi", weighted, tf.cast(scores, tf.float64)))[:, 1:]


def efficient_least_squares(coalitions, weights, scores, clean, empty, feature_mask
                            ) -> tf.Tensor:
    """(B, D) Shapley value estimates: argmin sum_i w_i (y_i - f(0) - z_i phi)^2 subject to
    sum_j phi_j = f(x) - f(0) (`clean` - `empty`, (B,)), the KernelSHAP regression with the
    infinite weights of the full and empty coalitions written as constraints; solved through
    its KKT system. Features outside `feature_mask` (B, D) get 0."""
    design = tf.cast(coalitions, tf.float64)
    weighted = design * tf.cast(weights, tf.float64)[..., None]
    mask = tf.cast(feature_mask, tf.float64)
    gram = tf.einsum("bni,bnj->bij", weighted, design) + tf.linalg.diag(1.0 - mask)
    top = tf.concat([gram, mask[..., None]], axis=2)
    bottom = tf.concat([mask, tf.zeros_like(mask[:, :1])], axis=1)[:, None]
    centred = tf.cast(scores - empty[:, None], tf.float64)
    rhs = tf.concat([tf.einsum("bni,bn->bi", weighted, centred),
                     tf.cast(clean - empty, tf.float64)[:, None]], axis=1)
    return _solve(tf.concat([top, bottom], axis=1), rhs)[:, :-1]


def shapley_coalitions(num_samples: int, num_features: int, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray]:
    """((num_samples, d) coalitions, (num_samples,) weights) of KernelSHAP for d features.

    With 2^d - 2 <= num_samples: every coalition but the empty and the full one, weighted by
    `shapley_kernel` (the rows left over: all ones, weight 0), so that the fit gives the exact
    Shapley values. Otherwise sizes k drawn with probability proportional to
    (d - 1) / (k (d - k)), members uniformly, weight 1: the Shapley kernel as the sampling
    distribution (captum's and xplique's sampler).
    """
    if num_features < 63 and 2 ** num_features - 2 <= num_samples:
        every = (np.arange(1, 2 ** num_features - 1)[:, None] >> np.arange(num_features)) & 1
        rows = np.ones((num_samples, num_features), np.int64)
        rows[:len(every)] = every
        weights = np.zeros(num_samples)
        weights[:len(every)] = shapley_kernel(every)
        return rows, weights
    sizes = np.arange(1, num_features)
    chance = 1.0 / (sizes * (num_features - sizes))
    kept = rng.choice(sizes, num_samples, p=chance / chance.sum())
    ranks = np.argsort(rng.random((num_samples, num_features)), axis=1).argsort(axis=1)
    return (ranks < kept[:, None]).astype(np.int64), np.ones(num_samples)
