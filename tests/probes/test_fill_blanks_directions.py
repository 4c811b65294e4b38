"""Tests for Fill in the blanks' update directions: gradient, BFGS two-loop, line search."""

import numpy as np
import tensorflow as tf

from cnn_explain_tf.probes.fill_blanks import directions


def quadratic(curvatures):
    """L(x) = sum(c * (x - 1)^2) / 2 per sample (targets ignored), minimum 0 at x = 1."""
    c = tf.constant(curvatures, tf.float32)

    def loss(images, targets):
        return tf.reduce_sum(c * tf.square(images - 1.0), axis=-1) / 2

    return loss


def test_quasi_newton_direction_matches_dense_bfgs():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(3):
        s = rng.normal(size=(2, 5)).astype(np.float32)
        pairs.append((s, s * rng.uniform(0.5, 2.0, (2, 5)).astype(np.float32)))  # s.y > 0
    gradient, scale = rng.normal(size=(2, 5)).astype(np.float32), np.array([[0.7], [1.3]])
    ours = directions.quasi_newton_direction(
        tf.constant(gradient), [(tf.constant(s), tf.constant(y)) for s, y in pairs],
        tf.constant(scale, tf.float32)).numpy()
    for sample in range(2):
        inverse_hessian = scale[sample, 0] * np.eye(5)
        for s, y in ((s[sample], y[sample]) for s, y in pairs):
            rho = 1 / (y @ s)
            left = np.eye(5) - rho * np.outer(s, y)
            inverse_hessian = left @ inverse_hessian @ left.T + rho * np.outer(s, s)
        np.testing.assert_allclose(ours[sample], inverse_hessian @ gradient[sample], rtol=1e-4)


def test_two_loop_direction_by_hand():
    """g = (1, 2); sample 0: s = (1, 0), y = (2, 0), H0 = I. rho = 1/2, alpha = rho s.g = 1/2,
    q = g - alpha y = (0, 2), r = H0 q = (0, 2), beta = rho y.r = 0, r += s (alpha - beta) =
    (1/2, 2): the curvature 2 along x is inverted. Sample 1: y = (-1, 0) has s.y < 0, so the
    pair is skipped and H g = H0 g = 2 g = (2, 4)."""
    g = tf.constant([[1.0, 2.0], [1.0, 2.0]])
    s = tf.constant([[1.0, 0.0], [1.0, 0.0]])
    y = tf.constant([[2.0, 0.0], [-1.0, 0.0]])
    scale = tf.constant([[1.0], [2.0]])
    ours = directions.quasi_newton_direction(g, [(s, y)], scale).numpy()
    np.testing.assert_allclose(ours, [[0.5, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(directions.quasi_newton_direction(g, [], scale).numpy(),
                               [[1.0, 2.0], [2.0, 4.0]])


def test_value_and_gradient_by_hand():
    loss = quadratic([1.0, 4.0])
    x = tf.constant([[0.0, 0.0], [3.0, 1.0]])
    values, gradients = directions.value_and_gradient(loss, x, tf.zeros(2, tf.int32))
    np.testing.assert_allclose(values.numpy(), [2.5, 2.0])  # (1 + 4) / 2 and 4 / 2
    np.testing.assert_allclose(gradients.numpy(), [[-1.0, -4.0], [2.0, 0.0]])  # c (x - 1)
    aux = directions.value_and_gradient(lambda i, t: (loss(i, t), i * 2), x, None, has_aux=True)
    np.testing.assert_allclose(aux[2].numpy(), 2 * x.numpy())


def test_gradient_direction_is_the_negative_gradient():
    g = tf.constant([[1.0, -2.0]])
    np.testing.assert_array_equal(
        directions.gradient_direction(None, None, None, None, None, g).numpy(), [[-1.0, 2.0]])


def test_line_search_takes_the_best_length_or_stays_put():
    """L = (x - 1)^2 / 2 from x = 0 (L = 1/2): along +1 the length 1 reaches the minimum; along
    -1 every length raises the loss, so that sample stays put with its loss."""
    loss = quadratic([1.0])
    position = tf.zeros((2, 1))
    step = tf.constant([[1.0], [-1.0]])
    moved, value = directions.line_search(loss, position, step, tf.constant([0.5, 0.5]),
                                          tf.zeros(2, tf.int32))
    np.testing.assert_allclose(moved.numpy(), [[1.0], [0.0]])
    np.testing.assert_allclose(value.numpy(), [0.0, 0.5])


def test_bfgs_lowers_the_loss_and_moves_only_the_free_region():
    loss = quadratic([1.0, 4.0])
    x = tf.constant([[0.0, 0.0]])
    targets = tf.zeros(1, tf.int32)
    value, gradients = directions.value_and_gradient(loss, x, targets)
    regions = tf.constant([[1.0, 0.0]])
    dx = directions.bfgs_direction(loss, x, targets, regions, value, gradients, steps=3).numpy()
    assert dx[0, 1] == 0.0  # the fixed pixel never moves
    assert loss(x + dx, targets).numpy()[0] < value.numpy()[0]
    np.testing.assert_allclose(dx[0, 0], 1.0, atol=1e-6)  # a 1-D quadratic: exact minimum
