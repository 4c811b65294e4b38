"""Sobol attribution: total-order Sobol indices of grid cells (Jansen estimator, QMC masks)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import register
from cnn_explain_tf.explain.sensitivity import GridSensitivity, check_designs, sobol_points

__all__ = ["Sobol", "jansen_total_indices", "replicated_design"]

VARIANCE_FLOOR = 1e-12  # xplique's EPS: a constant score gives zero indices, not NaN


def replicated_design(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N (d + 1), d) rows [A; C_1; ...; C_d] of the pick-freeze design: C_i is A with its
    column i taken from B. E.g. a = [[0, 0]], b = [[1, 2]]: rows [0, 0], [1, 0], [0, 2]."""
    dimension = a.shape[1]
    replicas = np.repeat(a[None], dimension, axis=0)
    replicas[np.arange(dimension), :, np.arange(dimension)] = b.T
    return np.concatenate([a, replicas.reshape(-1, dimension)])


def jansen_total_indices(a_scores: tf.Tensor, c_scores: tf.Tensor) -> tf.Tensor:
    """(B, d) Jansen estimates of the total Sobol indices.

    S_Ti = sum_j (f(A_j) - f(C_ij))^2 / (2 N V), V = sum_j (f(A_j) - mean f(A))^2 / (N - 1):
    `a_scores` (B, N) are f(A_j), `c_scores` (B, d, N) are f(C_ij). E.g. f(A) = [1, 2, 3, 4],
    f(C_1) = [2, 2, 2, 2]: V = 5/3, S_T1 = 6 / (2 * 4 * 5/3) = 0.45.
    """
    count = tf.cast(tf.shape(a_scores)[1], tf.float32)
    centred = a_scores - tf.reduce_mean(a_scores, axis=1, keepdims=True)
    variance = tf.reduce_sum(tf.square(centred), axis=1) / tf.maximum(count - 1.0, 1.0)
    squares = tf.reduce_sum(tf.square(a_scores[:, None] - c_scores), axis=2)
    return squares / (2.0 * count * tf.maximum(variance, VARIANCE_FLOOR)[:, None])


@register
class Sobol(GridSensitivity):
    """Sobol attribution: the total-order Sobol index of each cell of a `grid_size` grid.

    Each cell i carries a mask value M_i in [0, 1]; the image is perturbed by inpainting,
    x * M (M upsampled, nearest); the index S_Ti is the share of the variance of the target
    probability f(x * M) that involves M_i, interactions included. The masks are a quasi-Monte
    Carlo pick-freeze design: N = `num_designs` points (A, B) of a 2 d-dimensional Sobol'
    sequence, d = grid_size**2, and the d replicas C_i (A with column i from B); the Jansen
    estimator (`jansen_total_indices`) reads f(A) and f(C_i), so an image costs N (d + 1)
    forward passes (xplique also scores B, N more, without using them). The cell indices
    are upsampled (bicubic) to the input size; they are non-negative (an importance, not a
    sign), and the map is their min-max scaling.

    Conventions against xplique's `SobolAttributionMethod` (same defaults: grid 8, 32 designs,
    inpainting, Jansen): the sequence is Owen-scrambled with `seed` (`scramble=False`: the
    plain sequence of `tf.math.sobol_sample`, xplique's masks); the score is the softmax
    probability of the target class (xplique scores what the model outputs: the same for a
    softmax classifier) or the callable target's score.

    Args:
        model: the classifier (fixed input size).
        grid_size: cells per side of the grid.
        num_designs: N, a power of two (the Sobol' sequence's balance).
        scramble: scramble the sequence (seeded); False: xplique's unscrambled sequence.
        seed: seed of the scrambling.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: num_designs not a power of two >= 2, grid_size < 1 or larger than the image.

    References: Fel et al., "Look at the Variance! Efficient Black-box Explanations with
    Sobol-based Sensitivity Analysis", NeurIPS 2021, Sec. 3: the total Sobol index
    S_Ti = E_{M~i}[Var_{M_i}(f | M~i)] / Var(f), its Jansen estimator and the QMC masks;
    Jansen, "Analysis of variance designs for model output", Comput. Phys. Commun. 1999.
    """

    name = "sobol"
    absolute = False

    def __init__(self, model, grid_size: int = 8, num_designs: int = 32, scramble: bool = True,
                 seed: int = 0, **kwargs):
        super().__init__(model, grid_size=grid_size, **kwargs)
        self.num_designs = check_designs(num_designs, power_of_two=True)
        points = sobol_points(self.num_designs, 2 * self.dimension, scramble, seed)
        self.design = replicated_design(points[:, :self.dimension],
                                        points[:, self.dimension:])

    def cell_indices_batch(self, scores):
        a_scores = scores[:, :self.num_designs]
        c_scores = tf.reshape(scores[:, self.num_designs:],
                              (-1, self.dimension, self.num_designs))
        return jansen_total_indices(a_scores, c_scores)
