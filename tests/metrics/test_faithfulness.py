"""Average drop, increase in confidence and win rate on a model whose confidences are set."""

import numpy as np
import pytest
from helpers import classifier

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Mean pixels 0.5, 0.8, 0.4 -> p0 = sigmoid(4m - 2): classes 0 (tie at 0.5 -> argmax 0), 0, 1.
IMAGES = np.stack([np.full((4, 4, 1), v, np.float32) for v in (0.5, 0.8, 0.4)])
FULL = np.ones((3, 4, 4), np.float32)
HALF = np.full((3, 4, 4), 0.5, np.float32)
# Half maps: image 1 keeps p0 = sigmoid(1.2) -> sigmoid(-0.4); image 2's p1 rises sigmoid(0.4) ->
# sigmoid(1.2).
DROP_1 = 100 * (sigmoid(1.2) - sigmoid(-0.4)) / sigmoid(1.2)


def test_average_drop_excludes_energy_maps_that_are_more_confident(mean_model):
    maps = np.stack([FULL[0], HALF[1], HALF[2]])
    detailed = cet.metrics.AverageDrop(mean_model).detailed_evaluate(IMAGES, maps)
    np.testing.assert_allclose(detailed[:2], [0.0, DROP_1], rtol=1e-5, atol=1e-5)
    assert np.isnan(detailed[2])
    assert cet.metrics.average_drop(mean_model, IMAGES, maps) == pytest.approx(DROP_1 / 2, 1e-5)


def test_increase_in_confidence_counts_strict_increases(mean_model):
    maps = np.stack([FULL[0], HALF[1], HALF[2]])
    metric = cet.metrics.IncreaseInConfidence(mean_model, batch_size=2)
    np.testing.assert_array_equal(metric.detailed_evaluate(IMAGES, maps), [0, 0, 100])
    assert cet.metrics.increase_in_confidence(mean_model, IMAGES, maps) == pytest.approx(100 / 3)


def test_explicit_targets_are_used(mean_model):
    # class 1 on image 1: p1 rises from sigmoid(-1.2) to sigmoid(0.4) -> excluded, an increase
    assert cet.metrics.increase_in_confidence(mean_model, IMAGES[1:2], HALF[1:2], targets=1) == 100


def test_win_rate_wins_losses_and_ties(mean_model):
    metric = cet.metrics.WinRate(mean_model)
    half = np.stack([FULL[0], HALF[1], HALF[2]])  # image 0: the same map on both sides
    np.testing.assert_array_equal(metric.detailed_evaluate(IMAGES, FULL, half), [50, 100, 0])
    np.testing.assert_array_equal(metric.detailed_evaluate(IMAGES, half, FULL), [50, 0, 100])
    assert cet.metrics.win_rate(mean_model, IMAGES, FULL, FULL) == 50.0
    assert cet.metrics.win_rate(mean_model, IMAGES[1:], FULL[1:], HALF[1:]) == 50.0


def test_bad_inputs_are_refused(mean_model):
    with pytest.raises(InputError, match="maps: expected the shape"):
        cet.metrics.average_drop(mean_model, IMAGES, FULL[:, :3])
    with pytest.raises(InputError, match="empty"):
        cet.metrics.average_drop(mean_model, IMAGES[:0], FULL[:0])
    with pytest.raises(InputError, match=r"maps: expected values in \[0, 1\]"):
        cet.metrics.average_drop(mean_model, IMAGES, FULL * 2)
    with pytest.raises(InputError, match="model: expected a classifier whose output is probab"):
        cet.metrics.average_drop(classifier(size=8, head=None), np.zeros((1, 8, 8, 3)) + 0.5,
                                 np.ones((1, 8, 8)))
    with pytest.raises(InputError, match="tolerance"):
        cet.metrics.WinRate(mean_model, tolerance=-1)
