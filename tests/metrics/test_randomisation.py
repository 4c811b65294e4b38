"""MPRT (cascading, independent) and the random logit test on explainers of known behaviour."""

import numpy as np
import pytest
from linear_cases import linear_case, linear_probability_model

import cnn_explain_tf as cet


def edge_detector(model):
    """Ignores the model: its maps never change."""
    return lambda images, targets: np.abs(np.diff(images[..., 0], axis=1, append=0.0))


def class_gradient(model):
    """The exact attribution w_c * x of the linear model, read from its current weights."""
    def explain(images, targets):
        kernel = model.layers[-1].get_weights()[0]
        columns = kernel[:, np.asarray(targets)].T.reshape(-1, *images.shape[1:3])
        return columns * images[..., 0]
    return explain


@pytest.mark.parametrize("mode", ["cascading", "independent"])
def test_a_model_blind_explainer_fails_and_a_weight_reading_one_passes(mode):
    model, images, _ = linear_case(size=8, count=8)
    blind = cet.metrics.model_parameter_randomisation(edge_detector, model, images, mode=mode)
    np.testing.assert_allclose(blind.result.scores, 1.0, atol=1e-5)
    assert blind.layers == ["dense"] or len(blind.layers) == 1
    honest = cet.metrics.model_parameter_randomisation(class_gradient, model, images, mode=mode,
                                                       similarity="spearman")
    assert honest.result.mean < 0.5 and not honest.result.higher_is_better
    assert np.allclose(model.layers[-1].get_weights()[1], 0.5)  # the caller's model untouched


def test_random_logit_by_hand():
    model, images, _ = linear_case(count=6)
    same = cet.metrics.random_logit(model, images, lambda x, t: x[..., 0] + 0 * np.asarray(
        t)[:, None, None])
    np.testing.assert_allclose(same.scores, 1.0, atol=1e-5)
    flipped = cet.metrics.random_logit(model, images, class_gradient(model), 0,
                                       similarity="spearman")
    np.testing.assert_allclose(flipped.scores, -1.0, atol=1e-5)  # w_1 = -w_0: ranks reversed


def weight_map(model):
    """The linear model's class column w_c as the map: all its structure comes from the weights."""
    def explain(images, targets):
        kernel = model.layers[-1].get_weights()[0]
        return kernel[:, np.asarray(targets)].T.reshape(-1, *images.shape[1:3])
    return explain


def recording(factory, calls):
    """`factory`, keeping each map batch its explainers return in `calls`."""
    def wrapped(model):
        explain = factory(model)
        return lambda images, targets: calls.append(explain(images, targets)) or calls[-1]
    return wrapped


def by_hand_entropy(values, bins):
    counts = np.histogram(values, bins=bins)[0]
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log(shares)).sum())


def test_histogram_entropy_by_hand():
    halves = np.repeat([0.0, 1.0], 8).reshape(1, 4, 4)
    quarters = np.repeat([0.0, 1.0, 2.0, 3.0], 4).reshape(1, 4, 4)
    found = cet.metrics.histogram_entropy(np.concatenate([halves, quarters, np.ones((1, 4, 4))]),
                                          bins=4)
    np.testing.assert_allclose(found, [np.log(2.0), np.log(4.0), 0.0], atol=1e-12)


def test_smoothed_explainer_averages_the_same_noisy_copies_for_every_model():
    model, images, _ = linear_case(size=4, count=3)
    factory = cet.metrics.smoothed_explainer(lambda m: lambda x, t: x[..., 0], samples=2,
                                             noise=0.1, seed=3)
    deltas = np.random.default_rng(3).normal(0.0, 0.1, (2, *images.shape)).astype(np.float32)
    expected = (np.clip(images + deltas[0], 0, 1) + np.clip(images + deltas[1], 0, 1))[..., 0] / 2
    assert not np.allclose(expected, (2 * images + deltas[0] + deltas[1])[..., 0] / 2)  # clipped
    np.testing.assert_allclose(factory(model)(images, None), expected, atol=1e-6)
    np.testing.assert_array_equal(factory(model)(images, None), factory(None)(images, None))


def test_smooth_mprt_fails_a_model_blind_explainer_and_passes_a_weight_reading_one():
    model, images, _ = linear_case(size=8, count=8)
    blind = cet.metrics.smooth_mprt(edge_detector, model, images, samples=3)
    np.testing.assert_allclose(blind.result.scores, 1.0, atol=1e-5)  # Spearman of equal maps
    honest = cet.metrics.smooth_mprt(class_gradient, model, images, samples=3)
    assert honest.result.name == "smooth_mprt_cascading" and not honest.result.higher_is_better
    assert honest.result.interval.high < blind.result.interval.low  # lower is better


def test_efficient_mprt_by_hand_and_its_direction():
    weights = np.where(np.arange(16) % 2 == 0, 1.0, -1.0).reshape(4, 4) / 32  # two values
    model = linear_probability_model(weights)
    images = np.random.default_rng(0).random((6, 4, 4, 1)).astype(np.float32)
    calls = []
    honest = cet.metrics.efficient_mprt(recording(weight_map, calls), model, images)
    before = [by_hand_entropy(m, 100) for m in calls[0]]
    after = [by_hand_entropy(m, 100) for m in calls[1]]
    np.testing.assert_allclose(before, np.log(2.0), atol=1e-9)  # 8 pixels at each end
    np.testing.assert_allclose(honest.result.scores, (np.array(after) - np.log(2.0)) / np.log(2.0),
                               rtol=1e-6)
    np.testing.assert_allclose(honest.per_layer, [before, after], rtol=1e-6)
    blind = cet.metrics.efficient_mprt(edge_detector, model, images)
    np.testing.assert_allclose(blind.result.scores, 0.0, atol=1e-12)
    assert honest.result.higher_is_better and honest.result.better_than(blind.result)
    assert np.allclose(model.layers[-1].get_weights()[0][:, 0], weights.ravel())  # untouched


def test_efficient_mprt_is_nan_for_a_constant_trained_map():
    model, images, _ = linear_case(count=4)
    constant = cet.metrics.efficient_mprt(lambda m: lambda x, t: np.ones(x.shape[:3]), model,
                                          images)
    assert np.isnan(constant.result.scores).all()
