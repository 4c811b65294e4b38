"""HSIC attribution: the dependence (HSIC) between each grid cell's binary mask and the score."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import register
from cnn_explain_tf.explain.sensitivity import GridSensitivity, check_designs, sobol_points

__all__ = ["HSIC", "hsic_indices", "median"]

BANDWIDTH_FLOOR = 1e-30  # a constant score: kernel exp(-0 / floor) = 1, HSIC 0, never NaN


def median(values: tf.Tensor) -> tf.Tensor:
    """(B,) median of (B, n) values along the last axis (the mean of the two middle values for
    an even n, as numpy and tfp.stats.percentile(50, "linear"))."""
    ordered = tf.sort(values, axis=-1)
    count = tf.shape(values)[-1]
    return 0.5 * (tf.gather(ordered, (count - 1) // 2, axis=-1)
                  + tf.gather(ordered, count // 2, axis=-1))


def hsic_indices(masks: tf.Tensor, scores: tf.Tensor) -> tf.Tensor:
    """(B, d) empirical HSIC of each binary variable and the scores.

    HSIC_i = tr(K_i H L H) / (n - 1)^2 with H = I - 11^T / n, the Dirac kernel
    K_i(j, k) = [m_ij = m_ik] on the (n, d) 0/1 `masks`, and the RBF kernel
    L(j, k) = exp(-(y_j - y_k)^2 / (2 w^2)) on each image's (n,) `scores` y, w = median(y)
    (xplique's bandwidth). With s = 2 m - 1, K_i = (11^T + s_i s_i^T) / 2 and H1 = 0, so
    HSIC_i = s_i^T (H L H) s_i / (2 (n - 1)^2): O(d n^2) per image.
    E.g. m = y = [0, 0, 1, 1]: w = 1/2, HSIC = 4 (1 - e^-2) / 9.
    """
    count = tf.cast(tf.shape(scores)[1], tf.float32)
    width = tf.maximum(tf.square(median(scores)), BANDWIDTH_FLOOR)[:, None, None]
    kernel = tf.exp(-tf.square(scores[:, :, None] - scores[:, None, :]) / (2.0 * width))
    centred = (kernel - tf.reduce_mean(kernel, axis=1, keepdims=True)
               - tf.reduce_mean(kernel, axis=2, keepdims=True)
               + tf.reduce_mean(kernel, axis=(1, 2), keepdims=True))
    signs = 2.0 * tf.cast(masks, tf.float32) - 1.0
    quadratic = tf.reduce_sum(tf.einsum("bjk,kd->bjd", centred, signs) * signs, axis=1)
    return quadratic / (2.0 * tf.square(count - 1.0))


@register
class HSIC(GridSensitivity):
    """HSIC attribution: how strongly the target probability depends on each grid cell.

    `num_designs` binary masks over a `grid_size` grid (a Sobol' sequence rounded to {0, 1},
    each cell kept with probability 1/2) perturb the image by inpainting, x * M (M upsampled,
    nearest); each cell gets the HSIC between its mask bit and the target probability over
    the masks (`hsic_indices`), one forward pass per mask. The cell indices are upsampled
    (bicubic) to the input size; they are non-negative (a dependence, not a sign), and the map
    is their min-max scaling.

    Conventions against xplique's `HsicAttributionMethod` (same defaults: grid 8, 500 designs,
    inpainting, binary input kernel, RBF output kernel of width median(y)): the estimator is
    scaled by 1 / (n - 1)^2 (Gretton et al.'s empirical HSIC) where xplique divides by n, so
    xplique's values are these times (n - 1)^2 / n (the map is the same); xplique's binary
    kernel 1.5 - (m - m')^2 is the Dirac kernel plus a constant, which centring removes (for
    binary masks any input kernel is a + b [m = m'], so the kernel only scales the index).
    The sequence is Owen-scrambled with `seed` (`scramble=False`: xplique's unscrambled
    sequence); the score is the softmax probability of the target class (xplique scores what
    the model outputs: the same for a softmax classifier) or the callable target's score.

    Args:
        model: the classifier (fixed input size).
        grid_size: cells per side of the grid.
        num_designs: n, the number of masks.
        scramble: scramble the sequence (seeded); False: xplique's unscrambled sequence.
        seed: seed of the scrambling.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: num_designs < 2, grid_size < 1 or larger than the image.

    References: Novello, Fel & Vigouroux, "Making Sense of Dependence: Efficient Black-box
    Explanations Using Dependence Measure", NeurIPS 2022, Sec. 3 (HSIC between each patch's
    binary mask and the output, its estimator tr(KHLH) and the Dirac / RBF kernels);
    Gretton et al., "Measuring Statistical Dependence with Hilbert-Schmidt Norms", ALT 2005
    (the empirical HSIC (n - 1)^-2 tr(KHLH)).
    """

    name = "hsic"
    absolute = False

    def __init__(self, model, grid_size: int = 8, num_designs: int = 500, scramble: bool = True,
                 seed: int = 0, **kwargs):
        super().__init__(model, grid_size=grid_size, **kwargs)
        self.num_designs = check_designs(num_designs)
        self.design = np.round(sobol_points(self.num_designs, self.dimension, scramble, seed))

    def cell_indices_batch(self, scores):
        return hsic_indices(tf.constant(self.design), scores)
