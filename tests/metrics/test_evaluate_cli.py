"""`cnn-explain evaluate`: the scorecard of a saved model written as HTML, CSV and JSON."""

import csv
import json

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    model = cet.models.zoo.build("vgg_lite", (16, 16, 1), 3)
    model.save(folder / "model.keras")
    np.save(folder / "images.npy", np.random.default_rng(0).random((4, 16, 16, 1), np.float32))
    return folder


def test_the_scorecard_files(saved, capsys):
    out = saved / "card"
    status = main(["evaluate", "--model", str(saved / "model.keras"), "--data",
                   str(saved / "images.npy"), "--methods", "gradcam,saliency", "--families",
                   "complexity,faithfulness", "--out", str(out), "--quiet"])
    assert status == 0 and "2 methods x 11 metrics" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    assert "Ranks per family" in page and "sparseness (higher is better)" in page
    rows = list(csv.DictReader((out / "scorecard.csv").open()))
    assert len(rows) == 22 and {r["family"] for r in rows} == {"complexity", "faithfulness"}
    found = json.loads((out / "scorecard.json").read_text())
    assert found["methods"] == ["gradcam", "saliency"]
    assert len(found["results"]["gradcam"]["road"]["scores"]) == 4
    assert "Differences beyond noise" in page
    sections = json.loads((out / "results.json").read_text())["sections"]
    assert sections[-1]["id"] == "noise" and len(sections[-1]["tables"][0]["rows"]) == 11


def test_bad_families_and_masks_on_a_batch_are_one_error_line(saved, capsys):
    base = ["evaluate", "--model", str(saved / "model.keras"), "--data",
            str(saved / "images.npy"), "--out", str(saved / "bad")]
    assert main([*base, "--families", "speed"]) == 2
    assert "error: --families: expected names among" in capsys.readouterr().err
    assert main([*base, "--masks"]) == 2
    assert "--masks: expected an embedded dataset" in capsys.readouterr().err
