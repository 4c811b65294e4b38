"""Tests for the Fill in the blanks protocols: Table 1 consistency, Fig. 4 ablation, the figures."""

import json

import helpers
import keras
import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import fill_blanks


@pytest.fixture(scope="module")
def model():
    return helpers.classifier(16, classes=4, head=None)


def test_consistency_evaluation_runs_on_a_tiny_model(model):
    images = helpers.images(4, 16, seed=8)
    labels = cet.probes.FillInTheBlanks(model, verbose=0).predict(images)
    report = fill_blanks.consistency(model, images, labels, num_masks=16, batch_size=16,
                                     verbose=0)
    assert set(report) == {"random", "progressive"}
    for scores in report.values():
        assert set(scores) == {"accuracy", "macro_f1", "weighted_f1", "without_prototype"}
        assert 0 <= scores["accuracy"] <= 1 and 0 <= scores["weighted_f1"] <= 1


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


def test_evaluate_writes_figures_3_4_5_and_returns_table_1(model, tmp_path):
    images = helpers.images(3, 16, seed=4)
    labels = cet.probes.FillInTheBlanks(model, verbose=0).predict(images)
    report = fill_blanks.evaluate(model, images, labels, tmp_path, count=2, num_masks=4,
                                  ratios=(0.25,), patch_sizes=(4,), shown=2)
    assert list(report) == ["options", "mask_ratio", "patch_size", "versions", "table1",
                            "fig5_agreement"]
    assert report["options"] == {"num_masks": 4, "seed": 0}
    assert set(report["table1"]) == {"random", "progressive"}
    assert 0 <= report["fig5_agreement"] <= 1
    json.dumps(report)
    for name in ("fig3_progressive.png", "fig4_ablation.png", "fig5_gradient_vs_bfgs.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fig3_progressive.png", "fig4_ablation.png", "fig5_gradient_vs_bfgs.png"]


def test_the_module_opens_with_its_paper_table():
    table = fill_blanks.__doc__
    for entry in ("Eq. 1", "Eq. 2", "Eq. 3", "Eq. 4", "Eq. 5", "Table 1", "Fig. 3", "Fig. 4",
                  "Fig. 5", "2411.10273"):
        assert entry in table
