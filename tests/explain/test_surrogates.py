"""LIME and KernelSHAP: kernels, fits and coalitions against hand-computed values, exact Shapley
values and scikit-learn; superpixels; seeds and batch sizes."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, dense_linear_model, images, same_resolution_classifier
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import pairwise_distances

from cnn_explain_tf.explain.superpixels import (
    Superpixels,
    grid_segments,
    segment_means,
    slic_segments,
)
from cnn_explain_tf.explain.surrogate_fits import (
    efficient_least_squares,
    lime_kernel,
    shapley_coalitions,
    shapley_kernel,
    weighted_ridge,
)
from cnn_explain_tf.explain.surrogates import LIME, KernelSHAP
from cnn_explain_tf.validation import InputError

CORNERS = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]])


def shapley_values(value, num_features):
    """Eq. 8 of Lundberg & Lee: phi_i = sum_S |S|! (d - |S| - 1)! / d! (v(S + i) - v(S))."""
    phi = np.zeros(num_features)
    for i in range(num_features):
        others = [j for j in range(num_features) if j != i]
        for size in range(num_features):
            share = math.factorial(size) * math.factorial(num_features - size - 1)
            for subset in itertools.combinations(others, size):
                phi[i] += share / math.factorial(num_features) * (
                    value(set(subset) | {i}) - value(set(subset)))
    return phi


def solve_game(value, num_features, num_samples=64):
    """KernelSHAP's coalitions and fit on a game `value` (set of players -> number)."""
    coalitions, weights = shapley_coalitions(num_samples, num_features,
                                             np.random.default_rng(0))
    scores = [value({j for j in range(num_features) if row[j]}) for row in coalitions]
    phi = efficient_least_squares(
        coalitions[None].astype(np.float32), weights[None].astype(np.float32),
        np.array([scores], np.float32), np.array([value(set(range(num_features)))], np.float32),
        np.array([value(set())], np.float32), np.ones((1, num_features), np.float32))
    return coalitions, weights, np.array(scores), phi.numpy()[0]


def test_lime_kernel_matches_hand_computed_values_and_the_lime_package_formula():
    cosine = lime_kernel(CORNERS)
    distances = np.array([0.0, 0.5, 1 - np.sqrt(0.5), 1.0])  # 1 - sqrt(|z| / d)
    np.testing.assert_allclose(cosine, np.exp(-distances ** 2 / (2 * 0.25 ** 2)), rtol=1e-6)
    assert np.isclose(cosine[1], np.exp(-2.0))
    # the lime package: sqrt(exp(-d^2 / w^2)) on sklearn's cosine distance to the all-ones row
    theirs = pairwise_distances(CORNERS, np.ones((1, 4)), metric="cosine").ravel()
    np.testing.assert_allclose(cosine, np.sqrt(np.exp(-theirs ** 2 / 0.25 ** 2)), rtol=1e-6)
    euclidean = lime_kernel(CORNERS, kernel_width=0.5, distance="euclidean")
    np.testing.assert_allclose(euclidean, np.exp(-np.array([0, 3, 2, 4]) / 4 / 0.5), rtol=1e-6)


def test_shapley_kernel_matches_theorem_2_by_hand():
    weights = shapley_kernel(CORNERS)  # d = 4: |z| = 4, 1, 2, 0
    assert np.isinf(weights[0]) and np.isinf(weights[3])
    np.testing.assert_allclose(weights[1:3], [3 / (4 * 1 * 3), 3 / (6 * 2 * 2)])


def test_shapley_coalitions_enumerate_when_they_fit_and_else_follow_the_kernel():
    rows, weights = shapley_coalitions(8, 3, np.random.default_rng(0))
    assert {tuple(r) for r in rows[:6]} == set(itertools.product((0, 1), repeat=3)) - {
        (0, 0, 0), (1, 1, 1)}
    np.testing.assert_allclose(weights, [1 / 3] * 6 + [0, 0])  # (d-1)/(C(3,k) k (3-k)) = 1/3
    rows, weights = shapley_coalitions(20000, 16, np.random.default_rng(0))  # 2^16 - 2 > 20000
    sizes = np.arange(1, 16)
    expected = 1 / (sizes * (16 - sizes))
    found = np.bincount(rows.sum(axis=1), minlength=17)[1:16] / 20000
    np.testing.assert_allclose(found, expected / expected.sum(), atol=0.01)
    assert (weights == 1).all()


def test_kernel_shap_fit_gives_the_hand_computed_shapley_values_of_a_game():
    def game(players):  # players 0 and 1 together earn 1, player 2 earns 2 alone
        return float({0, 1} <= players) + 2.0 * (2 in players)

    np.testing.assert_allclose(solve_game(game, 3)[3], [0.5, 0.5, 2.0], atol=1e-6)
    table = np.random.default_rng(3).normal(size=16)

    def random_game(players):
        return table[sum(1 << j for j in players)]

    np.testing.assert_allclose(solve_game(random_game, 4)[3], shapley_values(random_game, 4),
                               atol=1e-5)


def test_xplique_unconstrained_fit_is_not_efficient_where_ours_is():
    """xplique's KernelShap: LinearRegression with an intercept on the same weighted
    coalitions, without the empty / full coalition constraints: its values need not sum to
    v(full) - v(empty), nor equal the Shapley values."""
    table = np.random.default_rng(3).normal(size=16)

    def game(players):
        return table[sum(1 << j for j in players)]

    coalitions, weights, scores, ours = solve_game(game, 4)
    used = weights > 0
    theirs = LinearRegression().fit(coalitions[used], scores[used],
                                    sample_weight=weights[used]).coef_
    assert np.isclose(ours.sum(), game({0, 1, 2, 3}) - game(set()), atol=1e-5)
    assert abs(theirs.sum() - ours.sum()) > 1e-2
    assert np.abs(theirs - shapley_values(game, 4)).max() > 1e-2


def test_weighted_ridge_equals_scikit_learn_and_zeroes_padding():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 2, (40, 5)).astype(np.float32)
    y, w = rng.normal(size=40).astype(np.float32), rng.random(40).astype(np.float32)
    padded = np.concatenate([z, np.zeros((40, 2), np.float32)], axis=1)
    mask = np.array([[1, 1, 1, 1, 1, 0, 0]], np.float32)
    for alpha in (1.0, 0.0):
        ours = weighted_ridge(padded[None], w[None], y[None], alpha, mask).numpy()[0]
        sklearn = Ridge(alpha=alpha).fit(z, y, sample_weight=w).coef_
        np.testing.assert_allclose(ours, [*sklearn, 0, 0], atol=1e-5)


def grid_explainer(cls, model, num_segments, **options):
    return cls(model, segmentation="grid", num_segments=num_segments, **options)


def masked_scores(model, image, segments, target, fill=0.0):
    """v(S) of every coalition S of `segments`, by running the model on each masked image."""
    bits = list(itertools.product((0, 1), repeat=segments.max() + 1))
    keep = np.array(bits, np.float32)[:, segments][..., None]
    scores = np.array(model(image * keep + fill * (1 - keep)))[:, target]
    values = {frozenset(np.flatnonzero(row)): float(score) for row, score in zip(bits, scores)}
    return lambda players: values[frozenset(players)]


def test_kernel_shap_gives_the_exact_shapley_values_of_a_cnn():
    model = same_resolution_classifier(size=12)
    x = images(2, size=12, seed=4)
    explainer = grid_explainer(KernelSHAP, model, 4, num_samples=16)  # 14 coalitions: all
    attributions = explainer.attributions(x, targets=[0, 2])
    segments = grid_segments((12, 12), 4)
    for image, target, found in zip(x, [0, 2], attributions):
        exact = shapley_values(masked_scores(model, image, segments, target), 4)
        np.testing.assert_allclose(found, exact[segments], atol=1e-5)


def linear_case(seed=0):
    """A linear model, two (4, 4, 2) images, targets, and the contribution of every pixel to
    the target logit (w . x summed over channels): the linear coefficients of its coalitions."""
    weights = np.random.default_rng(seed).normal(size=(4, 4, 2, 3))
    x = images(2, size=4, channels=2, seed=seed)
    targets = np.array([1, 2])
    contributions = np.einsum("bhwc,hwcb->bhw", x, weights[..., targets])
    return dense_linear_model(weights), x, targets, contributions


@pytest.mark.parametrize("cls, options", [(KernelSHAP, {}), (LIME, {"alpha": 0.0})])
def test_sampled_coalitions_recover_the_coefficients_of_a_linear_model(cls, options):
    model, x, targets, contributions = linear_case()
    explainer = grid_explainer(cls, model, 16, num_samples=200, **options)  # 2^16 > 200
    np.testing.assert_allclose(explainer.attributions(x, targets), contributions, atol=1e-4)


def test_lime_equals_scikit_learn_ridge_on_its_own_coalitions():
    model, x, targets, contributions = linear_case(seed=1)
    explainer = grid_explainer(LIME, model, 16, num_samples=100)
    z, w = explainer.coalitions(16)
    for image, found in zip(contributions, explainer.attributions(x, targets)):
        y = z @ image.ravel()
        expected = Ridge(alpha=1.0).fit(z, y, sample_weight=w).coef_
        np.testing.assert_allclose(found.ravel(), expected, atol=1e-4)
        assert np.abs(expected - image.ravel()).max() > 1e-3  # the penalty shrinks


@pytest.fixture(scope="module")
def slic_case():
    return classifier(head="softmax"), images(3, seed=5)


@pytest.mark.parametrize("cls", [LIME, KernelSHAP])
def test_seeded_and_independent_of_the_batch(cls, slic_case):
    model, x = slic_case
    explainer = cls(model, num_samples=48, seed=3)
    first = explainer.attributions(x)
    np.testing.assert_array_equal(first, explainer.attributions(x))
    alone = cls(model, num_samples=48, seed=3, batch_size=1)
    np.testing.assert_allclose(alone.attributions(x), first, atol=1e-5)
    np.testing.assert_allclose(alone.attributions(x[1:2]), first[1:2], atol=1e-5)
    assert not np.allclose(first, cls(model, num_samples=48, seed=4).attributions(x))


def test_kernel_shap_values_add_up_to_the_score_difference(slic_case):
    model, x = slic_case
    explainer = KernelSHAP(model, num_samples=48, baseline="mean")
    attributions = explainer.attributions(x, targets=1)
    segments = explainer.features(x)[0]
    fill = segment_means(tf.constant(x), tf.constant(segments)).numpy()
    logits = np.array(explainer.forward(tf.constant(np.concatenate([x, fill])))[1])[:, 1]
    difference = logits[:3] - logits[3:]  # the softmax head is linearised: logits
    totals = [np.sum([a[s == k][0] for k in np.unique(s)]) for a, s in zip(attributions, segments)]
    np.testing.assert_allclose(totals, difference, atol=1e-4)


def test_probabilities_and_an_image_baseline(slic_case):
    model, x = slic_case
    grey = np.full(x.shape[1:], 0.5, np.float32)
    explainer = grid_explainer(KernelSHAP, model, 4, num_samples=14, baseline=grey,
                               probabilities=True)
    attributions = explainer.attributions(x, targets=2)
    probabilities = np.array(model(np.concatenate([x, grey[None]])))[:, 2]  # softmax head
    np.testing.assert_allclose(attributions[:, ::8, ::8].sum(axis=(1, 2)),
                               probabilities[:3] - probabilities[3], atol=1e-5)


def test_grid_and_slic_superpixels():
    np.testing.assert_array_equal(grid_segments((4, 4), 4), [[0, 0, 1, 1], [0, 0, 1, 1],
                                                             [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(grid_segments((2, 3), 100), [[0, 1, 2], [3, 4, 5]])
    quadrants = np.zeros((16, 16, 3))
    quadrants[:8, 8:], quadrants[8:, :8], quadrants[8:, 8:] = (1, 0, 0), (0, 1, 0), (0, 0, 1)
    labels = slic_segments(quadrants, num_segments=4)
    cells = grid_segments((16, 16), 4)
    assert len(np.unique(labels)) == 4
    assert all(len(np.unique(labels[cells == k])) == 1 for k in range(4))
    custom = Superpixels(lambda image: 10 * cells + 7)(quadrants[None])
    np.testing.assert_array_equal(custom[0], cells)


def test_segment_means_fill_each_superpixel_with_its_mean_colour():
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    segments = np.array([[[0, 0], [1, 0]]], np.int32)
    filled = segment_means(tf.constant(x), tf.constant(segments)).numpy()
    np.testing.assert_allclose(filled[0, 1, 0], [4, 5])
    np.testing.assert_allclose(filled[0, 0, 0], [(0 + 2 + 6) / 3, (1 + 3 + 7) / 3])


@pytest.mark.parametrize("options, message", [
    ({"segmentation": "watershed"}, "segmentation: expected one of"),
    ({"baseline": "grey"}, "baseline: expected a number, an image or 'mean'"),
    ({"kernel_width": 0}, "kernel_width: expected a number > 0"),
    ({"distance": "l1"}, "distance: expected one of"),
    ({"alpha": -1}, "alpha: expected a number >= 0"),
    ({"num_segments": 0}, "num_segments: expected an int >= 1"),
])
def test_bad_options_are_refused(options, message, slic_case):
    with pytest.raises(InputError, match=message):
        LIME(slic_case[0], **options)


def test_a_segmentation_callable_of_the_wrong_shape_is_refused(slic_case):
    model, x = slic_case
    explainer = KernelSHAP(model, num_samples=8, segmentation=lambda image: np.zeros((3, 3)))
    with pytest.raises(InputError, match=r"segmentation: expected the callable to return"):
        explainer.features(x)


def test_only_grid_superpixels_keep_the_step_tensorflow_only(slic_case):
    """SLIC runs in Python (tf.numpy_function): such a step cannot be served by TF Serving."""
    model = slic_case[0]
    for explainer in (LIME(model, segmentation="grid", num_segments=4), LIME(model)):
        step = explainer.compile(explainer.attribution_batch)
        graph = step.get_concrete_function().graph
        python_ops = [op for op in graph.get_operations() if op.type.startswith("PyFunc")]
        assert explainer.in_graph == (not python_ops)
    assert LIME(model, segmentation="grid").in_graph and not LIME(model).in_graph
