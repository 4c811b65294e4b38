"""Sobol and HSIC attributions: the estimators against hand-computed values and known indices,
the designs against tf.math.sobol_sample (xplique's sampler), then the explainers on small models.

The xplique comparison at the end runs where xplique is importable (see test_parity.py).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images

from cnn_explain_tf.explain.hsic import HSIC, hsic_indices, median
from cnn_explain_tf.explain.sensitivity import sobol_points
from cnn_explain_tf.explain.sobol import Sobol, jansen_total_indices, replicated_design
from cnn_explain_tf.explain.targets import RegressionOutput
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def model():
    return classifier(head="softmax")


def numpy_jansen(a, c):
    """Jansen's total indices in plain numpy: a (N,), c (d, N)."""
    return ((a[None] - c) ** 2).sum(axis=1) / (2 * len(a) * a.var(ddof=1))


def design_scores(function, dimension, count, seed=0):
    """(f(A), f(C_i)) of `function` on the scrambled pick-freeze design of `dimension` inputs."""
    points = sobol_points(count, 2 * dimension, seed=seed)
    rows = replicated_design(points[:, :dimension], points[:, dimension:])
    scores = function(rows)
    return scores[:count], scores[count:].reshape(dimension, count)


def test_replicated_design_and_jansen_estimator_by_hand():
    np.testing.assert_array_equal(replicated_design(np.zeros((1, 2)), np.array([[1.0, 2.0]])),
                                  [[0, 0], [1, 0], [0, 2]])
    # V = var([1, 2, 3, 4], ddof=1) = 5/3; sum (a - c)^2 = 1 + 0 + 1 + 4 = 6; 6 / (2 * 4 * V)
    a, c = np.array([[1.0, 2, 3, 4]], np.float32), np.array([[[2.0, 2, 2, 2]]], np.float32)
    np.testing.assert_allclose(jansen_total_indices(a, c), [[0.45]], rtol=1e-6)
    rng = np.random.default_rng(0)
    a, c = rng.random((2, 16)).astype(np.float32), rng.random((2, 5, 16)).astype(np.float32)
    np.testing.assert_allclose(jansen_total_indices(a, c),
                               [numpy_jansen(a[i], c[i]) for i in range(2)], rtol=1e-5)
    constant = jansen_total_indices(np.ones((1, 8), np.float32), np.ones((1, 3, 8), np.float32))
    np.testing.assert_array_equal(constant, np.zeros((1, 3)))  # zero variance: zeros, no NaN


def test_total_indices_of_known_functions():
    """Additive f = sum c_i M_i (M_i ~ U[0, 1]): S_Ti = c_i^2 / sum c^2. Product f = M_1 M_2:
    Var f = 1/9 - 1/16 = 7/144, S_T1 = E[M_2^2] Var(M_1) / Var f = (1/36) / (7/144) = 4/7 for
    both inputs (the totals sum to 8/7 > 1: the interaction is counted in each)."""
    weights = np.array([1.0, 2.0, 0.0, 3.0])
    a, c = design_scores(lambda rows: rows @ weights, 4, 1024)
    np.testing.assert_allclose(numpy_jansen(a, c), weights ** 2 / 14, atol=0.01)
    a, c = design_scores(lambda rows: rows[:, 0] * rows[:, 1], 2, 1024)
    np.testing.assert_allclose(numpy_jansen(a, c), [4 / 7, 4 / 7], atol=0.01)


def numpy_hsic(x, y, width):
    """Gretton's empirical HSIC with explicit n x n matrices: Dirac kernel on binary x (n,), RBF
    kernel of `width` on y (n,): tr(K H L H) / (n - 1)^2."""
    n = len(x)
    k = (x[:, None] == x[None]).astype(float)
    l_ = np.exp(-((y[:, None] - y[None]) ** 2) / (2 * width ** 2))
    h = np.eye(n) - 1.0 / n
    return np.trace(k @ h @ l_ @ h) / (n - 1) ** 2


def xplique_hsic(x, y):
    """xplique 2.0.2's BinaryEstimator in numpy: K = 1 + (0.5 - (x - x')^2), L = RBF of width
    median(y), tr(HKH HLH) / n."""
    n = len(x)
    k = 1 + 0.5 - (x[:, None] - x[None]) ** 2
    l_ = np.exp(-((y[:, None] - y[None]) ** 2) / (2 * np.median(y) ** 2))
    h = np.eye(n) - 1.0 / n
    return np.sum((h @ k @ h) * (h @ l_ @ h).T) / n


def test_hsic_by_hand_and_against_the_explicit_matrices():
    # m = y = [0, 0, 1, 1]: w = median = 1/2, L = 1 within a group and e^-2 across;
    # HKH = s s^T / 2, HLH = (1 - e^-2) s s^T / 2 with s = [-1, -1, 1, 1]: tr = 4 (1 - e^-2).
    value = hsic_indices(tf.constant([[0.0], [0], [1], [1]]), tf.constant([[0.0, 0, 1, 1]]))
    np.testing.assert_allclose(value, [[4 * (1 - np.exp(-2)) / 9]], rtol=1e-6)
    rng = np.random.default_rng(1)
    masks = rng.integers(0, 2, (40, 3)).astype(np.float32)
    scores = rng.random((2, 40)).astype(np.float32) + 0.5
    ours = hsic_indices(tf.constant(masks), tf.constant(scores)).numpy()
    for b in range(2):
        width = np.median(scores[b])
        expected = [numpy_hsic(masks[:, i], scores[b].astype(float), width) for i in range(3)]
        np.testing.assert_allclose(ours[b], expected, rtol=1e-4)
        # The convention difference, asserted: xplique's value is ours x (n - 1)^2 / n.
        theirs = [xplique_hsic(masks[:, i], scores[b].astype(float)) for i in range(3)]
        np.testing.assert_allclose(ours[b] * 39 ** 2 / 40, theirs, rtol=1e-4)
    np.testing.assert_allclose(median(tf.constant(scores)), np.median(scores, axis=1))


def test_hsic_separates_dependent_from_independent_cells():
    masks = np.round(sobol_points(256, 4))
    scores = masks[:, 0] + 0.5 * masks[:, 1] + 1.0
    values = hsic_indices(tf.constant(masks), tf.constant(scores[None]))[0].numpy()
    assert values[0] > values[1] > 0.0
    assert values[2] < 0.02 * values[0] and values[3] < 0.02 * values[0]
    constant = hsic_indices(tf.constant(masks), tf.zeros((1, 256)))
    np.testing.assert_array_equal(constant, np.zeros((1, 4)))  # no NaN for a flat score


def test_unscrambled_designs_are_xpliques_and_seeds_change_the_scrambled_ones(model):
    sobol = Sobol(model, grid_size=2, num_designs=8, scramble=False)
    points = tf.math.sobol_sample(8, 8).numpy()
    np.testing.assert_array_equal(sobol.design, replicated_design(points[:, :4], points[:, 4:]))
    hsic = HSIC(model, grid_size=2, num_designs=12, scramble=False)
    np.testing.assert_array_equal(hsic.design, tf.round(tf.math.sobol_sample(4, 12)))
    assert set(np.unique(HSIC(model, grid_size=2, num_designs=12).design)) == {0.0, 1.0}
    np.testing.assert_array_equal(Sobol(model, seed=3).design, Sobol(model, seed=3).design)
    assert not np.array_equal(Sobol(model, seed=3).design, Sobol(model, seed=4).design)


def test_sobol_finds_the_known_indices_through_a_linear_model():
    """A Dense layer reading an 8x8 image; on ones, f(x * M) = sum_cells 16 w_cell M_cell on a
    2x2 grid: the cell indices are the Jansen estimates of the scores of the design (computed
    here by hand) and close to (16 w)^2 / sum (16 w)^2."""
    inputs = keras.Input((8, 8, 1))
    dense = keras.layers.Dense(1, use_bias=False)
    linear = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    cell_weights = np.array([[1.0, 0.0], [2.0, 3.0]], np.float32)
    dense.set_weights([np.kron(cell_weights, np.ones((4, 4), np.float32)).reshape(64, 1)])
    sobol = Sobol(linear, grid_size=2, num_designs=256, batch_size=64)
    indices = sobol.cell_indices(np.ones((1, 8, 8, 1), np.float32), RegressionOutput(0))[0]
    scores = sobol.design @ (16 * cell_weights.ravel())
    expected = numpy_jansen(scores[:256], scores[256:].reshape(4, 256))
    np.testing.assert_allclose(indices.ravel(), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(indices.ravel(), cell_weights.ravel() ** 2 / 14, atol=0.02)


@pytest.mark.parametrize("method, options", [(Sobol, {"num_designs": 8}),
                                             (HSIC, {"num_designs": 48})])
def test_maps_shape_range_determinism_and_batch_size_independence(model, method, options):
    x = images(3)
    explainer = method(model, grid_size=4, **options)
    maps, attributions = explainer(x), explainer.attributions(x)
    assert maps.shape == attributions.shape == (3, 16, 16) and np.isfinite(maps).all()
    assert maps.min() == 0.0 and np.allclose(maps.max(axis=(1, 2)), 1.0)
    cells = explainer.cell_indices(x)
    assert cells.shape == (3, 4, 4) and cells.min() >= 0.0  # an importance: never negative
    resized = tf.image.resize(cells[..., None], (16, 16), method="bicubic")[..., 0]
    np.testing.assert_allclose(attributions, resized, rtol=1e-5, atol=1e-7)
    masks = explainer.masks(tf.range(3)).numpy()  # nearest upsampling: 4x4 blocks of a cell
    np.testing.assert_array_equal(masks, np.kron(explainer.design[:3].reshape(3, 4, 4),
                                                 np.ones((1, 4, 4))))
    np.testing.assert_array_equal(method(model, grid_size=4, **options)(x), maps)
    small_batches = method(model, grid_size=4, batch_size=5, **options)
    np.testing.assert_allclose(small_batches(x), maps, atol=1e-5)


def test_bad_options_are_refused(model):
    with pytest.raises(InputError, match="num_designs: expected a power of two >= 2, got 12"):
        Sobol(model, num_designs=12)
    with pytest.raises(InputError, match="num_designs: expected an int >= 2, got 1"):
        HSIC(model, num_designs=1)
    with pytest.raises(InputError, match="grid_size: expected at most the image side 16"):
        HSIC(model, grid_size=17)


def test_unscrambled_values_match_xplique(model):
    """Same model, images, targets and (unscrambled) designs as xplique 2.0.2: Sobol's signed
    values are equal; HSIC's are equal up to the documented factor (n - 1)^2 / n."""
    xplique = pytest.importorskip("xplique.attributions")
    x = images(3)
    t = np.argmax(np.array(model(x)), axis=1)
    one_hot = np.eye(4, dtype=np.float32)[t]
    ours = Sobol(model, grid_size=4, num_designs=16, scramble=False).attributions(x, t)
    theirs = xplique.SobolAttributionMethod(model, grid_size=4, nb_design=16).explain(x, one_hot)
    np.testing.assert_allclose(ours, np.asarray(theirs)[..., 0], atol=1e-6)
    ours = HSIC(model, grid_size=4, num_designs=64, scramble=False).attributions(x, t)
    theirs = xplique.HsicAttributionMethod(model, grid_size=4, nb_design=64).explain(x, one_hot)
    theirs = np.asarray(theirs)[..., 0]  # float32 centring in xplique: compared at 1e-4 of max
    np.testing.assert_allclose(ours * 63 ** 2 / 64, theirs, atol=1e-4 * np.abs(theirs).max())
