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
    """The planes (image x channel) become the channels of one (1, H, W, P) tensor: the neighbour
    sum is then one depthwise convolution, about 10x cheaper on a CPU than a one-channel conv2d
    over P images."""
    b, h, w, c = tf.unstack(tf.shape(images))
    planes = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, h, w, b * c])
    mask = tf.cast(tf.transpose(tf.repeat(removed, c, axis=0), [1, 2, 0])[None], tf.float32)
    kernel = _kernel(b * c)
    degree = mask * _neighbours(tf.ones_like(planes), kernel)
    solution = _conjugate_gradients(mask, degree, mask * _neighbours((1 - mask) * planes, kernel),
                                    tolerance, h * w)
    draws = tf.random.stateless_normal([b * c, h, w, 1], seed)
    noisy = solution + noise * tf.transpose(draws, [3, 1, 2, 0])
    filled = planes * (1 - mask) + noisy * mask
    return tf.transpose(tf.reshape(filled[0], [h, w, b, c]), [2, 0, 1, 3])


def _kernel(planes):
    return tf.tile(_KERNEL, [1, 1, planes, 1])


def _neighbours(planes, kernel):
    return tf.nn.depthwise_conv2d(planes, kernel, [1, 1, 1, 1], "SAME")


def _dot(a, b):
    return tf.reduce_sum(a * b, axis=[0, 1, 2], keepdims=True)


def _conjugate_gradients(mask, degree, rhs, tolerance, max_iterations, round_length=16):
    """Solves A u = rhs per plane (channel), A u = degree * u - mask * neighbours(u) on the
    removed pixels. Every `round_length` iterations the planes whose squared residual fell below
    tolerance^2 * (the largest squared rhs) leave the batch, so the cost follows each plane's
    own iterations rather than the slowest plane's (the conjugate-gradient state of a plane does
    not depend on the others)."""
    start = _dot(rhs, rhs)
    limit = tolerance ** 2 * tf.reduce_max(start)
    planes = tf.shape(rhs)[3]

    def round_(i, index, solution, u, r, p, rs, mask, degree):
        j, u, r, p, rs = _iterations(mask, degree, u, r, p, rs, limit,
                                     tf.minimum(round_length, max_iterations - i))
        solution = tf.tensor_scatter_nd_update(solution, index[:, None],
                                               tf.transpose(u[0], [2, 0, 1]))
        keep = tf.where(rs[0, 0, 0] > limit)[:, 0]
        active = [tf.gather(t, keep, axis=3) for t in (u, r, p, rs, mask, degree)]
        return (i + j, tf.gather(index, keep), solution, *active)

    def running(i, index, *_):
        return tf.logical_and(i < max_iterations, tf.size(index) > 0)

    state = (0, tf.range(planes), tf.zeros(tf.shape(tf.transpose(rhs[0], [2, 0, 1]))),
             tf.zeros_like(rhs), rhs, rhs, start, mask, degree)
    solution = tf.while_loop(running, round_, state)[2]
    return tf.transpose(solution, [1, 2, 0])[None]


def _iterations(mask, degree, u, r, p, rs, limit, count):
    """At most `count` conjugate-gradient steps, fewer once every plane is below `limit`."""
    kernel = _kernel(tf.shape(u)[3])

    def body(i, u, r, p, rs):
        ap = degree * p - mask * _neighbours(p, kernel)
        alpha = tf.math.divide_no_nan(rs, _dot(p, ap))
        u, r = u + alpha * p, r - alpha * ap
        rs_new = _dot(r, r)
        return i + 1, u, r, r + tf.math.divide_no_nan(rs_new, rs) * p, rs_new

    def running(i, u, r, p, rs):
        return tf.logical_and(i < count, tf.reduce_max(rs) > limit)

    return tf.while_loop(running, body, (0, u, r, p, rs))
