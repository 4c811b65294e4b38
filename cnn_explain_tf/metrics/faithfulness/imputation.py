"""ROAD's noisy linear imputation: removed pixels solved from their neighbours, plus noise."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["NEIGHBOUR_WEIGHTS", "noisy_linear_imputation"]

NEIGHBOUR_WEIGHTS = np.array(
    [[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0.0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]], np.float32)
"""Rong et al.'s weights of the 8 neighbours: 1/6 for the 4 direct ones, 1/12 diagonally."""
_KERNEL = tf.constant(NEIGHBOUR_WEIGHTS[:, :, None, None])


def noisy_linear_imputation(images: np.ndarray, removed: np.ndarray, noise: float = 0.01,
                            seed: int = 0, tolerance: float = 1e-5) -> np.ndarray:
    """Fills the removed pixels of each image with the weighted mean of their neighbours.

    Each removed pixel x_i satisfies sum_j w_ij (x_i - x_j) = 0 over its neighbours j inside the
    image (`NEIGHBOUR_WEIGHTS`), the kept pixels being fixed: a sparse symmetric system per image
    and channel, solved by batched conjugate gradients in one compiled graph (until the residual
    falls by `tolerance`, at most H * W iterations). Gaussian noise of standard deviation `noise`
    is then added to the imputed pixels. A removed region without kept neighbours becomes 0.

    Args:
        images: (B, H, W, C) float32 images.
        removed: (B, H, W) bool, True where a pixel is removed.
        noise: standard deviation of the noise added to the imputed pixels.
        seed: seed of the noise.
        tolerance: relative residual at which the solver stops.

    Returns:
        (B, H, W, C) float32 images, kept pixels unchanged.

    References:
        Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods"
        (ROAD), ICML 2022, Sec. 4.2 (Eq. 6, noisy linear imputation).
    """
    return _impute(tf.convert_to_tensor(images, tf.float32), tf.convert_to_tensor(removed, tf.bool),
                   tf.constant(noise, tf.float32), tf.constant([seed, 0], tf.int32),
                   tf.constant(tolerance, tf.float32)).numpy()


@tf.function(input_signature=[tf.TensorSpec((None, None, None, None), tf.float32),
                              tf.TensorSpec((None, None, None), tf.bool),
                              tf.TensorSpec((), tf.float32), tf.TensorSpec((2,), tf.int32),
                              tf.TensorSpec((), tf.float32)])
def _impute(images, removed, noise, seed, tolerance):
    shape = tf.shape(images)
    planes = tf.reshape(tf.transpose(images, [0, 3, 1, 2]), [-1, shape[1], shape[2], 1])
    mask = tf.cast(tf.repeat(removed, shape[3], axis=0)[..., None], tf.float32)
    degree = _neighbours(tf.ones_like(planes))
    solution = _conjugate_gradients(mask, degree, mask * _neighbours((1 - mask) * planes),
                                    tolerance, shape[1] * shape[2])
    noisy = solution + noise * tf.random.stateless_normal(tf.shape(planes), seed)
    filled = planes * (1 - mask) + noisy * mask
    return tf.transpose(tf.reshape(filled, [shape[0], shape[3], shape[1], shape[2]]), [0, 2, 3, 1])


def _neighbours(planes):
    return tf.nn.conv2d(planes, _KERNEL, strides=1, padding="SAME")


def _conjugate_gradients(mask, degree, rhs, tolerance, max_iterations):
    """Solves A u = rhs per plane, A u = mask * (degree * u - neighbours(mask * u))."""
    def apply(u):
        return mask * (degree * u - _neighbours(mask * u))

    def dot(a, b):
        return tf.reduce_sum(a * b, axis=[1, 2, 3], keepdims=True)

    start = dot(rhs, rhs)
    limit = tolerance ** 2 * tf.reduce_max(start)

    def body(i, u, r, p, rs):
        ap = apply(p)
        alpha = tf.math.divide_no_nan(rs, dot(p, ap))
        u, r = u + alpha * p, r - alpha * ap
        rs_new = dot(r, r)
        return i + 1, u, r, r + tf.math.divide_no_nan(rs_new, rs) * p, rs_new

    def running(i, u, r, p, rs):
        return tf.logical_and(i < max_iterations, tf.reduce_max(rs) > limit)

    _, u, *_ = tf.while_loop(running, body, (0, tf.zeros_like(rhs), rhs, rhs, start))
    return u
