"""GradientSHAP: hand-computed cases on linear models (captum's GradientShap is the only peer,
and it is PyTorch-based) and agreement with Integrated Gradients on a non-linear one."""

import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images
from helpers import dense_linear_model as linear_model

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError

WEIGHTS = np.random.default_rng(0).normal(size=(4, 4, 2, 3)).astype(np.float32)


def test_one_baseline_on_a_linear_model_is_input_minus_baseline_times_weights():
    x, baseline = images(2, size=4, channels=2), images(1, size=4, channels=2, seed=4)[0]
    shap = cet.explain.GradientSHAP(linear_model(WEIGHTS), baselines=baseline, num_samples=3)
    np.testing.assert_allclose(shap.attributions(x, 2), (x - baseline) * WEIGHTS[..., 2],
                               atol=1e-5)


def test_several_baselines_sum_to_the_expected_score_difference():
    model = linear_model(WEIGHTS)
    x = images(2, size=4, channels=2)
    baselines = np.stack([np.zeros((4, 4, 2)), np.full((4, 4, 2), 0.5)]).astype(np.float32)
    shap = cet.explain.GradientSHAP(model, baselines=baselines, num_samples=400, seed=1)
    total = shap.attributions(x, 0).sum(axis=(1, 2, 3))
    scores = np.asarray(model(x))[:, 0]
    expected = scores - np.asarray(model(baselines))[:, 0].mean()  # f(x) - E_b f(b)
    np.testing.assert_allclose(total, expected, atol=0.05 * np.abs(WEIGHTS[..., 0]).sum())


def test_noise_free_gradient_shap_converges_to_integrated_gradients():
    model, x = classifier(head=None), images(2)
    shap = cet.explain.GradientSHAP(model, num_samples=256, batch_size=2).attributions(x, 1)
    ig = cet.explain.IntegratedGradients(model, steps=64).attributions(x, 1)
    for ours, reference in zip(shap, ig):
        assert np.corrcoef(ours.ravel(), reference.ravel())[0, 1] > 0.97
    noisy = cet.explain.GradientSHAP(model, num_samples=4, noise_level=0.1)
    assert not np.allclose(noisy.attributions(x, 1),
                           cet.explain.GradientSHAP(model, num_samples=4).attributions(x, 1))


def test_seeded_and_bad_baselines_refused():
    model = linear_model(WEIGHTS)
    x = images(1, size=4, channels=2)
    one = cet.explain.GradientSHAP(model, baselines=np.zeros((3, 4, 4, 2)), noise_level=0.2)
    np.testing.assert_array_equal(one.attributions(x), one.attributions(x))
    with pytest.raises(InputError, match=r"baseline: expected a number or an array of the input "
                                         r"shape \(4, 4, 2\)"):
        cet.explain.GradientSHAP(model, baselines=np.zeros((3, 4, 4)))
    with pytest.raises(InputError, match="baseline: expected finite values"):
        cet.explain.GradientSHAP(model, baselines=np.full((2, 4, 4, 2), np.nan))
    assert tf.is_tensor(tf.constant(one.baselines)) and one.baselines.shape == (3, 4, 4, 2)


def test_draws_per_pass_do_not_change_the_attributions():
    # batch_size 2 on 2 images: one draw per pass; 10: 5 draws per pass (passes of 5, 5, 1);
    # 64: the 11 draws in one pass. Noise, baselines and path points are the same seeded draws.
    model, x = classifier(head=None), images(2)
    baselines = np.stack([np.zeros((16, 16, 3)), np.full((16, 16, 3), 0.5)]).astype(np.float32)
    options = {"baselines": baselines, "num_samples": 11, "noise_level": 0.2, "seed": 4}
    expected = cet.explain.GradientSHAP(model, batch_size=2, **options).attributions(x, [1, 2])
    for batch_size in (10, 64):
        found = cet.explain.GradientSHAP(model, batch_size=batch_size, **options)
        np.testing.assert_allclose(found.attributions(x, [1, 2]), expected, rtol=1e-4, atol=1e-6)
