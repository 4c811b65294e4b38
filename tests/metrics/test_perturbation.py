"""AOPC, deletion and insertion AUC against hand-computed curves, and perfect vs random maps."""

import numpy as np
import pytest
from linear_cases import weighted_pixel_classifier

import cnn_explain_tf as cet
from cnn_explain_tf.metrics.faithfulness.curves import patch_ranks
from cnn_explain_tf.validation import InputError

WEIGHTS = np.array([[1.0, 0.5], [0.25, 0.0]], np.float32)
ONES = np.ones((1, 2, 2, 1), np.float32)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def trapezoid(values, step):
    return float(np.sum(values[1:] + values[:-1]) * step / 2)


def test_patch_ranks_order_patches_by_mean_relevance():
    maps = np.array([[[0.1, 0.1, 0.9, 0.9],
                      [0.1, 0.1, 0.9, 0.9],
                      [0.5, 0.5, 0.2, 0.8],
                      [0.5, 0.5, 0.8, 0.2]]])
    expected = np.array([[[3, 3, 0, 0], [3, 3, 0, 0], [1, 1, 2, 2], [1, 1, 2, 2]]])
    np.testing.assert_array_equal(patch_ranks(maps, 2), expected)  # tie 0.5: row-major order
    np.testing.assert_array_equal(patch_ranks(maps[:, :3, :3], 2),
                                  [[[3, 3, 0], [3, 3, 0], [1, 1, 2]]])  # cropped: mean of kept part


def test_aopc_of_a_hand_computed_curve():
    model = weighted_pixel_classifier(WEIGHTS)
    curve = sigmoid(2 * np.array([1.75, 0.75, 0.25, 0.0, 0.0]))  # pixels removed by weight
    got = cet.metrics.aopc(model, ONES, WEIGHTS[None], patch_size=1, fill=0.0)
    assert got == pytest.approx(np.mean(curve[0] - curve), abs=1e-6)
    got = cet.metrics.aopc(model, ONES, WEIGHTS[None], patch_size=1, steps=2, fill=0.0)
    assert got == pytest.approx(np.mean(curve[0] - curve[:3]), abs=1e-6)


def test_deletion_and_insertion_auc_of_hand_computed_curves():
    model = weighted_pixel_classifier(WEIGHTS)
    deleted = sigmoid(2 * np.array([1.75, 0.75, 0.25, 0.0, 0.0]))
    inserted = sigmoid(2 * np.array([0.0, 1.0, 1.5, 1.75, 1.75]))
    kwargs = {"patch_size": 1, "fill": 0.0}
    assert cet.metrics.deletion_auc(model, ONES, WEIGHTS[None], **kwargs) == pytest.approx(
        trapezoid(deleted, 0.25), abs=1e-6)
    assert cet.metrics.insertion_auc(model, ONES, WEIGHTS[None], **kwargs) == pytest.approx(
        trapezoid(inserted, 0.25), abs=1e-6)
    assert cet.metrics.deletion_auc(model, ONES, WEIGHTS[None], steps=2, **kwargs) == (
        pytest.approx(trapezoid(deleted[[0, 2, 4]], 0.5), abs=1e-6))


def test_a_perfect_map_beats_a_random_map():
    rng = np.random.default_rng(0)
    weights = rng.random((8, 8)).astype(np.float32) ** 4 / 4
    model = weighted_pixel_classifier(weights)
    images = rng.random((6, 8, 8, 1), dtype=np.float32)
    perfect = images[..., 0] * weights / (images[..., 0] * weights).max()
    noise = rng.random((6, 8, 8), dtype=np.float32)
    for metric, better in ((cet.metrics.aopc, np.greater), (cet.metrics.deletion_auc, np.less),
                           (cet.metrics.insertion_auc, np.greater)):
        scores = [metric(model, images, maps, patch_size=2) for maps in (perfect, noise)]
        assert better(*scores), (metric.__name__, scores)


def test_uniform_fill_is_seeded_and_bad_options_are_refused():
    model = weighted_pixel_classifier(WEIGHTS)
    runs = [cet.metrics.aopc(model, ONES, WEIGHTS[None], patch_size=1, seed=s) for s in (3, 3, 4)]
    assert runs[0] == runs[1] != runs[2]
    with pytest.raises(InputError, match="fill: expected a value in"):
        cet.metrics.aopc(model, ONES, WEIGHTS[None], fill="grey")
    with pytest.raises(InputError, match="patch_size: expected an int >= 1, got 0"):
        cet.metrics.deletion_auc(model, ONES, WEIGHTS[None], patch_size=0)
    with pytest.raises(InputError, match="maps: expected the shape"):
        cet.metrics.insertion_auc(model, ONES, WEIGHTS[None, :1])


def test_metrics_on_one_model_share_its_compiled_steps():
    model = weighted_pixel_classifier(WEIGHTS)
    aopc, deletion, insertion = (cet.metrics.AOPC(model), cet.metrics.DeletionAUC(model),
                                 cet.metrics.InsertionAUC(model))
    assert aopc._probabilities is cet.metrics.AverageDrop(model)._probabilities
    assert aopc._masked is deletion._masked is insertion._masked  # the one masked-batch step
    assert aopc._masked is cet.metrics.Perturber(model)._masked
    other = cet.metrics.AOPC(weighted_pixel_classifier(WEIGHTS))
    assert other._probabilities is not aopc._probabilities
    curve = sigmoid(2 * np.array([1.75, 0.75, 0.25, 0.0, 0.0]))
    got = cet.metrics.AOPC(model, patch_size=1, fill=0.0).evaluate(ONES, WEIGHTS[None])
    assert got == pytest.approx(np.mean(curve[0] - curve), abs=1e-6)  # the cached step is right
