"""Tests for the Perception Visualization protocols: the Fig. 2 and Fig. 7 writers, evaluate."""

import json

import helpers
import keras
import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import perception


@pytest.fixture(scope="module")
def nested():
    """A nested classifier and a decoder that inverts it at the inner layer 'conv3' (8x8x8)."""
    model = helpers.classifier(16, nested=True)
    return model, cet.models.build_pv_decoder((8, 8, 8), (16, 16, 3), width=8)


def test_reconstruction_figure_scores_both_groups(nested, tmp_path):
    model, decoder = nested
    images = helpers.images(6, 16, seed=3)
    predicted = np.argmax(model.predict(images, verbose=0), -1)
    labels = np.where(np.arange(6) < 3, predicted, (predicted + 1) % 4)  # 3 right, 3 wrong
    scores = perception.reconstruction_figure(model, decoder, images, labels,
                                              tmp_path / "fig2.png", layer="conv3", per_group=2)
    assert scores["correct"] == 3 and scores["incorrect"] == 3 and scores["accuracy"] == 0.5
    assert -1 <= scores["ssim_correct"] <= 1 and -1 <= scores["ssim_incorrect"] <= 1
    assert (tmp_path / "fig2.png").read_bytes().startswith(b"\x89PNG")


def test_compare_decoders_scores_every_pair(nested, tmp_path):
    model, decoder = nested
    other = cet.models.build_pv_decoder((8, 8, 8), (16, 16, 3), width=4)
    images = helpers.images(3, 16)
    outputs, scores = perception.compare_decoders(model, {"a": decoder, "b": other}, images,
                                                  "conv3")
    assert set(outputs) == {"a", "b"} and outputs["a"].shape == images.shape
    assert set(scores) == {"a vs input", "b vs input", "a vs b"}
    perception.invariance_figure(images, outputs, tmp_path / "fig7.png", shown=2)
    assert (tmp_path / "fig7.png").read_bytes().startswith(b"\x89PNG")


def test_evaluate_reads_a_train_decoder_folder(nested, tmp_path):
    model, decoder = nested
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "classifier.keras")
    decoder.save(run / "decoder.keras")
    meta = {"config": {"dataset": "digits", "image_size": [16, 16]}, "layer": "conv3",
            "classifier": str(run / "classifier.keras"),
            "metrics": {"classifier_test_accuracy": 0.9, "test_ssim": 0.6}}
    (run / "decoder.json").write_text(json.dumps(meta))
    report = perception.evaluate(run, tmp_path / "out", second_run=run, count=4)
    assert list(report) == ["run", "layer", "images", "versions", "decoder", "fig2", "fig7_ssim"]
    assert report["decoder"] == {"classifier_test_accuracy": 0.9, "test_ssim": 0.6,
                                 "random_encoder_test_ssim": None}
    assert report["images"] == 4 and report["layer"] == "conv3"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "fig2_reconstructions.png", "fig7_invariance.png"]
    assert isinstance(perception.load_decoder_run(run)[1], keras.Model)


def test_the_module_opens_with_its_paper_table():
    for entry in ("Eq. 2", "Eq. 3", "Eq. 5", "Fig. 2", "Fig. 7", "2204.09920"):
        assert entry in perception.__doc__
