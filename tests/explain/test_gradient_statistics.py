"""SmoothGrad, VarGrad and SquareGrad: hand-computed cases and the statistics of the draws."""

import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images
from helpers import dense_linear_model as linear_model

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


def test_statistics_of_a_linear_model_are_its_weights():
    weights = np.random.default_rng(0).normal(size=(4, 4, 2, 3)).astype(np.float32)
    model, x = linear_model(weights), images(2, size=4, channels=2)
    pattern = np.broadcast_to(weights[..., 1], (2, 4, 4, 2))
    smooth = cet.explain.SmoothGrad(model, num_samples=5).attributions(x, 1)
    np.testing.assert_allclose(smooth, pattern, atol=1e-5)  # mean g = w
    square = cet.explain.SquareGrad(model, num_samples=5).attributions(x, 1)
    np.testing.assert_allclose(square, pattern**2, atol=1e-5)  # mean g^2 = w^2
    variance = cet.explain.VarGrad(model, num_samples=5).attributions(x, 1)
    np.testing.assert_allclose(variance, 0.0, atol=1e-5)  # g does not vary
    expected_map = np.abs(pattern).max(-1)
    low, high = expected_map.min((1, 2), keepdims=True), expected_map.max((1, 2), keepdims=True)
    np.testing.assert_allclose(cet.explain.SmoothGrad(model, num_samples=5)(x, 1),
                               (expected_map - low) / (high - low), atol=1e-5)


@pytest.mark.parametrize("name", ["smoothgrad", "squaregrad", "vargrad"])
def test_statistics_of_the_seeded_noisy_gradients(name):
    model, x, samples = classifier(head=None), images(3), 6
    explainer = cet.explain.get(name)(model, num_samples=samples, noise_level=0.3, seed=7,
                                      batch_size=3)
    sigma = 0.3 * (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3)))[:, None, None, None]
    gradients = np.stack([explainer.input_gradients(
        tf.constant(x + sigma * tf.random.stateless_normal(x.shape, seed=[7, sample]).numpy()),
        tf.constant([0, 1, 2])).numpy() for sample in range(samples)])
    expected = {"smoothgrad": gradients.mean(0), "squaregrad": (gradients**2).mean(0),
                "vargrad": gradients.var(0, ddof=1)}[name]
    np.testing.assert_allclose(explainer.attributions(x, [0, 1, 2]), expected, rtol=1e-4,
                               atol=1e-6)


def test_smoothgrad_absolute_first_averages_the_magnitudes():
    model, x = classifier(head=None), images(2)
    signed = cet.explain.SmoothGrad(model, num_samples=4).attributions(x)
    magnitudes = cet.explain.SmoothGrad(model, num_samples=4, absolute_first=True)
    assert (magnitudes.attributions(x) >= 0).all() and (signed < 0).any()
    assert (magnitudes.attributions(x) >= np.abs(signed) - 1e-6).all()  # |mean| <= mean |.|


def test_vargrad_needs_two_samples():
    with pytest.raises(InputError, match="num_samples: expected at least 2 for VarGrad, got 1"):
        cet.explain.VarGrad(classifier(), num_samples=1)


@pytest.mark.parametrize("name", ["smoothgrad", "squaregrad", "vargrad"])
def test_copies_per_pass_do_not_change_the_statistics(name):
    # batch_size 3 on 3 images: one copy per pass, the case that
    # test_statistics_of_the_seeded_noisy_gradients checks against hand-computed draws;
    # 12: 4 copies per pass (passes of 4 and 3 copies); 64: the 7 copies in one pass
    model, x, targets = classifier(head=None), images(3), [0, 1, 2]
    one_per_pass = cet.explain.get(name)(model, num_samples=7, noise_level=0.3, seed=7,
                                         batch_size=3)
    expected = one_per_pass.attributions(x, targets)
    for batch_size in (12, 64):
        batched = cet.explain.get(name)(model, num_samples=7, noise_level=0.3, seed=7,
                                        batch_size=batch_size)
        np.testing.assert_allclose(batched.attributions(x, targets), expected, rtol=1e-4,
                                   atol=1e-6)
        np.testing.assert_allclose(batched(x, targets), one_per_pass(x, targets), atol=1e-5)


@pytest.mark.parametrize("name", ["smoothgrad", "squaregrad", "vargrad"])
def test_the_default_target_is_the_clean_images_class_for_every_copy(name):
    # a linear model whose two logits nearly tie on the image: the noise flips the prediction
    # of about half the copies, yet every copy's gradient is class 0's weights (the clean
    # image's class); a per-copy argmax would mix in class 1's
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(4, 4, 2, 2)).astype(np.float32)
    x = images(1, size=4, channels=2)
    gap = np.sum((weights[..., 0] - weights[..., 1]) * x[0])
    weights[..., 1] += (gap - 1e-3) / np.sum(x[0])
    model = linear_model(weights)
    assert int(np.argmax(model(x), axis=1)[0]) == 0
    explainer = cet.explain.get(name)(model, num_samples=16, noise_level=0.5)
    np.testing.assert_allclose(explainer.attributions(x), explainer.attributions(x, 0),
                               atol=1e-6)
