"""Tests for the Fill in the blanks protocols: Table 1 (labels, rows, intervals), Figs. 4-6 data."""

import dataclasses

import helpers
import keras
import numpy as np
import pytest
from fill_blanks_models import QUARTER, brightness_model

from cnn_explain_tf.probes import FillInTheBlanks
from cnn_explain_tf.protocols import fill_blanks


@pytest.fixture(scope="module")
def model():
    return helpers.classifier(16, classes=4, head=None)


def test_consistency_of_a_model_whose_prototypes_are_known():
    # 8x8 images whose top-left quarter is bright (class 1) or dark (class 0): the prototypes
    # are the quarter (class 1) and its complement (class 0), both classified as their label
    images = np.stack([np.full((8, 8, 1), v, np.float32) for v in (0.9, 0.9, 0.1, 0.1)])
    rows = fill_blanks.consistency(brightness_model(), images, truth=[1, 1, 0, 0], verbose=0,
                                   patch_size=1, num_masks=32, batch_size=64, resamples=100)
    assert [(r.mode, r.classified) for r in rows] == [
        ("random", "M(x) + T(E[dx])"), ("random", "T(E[dx])"), ("progressive", "x after k fills")]
    for row in rows:
        assert (row.accuracy, row.macro_f1, row.weighted_f1) == (1.0, 1.0, 1.0)
        assert (row.accuracy_low, row.accuracy_high) == (1.0, 1.0)
        assert row.without_prototype == 0 and row.label_is_truth == 1.0 and row.images == 4


def test_table_1_labels_are_the_predictions_for_the_masked_inputs():
    # quarter mean 0.55: class 1 whole, but class 0 for 73 % of its masked inputs
    images = np.full((2, 8, 8, 1), 0.55, np.float32)
    prototypes = fill_blanks.prototype_set(brightness_model(), images, "random", truth=[1, 1],
                                           verbose=0, num_masks=8, batch_size=256)
    np.testing.assert_array_equal(prototypes.labels, [0, 0])
    row = fill_blanks.consistency_rows(prototypes, resamples=50)[0]
    assert row.label_is_truth == 0.0


def test_an_image_without_a_prototype_is_reported_and_counted_wrong():
    labels = np.array([0, 1, 1, 0])
    prototypes = fill_blanks.PrototypeSet(
        "random", labels, None, {"T(E[dx])": np.array([0, 1, -1, 0])},
        {"T(E[dx])": np.zeros((4, 2, 2, 1), np.float32)}, np.array([5, 5, 0, 5]))
    row = fill_blanks.consistency_rows(prototypes, resamples=200)[0]
    assert row.accuracy == 0.75 and row.without_prototype == 0.25
    assert row.without_prototype_images == (2,) and row.label_is_truth is None
    assert row.accuracy_low < 0.75 < row.accuracy_high <= 1.0
    assert 0 <= row.without_prototype_low < 0.25 < row.without_prototype_high
    # sklearn's F1 by hand: class 0 P = R = 1 -> 1; class 1 P = 1, R = 1/2 -> 2/3
    assert row.macro_f1 == pytest.approx((1 + 2 / 3) / 2)


def test_few_masks_still_give_every_image_a_prototype(model):
    # ŷ is the most frequent class of the first batch of masks, which is the first batch of
    # the expectation (the same seed), so that batch keeps one
    prototypes = fill_blanks.prototype_set(model, helpers.images(8, 16, seed=2), "random",
                                           verbose=0, num_masks=1, max_draws=1, batch_size=8)
    assert np.all(prototypes.kept == 1) and not prototypes.without_prototype.any()


def test_the_progressive_label_is_the_class_of_the_first_mask_of_the_filled_sequence(model):
    images = helpers.images(6, 16, seed=4)
    prototypes = fill_blanks.prototype_set(model, images, "progressive", verbose=0,
                                           batch_size=8, seed=5)
    for index, image in enumerate(images):
        seed = int(np.random.SeedSequence([5, index]).generate_state(1)[0] >> 1)
        assert fill_blanks.image_seed(5, index) == seed
        probe = FillInTheBlanks(model, mode="progressive", batch_size=8, seed=seed, verbose=0)
        result = probe(image[None], int(prototypes.labels[index]))
        first = probe.predict(image[None] * result.masks[..., None])[0]
        assert prototypes.labels[index] == first == result.step_predictions[0, 0]
        np.testing.assert_array_equal(prototypes.images["x after k fills"][index],
                                      result.prototypes[0])


def test_bootstrap_interval_of_a_two_point_mean_by_hand():
    # the mean of a resample of [0, 1] is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4
    assert fill_blanks.bootstrap_interval(np.mean, (np.array([0.0, 1.0]),), 4000) == (0.0, 1.0)
    low, high = fill_blanks.bootstrap_interval(np.mean, (np.array([0.0, 1.0]),), 4000,
                                               level=0.4)
    assert (low, high) == (0.5, 0.5)  # the 30 % and 70 % quantiles both fall on 1/2


def test_bootstrap_interval_matches_scipy_percentile_bootstrap():
    from scipy import stats

    values = np.random.default_rng(3).normal(size=60)
    ours = fill_blanks.bootstrap_interval(np.mean, (values,), 4000)
    theirs = stats.bootstrap((values,), np.mean, n_resamples=4000, method="percentile",
                             random_state=1).confidence_interval
    np.testing.assert_allclose(ours, (theirs.low, theirs.high), atol=0.04)


def test_rows_are_typed_and_json_ready(model):
    rows = fill_blanks.consistency(model, helpers.images(2, 16, seed=8), verbose=0,
                                   num_masks=8, batch_size=8, resamples=20)
    assert [r.mode for r in rows] == ["random", "random", "progressive"]
    assert all(isinstance(r, fill_blanks.ConsistencyRow) for r in rows)
    assert all(0 <= r.accuracy_low <= r.accuracy <= r.accuracy_high <= 1 for r in rows)
    assert set(dataclasses.asdict(rows[0])) >= {"accuracy", "macro_f1_low", "weighted_f1_high"}


def test_mask_ablation_gives_one_prototype_batch_per_pair(model):
    images = helpers.images(2, 16, seed=9)
    prototypes = fill_blanks.mask_ablation(model, images, ratios=(0.25, 0.5), patch_sizes=(4, 8),
                                           num_masks=8, batch_size=8, verbose=0)
    assert set(prototypes) == {(0.25, 4), (0.25, 8), (0.5, 4), (0.5, 8)}
    assert all(p.shape == images.shape for p in prototypes.values())


def test_a_pair_without_kept_masks_maps_to_nan_images():
    always_class_0 = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(3, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant([5.0, 0.0, 0.0]))])
    images = helpers.images(1, 8, channels=1)
    prototypes = fill_blanks.mask_ablation(always_class_0, images, 2, ratios=(0.25,),
                                           patch_sizes=(2, 4), num_masks=4, batch_size=4,
                                           max_draws=4, verbose=0)
    assert all(np.isnan(p).all() and p.shape == images.shape for p in prototypes.values())


def test_binarization_thresholds_and_the_unbinarised_fill():
    images = np.full((1, 8, 8, 1), 0.9, np.float32)
    settings = fill_blanks.binarization(brightness_model(), images, [1], (0.5, 1.0),
                                        patch_size=1, num_masks=16, batch_size=64)
    assert set(settings) == {"random", "progressive"}
    assert list(settings["random"]) == ["threshold 0.5", "threshold 1.0", "not binarised"]
    np.testing.assert_array_equal(settings["random"]["threshold 0.5"][0], QUARTER)
    np.testing.assert_array_equal(settings["progressive"]["threshold 0.5"][0], QUARTER)
    assert settings["random"]["threshold 1.0"].sum() < QUARTER.sum()  # only the largest dx
    soft = settings["random"]["not binarised"]
    assert soft.max() == 1 and 0 < soft[0][QUARTER > 0].min() and soft[0][QUARTER == 0].max() == 0


def test_order_agreement_of_gradient_and_bfgs(model):
    images = helpers.images(2, 16, seed=4)
    labels = FillInTheBlanks(model, batch_size=8, verbose=0).masked_labels(images)
    orders, agreement = fill_blanks.order_agreement(model, images, labels, num_masks=8,
                                                    batch_size=8, bfgs_steps=1)
    assert set(orders) == {"gradient", "bfgs"} and 0 <= agreement <= 1
    assert agreement == np.mean(orders["gradient"] == orders["bfgs"])


def test_the_module_opens_with_its_paper_table():
    table = fill_blanks.__doc__
    for entry in ("Eq. 1", "Eq. 2", "Eq. 3", "Eq. 4", "Eq. 5", "Table 1", "Fig. 2", "Fig. 3",
                  "Fig. 4", "Fig. 5", "Fig. 6", "2411.10273"):
        assert entry in table
