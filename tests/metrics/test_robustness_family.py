"""Max / average sensitivity and the local Lipschitz estimate against hand-computed values."""

import numpy as np
import pytest
from linear_cases import linear_case

import cnn_explain_tf as cet


def identity_explainer(images, targets):
    return images[..., 0]


def test_an_explainer_returning_the_image_by_hand():
    model, _, _ = linear_case(count=3)
    images = np.random.default_rng(2).uniform(0.25, 0.75, (3, 4, 4, 1)).astype(np.float32)
    noise = np.random.default_rng(7).uniform(-0.02, 0.02, (5, 3, 4, 4, 1)).astype(np.float32)
    moved = np.linalg.norm(noise.reshape(5, 3, -1), axis=2)
    relative = moved / np.linalg.norm(images.reshape(3, -1), axis=1)
    options = {"radius": 0.02, "num_samples": 5, "seed": 7}
    found = cet.metrics.max_sensitivity(model, images, identity_explainer, **options)
    np.testing.assert_allclose(found.scores, relative.max(axis=0), rtol=1e-4)
    average = cet.metrics.average_sensitivity(model, images, identity_explainer, **options)
    np.testing.assert_allclose(average.scores, relative.mean(axis=0), rtol=1e-4)
    lipschitz = cet.metrics.local_lipschitz_estimate(model, images, identity_explainer, **options)
    np.testing.assert_allclose(lipschitz.scores, 1.0, rtol=1e-4)
    assert not found.higher_is_better


def test_a_constant_explainer_is_perfectly_robust_and_the_targets_are_kept():
    model, images, _ = linear_case(count=4)
    seen = []

    def constant(batch, targets):
        seen.append(np.asarray(targets))
        return np.ones(batch.shape[:3], np.float32)

    result = cet.metrics.max_sensitivity(model, images, constant, targets=1, num_samples=3)
    np.testing.assert_array_equal(result.scores, 0.0)
    assert seen[1].tolist() == [1] * 12


def test_a_noisy_explainer_is_less_robust_than_a_smooth_one():
    model, images, weights = linear_case(count=16)
    rng = np.random.default_rng(0)

    def jumpy(batch, targets):
        return weights[None] * batch[..., 0] + rng.random(batch.shape[:3]) * 0.01

    smooth = cet.metrics.max_sensitivity(model, images, lambda b, t: weights[None] * b[..., 0])
    assert smooth.better_than(cet.metrics.max_sensitivity(model, images, jumpy))


def test_a_radius_of_zero_is_refused():
    model, images, _ = linear_case(count=2)
    with pytest.raises(ValueError, match="radius: expected a noise radius > 0"):
        cet.metrics.max_sensitivity(model, images, identity_explainer, radius=0)
