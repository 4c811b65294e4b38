"""MPRT (cascading, independent) and the random logit test on explainers of known behaviour."""

import numpy as np
import pytest
from linear_cases import linear_case

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
