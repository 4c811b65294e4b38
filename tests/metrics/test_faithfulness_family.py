"""The faithfulness family on a linear model: hand-computed values and good-vs-random direction."""

import numpy as np
import pytest
from linear_cases import linear_case, linear_probability_model, probability

import cnn_explain_tf as cet
from cnn_explain_tf.metrics.faithfulness import ranks_of, segment_ranks

WEIGHTS = np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4) / 16  # sum |w| = 17 / 48
HALF = np.full((1, 4, 4, 1), 0.5, np.float32)


def test_the_imputation_solves_the_neighbour_equations_by_hand():
    image = np.zeros((1, 3, 3, 1), np.float32)
    image[0, [0, 1, 1, 2], [1, 0, 2, 1]] = 1.0  # direct neighbours 1, diagonals 0
    removed = np.zeros((1, 3, 3), bool)
    removed[0, 1, 1] = True
    out = cet.metrics.noisy_linear_imputation(image, removed, noise=0.0)
    assert out[0, 1, 1, 0] == pytest.approx(4 / 6, abs=1e-5)
    np.testing.assert_array_equal(out[0][~removed[0]], image[0][~removed[0]])
    corner = np.zeros((1, 4, 4, 1), np.float32)
    corner[0, 0, 1], corner[0, 1, 0], corner[0, 1, 1] = 0.3, 0.6, 0.9
    removed = np.zeros((1, 4, 4), bool)
    removed[0, 0, 0] = True
    value = cet.metrics.noisy_linear_imputation(corner, removed, noise=0.0)[0, 0, 0, 0]
    assert value == pytest.approx((0.3 / 6 + 0.6 / 6 + 0.9 / 12) / (5 / 12), abs=1e-5)


def test_road_on_a_constant_image_keeps_the_probability():
    model = linear_probability_model(WEIGHTS)
    maps = WEIGHTS[None] * 0.5
    for order in ("morf", "lerf"):
        result = cet.metrics.road(model, HALF, maps, 0, order=order, noise=0.0)
        np.testing.assert_allclose(result.details["curves"], probability(WEIGHTS, HALF[0]),
                                   atol=1e-5)
        assert result.higher_is_better == (order == "lerf")


def test_pixel_flipping_by_hand():
    model = linear_probability_model(WEIGHTS)
    result = cet.metrics.pixel_flipping(model, HALF, WEIGHTS[None] * 0.5, 0, steps=2)
    first = 0.5 + np.sum(WEIGHTS.ravel()[:8] * 0.5)  # the 8 positive weights flipped first
    assert result.scores[0] == pytest.approx((first + 0.5) / 2, abs=1e-6)
    assert not result.higher_is_better


def test_irof_with_one_superpixel_is_one_minus_the_mean_baseline_ratio():
    model = linear_probability_model(WEIGHTS)
    image = np.random.default_rng(0).random((1, 4, 4, 1)).astype(np.float32)
    result = cet.metrics.irof(model, image, WEIGHTS[None] * image[..., 0], 0, segments=1)
    mean = np.full_like(image, image.mean())
    assert result.scores[0] == pytest.approx(
        1 - probability(WEIGHTS, mean[0]) / probability(WEIGHTS, image[0]), abs=1e-5)


def test_faithfulness_correlation_and_infidelity_by_hand():
    model, images, weights = linear_case(count=4)
    maps = weights[None] * images[..., 0]
    exact = cet.metrics.faithfulness_correlation(model, images, maps, 0, num_samples=8)
    np.testing.assert_allclose(exact.scores, 1.0, atol=1e-4)
    gradient = cet.metrics.infidelity(model, images, np.repeat(weights[None], 4, 0), 0,
                                      num_samples=8)
    np.testing.assert_allclose(gradient.scores, 0.0, atol=1e-10)
    subsets = cet.metrics.faithfulness.random_subsets((4, 4, 4), 8, 0.1)
    drops = np.einsum("bhw,bkhw->bk", maps, subsets)
    predicted = np.einsum("bhw,bkhw->bk", images[..., 0] * maps, subsets)
    scale = np.sum(predicted * drops, 1) / np.sum(predicted ** 2, 1)
    expected = np.mean((scale[:, None] * predicted - drops) ** 2, axis=1)
    np.testing.assert_allclose(cet.metrics.infidelity(model, images, maps, 0, num_samples=8)
                               .scores, expected, rtol=1e-3, atol=1e-9)


@pytest.mark.parametrize("order", ["morf", "lerf"])
def test_ranks_follow_a_stable_argsort_through_ties_signed_zeros_and_extreme_values(order):
    rng = np.random.default_rng(5)
    maps = np.round(rng.normal(size=(6, 9, 7)), 1) * rng.choice([-1, 1], (6, 9, 7))
    maps[0] = 0.0
    maps[1, ::2] = -0.0
    maps[2] *= 1e30
    maps = maps.astype(np.float32)
    keys = -maps.reshape(6, -1) if order == "morf" else maps.reshape(6, -1)
    expected = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    np.testing.assert_array_equal(ranks_of(maps, order), expected.reshape(maps.shape))


def test_orders_and_superpixel_ranks():
    maps = np.array([[[0.1, 0.9], [0.5, 0.2]]], np.float32)
    np.testing.assert_array_equal(ranks_of(maps, "morf"), [[[3, 0], [1, 2]]])
    np.testing.assert_array_equal(ranks_of(maps, "lerf"), [[[0, 3], [2, 1]]])
    ranks, counts = segment_ranks(np.zeros((1, 4, 4, 1), np.float32), np.ones((1, 4, 4)), 1)
    assert counts.tolist() == [1] and ranks.max() == 0


METRICS = {
    "road": lambda m, x, g: cet.metrics.road(m, x, g, 0, order="combined"),
    "pixel_flipping": lambda m, x, g: cet.metrics.pixel_flipping(m, x, g, 0, steps=4),
    "region_perturbation": lambda m, x, g: cet.metrics.region_perturbation(
        m, x, g, 0, patch_size=1, steps=8),
    "irof": lambda m, x, g: cet.metrics.irof(m, x, g, 0, segments=8, baseline="black"),
    "faithfulness_correlation": lambda m, x, g: cet.metrics.faithfulness_correlation(
        m, x, g, 0, num_samples=16),
    "infidelity": lambda m, x, g: cet.metrics.infidelity(m, x, g, 0, num_samples=16),
}


@pytest.fixture(scope="module")
def good_and_random():
    model, images, weights = linear_case(size=8, count=32, seed=1)
    good = weights[None] * images[..., 0]
    random = np.random.default_rng(5).random(good.shape).astype(np.float32)
    return model, images, good, random


@pytest.mark.parametrize("name", sorted(METRICS))
def test_the_exact_attribution_beats_a_random_map_beyond_the_intervals(name, good_and_random):
    model, images, good, random = good_and_random
    better, worse = (METRICS[name](model, images, maps) for maps in (good, random))
    assert better.better_than(worse), (name, better.interval, worse.interval)


def test_a_bad_baseline_name_is_refused():
    model = linear_probability_model(WEIGHTS)
    with pytest.raises(ValueError, match="baseline: expected a value in"):
        cet.metrics.pixel_flipping(model, HALF, WEIGHTS[None], 0, baseline="grey")


def test_given_targets_spare_the_forward_pass_over_every_image(monkeypatch):
    from cnn_explain_tf.metrics.base import ModelMetric

    model, images, weights = linear_case(count=6)
    seen = []
    original = ModelMetric.probabilities
    monkeypatch.setattr(ModelMetric, "probabilities",
                        lambda self, x: seen.append(len(x)) or original(self, x))
    metric = ModelMetric(model)
    _, targets = metric.check_inputs(images, [0, 1, 0, 1, 0, 1])
    assert seen == [1] and targets.tolist() == [0, 1, 0, 1, 0, 1]
    _, targets = metric.check_inputs(images, None)
    assert seen == [1, 6]
    np.testing.assert_array_equal(targets, np.argmax(np.asarray(model(images)), axis=1))
    logits = linear_probability_model(weights * 40)  # outputs outside [0, 1]
    with pytest.raises(ValueError, match="expected a classifier whose output is probabilities"):
        ModelMetric(logits).check_inputs(images * 0 + 1, 0)
