"""Average drop, both increases in confidence and win rate on a model with set confidences."""

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


def test_modified_increase_gauges_the_gain_of_the_more_confident_cases(mean_model):
    # Only image 2's energy map is more confident: p1 rises sigmoid(0.4) -> sigmoid(1.2).
    maps = np.stack([FULL[0], HALF[1], HALF[2]])
    detailed = cet.metrics.ModifiedIncreaseInConfidence(mean_model).detailed_evaluate(IMAGES, maps)
    gain = 100 * (sigmoid(1.2) - sigmoid(0.4)) / sigmoid(0.4)
    assert np.isnan(detailed[0]) and np.isnan(detailed[1])
    assert detailed[2] == pytest.approx(gain, rel=1e-5)
    assert cet.metrics.modified_increase_in_confidence(mean_model, IMAGES, maps) == pytest.approx(
        gain, rel=1e-5)
    assert np.isnan(cet.metrics.modified_increase_in_confidence(mean_model, IMAGES, FULL))


def test_confidence_of_the_correct_class_differs_from_the_predicted_one(mean_model):
    # Image 1 predicts class 0 (drop DROP_1 on the half map); its label 1 rises instead.
    predicted = cet.metrics.average_drop(mean_model, IMAGES[1:2], HALF[1:2])
    correct = cet.metrics.average_drop(mean_model, IMAGES[1:2], HALF[1:2], targets=[1])
    assert predicted == pytest.approx(DROP_1, rel=1e-5)
    assert np.isnan(correct)  # excluded: the energy map is more confident in class 1


def test_win_rate_does_not_count_ties_as_wins(mean_model):
    metric = cet.metrics.WinRate(mean_model)
    half = np.stack([FULL[0], HALF[1], HALF[2]])  # image 0: the same map on both sides
    np.testing.assert_array_equal(metric.detailed_evaluate(IMAGES, FULL, half), [0, 100, 0])
    np.testing.assert_array_equal(metric.detailed_evaluate(IMAGES, half, FULL), [0, 0, 100])
    np.testing.assert_array_equal(
        cet.metrics.TieRate(mean_model).detailed_evaluate(IMAGES, FULL, half), [100, 0, 0])
    assert cet.metrics.win_rate(mean_model, IMAGES, FULL, FULL) == 0.0
    assert cet.metrics.win_rate(mean_model, IMAGES, FULL, half) == pytest.approx(100 / 3)
    halves = cet.metrics.WinRate(mean_model, ties="half")
    np.testing.assert_array_equal(halves.detailed_evaluate(IMAGES, FULL, half), [50, 100, 0])
    assert cet.metrics.win_rate(mean_model, IMAGES, FULL, FULL, ties="half") == 50.0


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
    with pytest.raises(InputError, match="ties: expected one of"):
        cet.metrics.WinRate(mean_model, ties="third")
