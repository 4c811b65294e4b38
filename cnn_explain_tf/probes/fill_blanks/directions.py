"""Fill in the blanks' update directions dx as pure functions of a loss callable: gradient, BFGS."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf

__all__ = ["LINE_SEARCH_STEPS", "Direction", "Loss", "bfgs_direction", "gradient_direction",
           "line_search", "quasi_newton_direction", "value_and_gradient"]

Loss = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""(images (n, ...), targets (n,)) -> (n,) per-image losses; graph-compatible."""
Direction = Callable[[Loss, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor]
"""(loss, images, targets, regions, losses at images, gradients at images) -> dx like images."""
LINE_SEARCH_STEPS = (1.0, 0.5, 0.25, 0.125)
"""Step lengths tried at once (one batched loss evaluation) by each BFGS line search."""


def value_and_gradient(loss: Callable, images: tf.Tensor, targets: tf.Tensor,
                       has_aux: bool = False):
    """(losses, d sum(losses) / d images) of `loss` at `images`, one forward and backward pass.

    With `has_aux`, `loss` returns (losses, aux) and the result is (losses, gradients, aux): aux
    (e.g. the logits) comes from the same forward pass.
    """
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(images)
        output = loss(images, targets)
        values = output[0] if has_aux else output
    gradients = tape.gradient(values, images)
    return (values, gradients, output[1]) if has_aux else (values, gradients)


def gradient_direction(loss: Loss, images: tf.Tensor, targets: tf.Tensor, regions: tf.Tensor,
                       value: tf.Tensor, gradients: tf.Tensor) -> tf.Tensor:
    """dx = -grad_x L (first order, gamma = 1; T normalises the scale away).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Eq. 2.
    """
    return -gradients


def bfgs_direction(loss: Loss, images: tf.Tensor, targets: tf.Tensor, regions: tf.Tensor,
                   value: tf.Tensor, gradients: tf.Tensor, steps: int = 3) -> tf.Tensor:
    """dx = the displacement after `steps` BFGS steps from `images`, moving only the `regions`.

    Each step solves B_t p_t = -grad L for the BFGS Hessian estimate B_t (the two-loop recursion
    on the inverse), then takes the best `LINE_SEARCH_STEPS` length along p_t. The first step
    moves a pixel by at most 1 (H0 = I / max |g|); later ones scale H0 by s^T y / y^T y.

    Args:
        loss: the per-image loss L.
        images: (n, ...) the starting points x_0.
        targets: (n,) the classes L is computed for.
        regions: 1 where pixels may move (the blanks), 0 where they are fixed; broadcasts.
        value: (n,) L at `images`.
        gradients: (n, ...) grad L at `images`.
        steps: BFGS iterations.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.5 and
        Fig. 5 (second-order update); Nocedal & Wright, "Numerical Optimization", 2nd ed.,
        Algorithm 6.1 and Eq. 6.20 (the H0 scaling).
    """
    gradients = gradients * regions
    largest = tf.reduce_max(tf.abs(gradients), axis=_sample_axes(gradients), keepdims=True)
    scale = tf.math.divide_no_nan(1.0, largest)  # first step moves a pixel by at most 1
    position, pairs = images, []
    for _ in range(steps):
        step = -quasi_newton_direction(gradients, pairs, scale)
        moved, value = line_search(loss, position, step, value, targets)
        new_gradients = value_and_gradient(loss, moved, targets)[1] * regions
        pairs.append((moved - position, new_gradients - gradients))
        scale = _initial_scale(*pairs[-1], scale)
        position, gradients = moved, new_gradients
    return position - images


def _initial_scale(s: tf.Tensor, y: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """s^T y / y^T y per sample where the curvature s^T y is positive, else the old `scale`."""
    axes = _sample_axes(s)
    curvature = tf.reduce_sum(s * y, axes, keepdims=True)
    norm = tf.reduce_sum(tf.square(y), axes, keepdims=True)
    return tf.where(curvature > 1e-12, tf.math.divide_no_nan(curvature, norm), scale)


def line_search(loss: Loss, position: tf.Tensor, step: tf.Tensor, value: tf.Tensor,
                targets: tf.Tensor, lengths: Sequence[float] = LINE_SEARCH_STEPS):
    """(position + best length * step, its loss): every length tried in one batched loss call.

    A sample where no length lowers the loss below `value` stays put (length 0) and keeps
    `value`.

    Args:
        loss: the per-image loss.
        position: (n, ...) current points.
        step: (n, ...) search directions.
        value: (n,) the loss at `position`.
        targets: (n,) the classes of the loss.
        lengths: the step lengths tried.
    """
    count, rank = len(lengths), len(position.shape)
    trials = position[None] + tf.reshape(tf.constant(lengths), (count,) + (1,) * rank) * step[None]
    losses = tf.reshape(loss(tf.reshape(trials, (-1, *position.shape[1:])),
                             tf.tile(targets, [count])), (count, -1))
    best = tf.argmin(losses, axis=0)
    better = tf.reduce_min(losses, axis=0) < value
    length = tf.where(better, tf.gather(tf.constant(lengths), best), 0.0)
    moved = position + tf.reshape(length, (-1,) + (1,) * (rank - 1)) * step
    return moved, tf.minimum(value, tf.reduce_min(losses, axis=0))


def quasi_newton_direction(gradients: tf.Tensor, pairs: Sequence[tuple[tf.Tensor, tf.Tensor]],
                           scale: tf.Tensor) -> tf.Tensor:
    """H g for the BFGS inverse-Hessian estimate H built from (s, y) pairs, batched per sample.

    The two-loop recursion with the whole history equals the dense BFGS update
    H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, rho = 1 / (y^T s), applied to
    H0 = scale * I in order; a pair without positive curvature (s^T y <= 0) is skipped.

    Args:
        gradients: (n, ...) g.
        pairs: (s, y) steps and gradient changes, oldest first, each (n, ...).
        scale: (n, 1, ..., 1) initial inverse-Hessian scale per sample.

    References: Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4 and Eq. 6.17.
    """
    def dot(a, b):
        return tf.reduce_sum(a * b, axis=_sample_axes(a), keepdims=True)

    rhos = [tf.math.divide_no_nan(1.0, tf.where(dot(y, s) > 1e-12, dot(y, s), 0.0))
            for s, y in pairs]
    q, alphas = gradients, []
    for (s, y), rho in zip(reversed(pairs), reversed(rhos)):
        alphas.append(rho * dot(s, q))
        q = q - alphas[-1] * y
    r = scale * q
    for (s, y), rho, alpha in zip(pairs, rhos, reversed(alphas)):
        r = r + s * (alpha - rho * dot(y, r))
    return r


def _sample_axes(tensor: tf.Tensor) -> list[int]:
    """Every axis but the batch axis."""
    return list(range(1, len(tensor.shape)))
