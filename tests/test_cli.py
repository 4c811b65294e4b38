"""The command line: `explain` on files, folders and .npy batches, errors, and `demo`."""

import cv2
import numpy as np
import pytest
from helpers import classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf import cli


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    classifier(classes=4).save(path)
    return path


def test_explain_a_folder_writes_overlays_and_maps(model_path, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for index, image in enumerate(images(3, size=20)):  # resized to the model's 16x16 on read
        cv2.imwrite(str(folder / f"img{index}.png"), (image * 255).astype(np.uint8))
    (folder / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    assert cli.main(["explain", "--model", str(model_path), "--images", str(folder),
                     "--method", "gradcam++", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"img{i}_gradcam++.{ext}" for i in range(3) for ext in ("npy", "png"))
    heat_map = np.load(out / "img0_gradcam++.npy")
    assert heat_map.shape == (16, 16) and 0 <= heat_map.min() and heat_map.max() == 1
    assert cv2.imread(str(out / "img0_gradcam++.png")).shape == (16, 16, 3)


def test_explain_a_npy_batch_matches_the_library(model_path, tmp_path):
    batch = images(2)
    np.save(tmp_path / "batch.npy", batch)
    out = tmp_path / "out"
    assert cli.main(["explain", "--model", str(model_path), "--images", str(tmp_path / "batch.npy"),
                     "--method", "saliency", "--target", "1", "--out", str(out), "--quiet"]) == 0
    model = cet.explain.VanillaGradients(classifier(classes=4))
    np.testing.assert_allclose(np.load(out / "batch_1_saliency.npy"), model(batch, 1)[1], atol=1e-5)


@pytest.mark.parametrize("extra, message", [
    (["--method", "nope"], "name: expected one of"),
    (["--layer", "nope"], "layer: expected the name"),
    (["--images", "/does/not/exist"], "images: expected an image file"),
])
def test_explain_errors_are_reported_cleanly(model_path, tmp_path, capsys, extra, message):
    np.save(tmp_path / "one.npy", images(1))
    argv = ["explain", "--model", str(model_path), "--images", str(tmp_path / "one.npy"),
            "--out", str(tmp_path / "out"), "--quiet", *extra]  # later options win
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_demo_trains_and_writes_the_comparison_grid(tmp_path):
    assert cli.main(["demo", "--out", str(tmp_path), "--epochs", "1", "--quiet"]) == 0
    grid = cv2.imread(str(tmp_path / "explainers.png"))
    assert grid is not None and grid.shape[0] > 400 and grid.shape[1] > 1000
    assert (tmp_path / "digits__vgg_lite.keras").exists()
    assert (tmp_path / "digits__vgg_lite.json").read_text().count("test_accuracy") == 1
