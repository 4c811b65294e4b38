"""The command line: `explain` on files, folders and .npy batches, errors, quiet runs, `demo`."""

import os
import subprocess
import sys

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
        f"img{i}.png_gradcam++.{ext}" for i in range(3) for ext in ("npy", "png"))
    heat_map = np.load(out / "img0.png_gradcam++.npy")
    assert heat_map.shape == (16, 16) and 0 <= heat_map.min() and heat_map.max() == 1
    assert cv2.imread(str(out / "img0.png_gradcam++.png")).shape == (16, 16, 3)


def test_explain_a_npy_batch_matches_the_library(model_path, tmp_path):
    batch = images(2)
    np.save(tmp_path / "batch.npy", batch)
    out = tmp_path / "out"
    assert cli.main(["explain", "--model", str(model_path), "--images", str(tmp_path / "batch.npy"),
                     "--method", "saliency", "--target", "1", "--out", str(out), "--quiet"]) == 0
    model = cet.explain.VanillaGradients(classifier(classes=4))
    np.testing.assert_allclose(np.load(out / "batch.npy_1_saliency.npy"), model(batch, 1)[1],
                               atol=1e-5)


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


def test_a_quiet_run_prints_nothing_but_its_result_line(model_path, tmp_path):
    """The real command in a fresh process: TensorFlow's C++ start-up noise (CPU-feature notices,
    cuInit errors on machines without a GPU driver) must not reach the terminal."""
    np.save(tmp_path / "batch.npy", images(2))
    environ = {key: value for key, value in os.environ.items()
               if key not in ("TF_CPP_MIN_LOG_LEVEL", "CNN_EXPLAIN_TF_VERBOSE")}
    run = subprocess.run(
        [sys.executable, "-m", "cnn_explain_tf.cli", "explain", "--model", str(model_path),
         "--images", str(tmp_path / "batch.npy"), "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=300, check=False, env=environ)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout + run.stderr == f"wrote 2 overlays (.png) and maps (.npy) to " \
        f"{tmp_path / 'out'}\n"


def test_a_corrupt_model_file_is_reported_as_such(tmp_path, capsys):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 truncated")
    np.save(tmp_path / "one.npy", images(1))
    assert cli.main(["explain", "--model", str(tmp_path / "broken.keras"), "--images",
                     str(tmp_path / "one.npy"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "model: " in error and "is not a readable .keras file" in error
    assert "File not found" not in error


def test_verbose_is_accepted_before_and_after_the_command():
    parser = cli.build_parser()
    assert parser.parse_args(["--verbose", "demo"]).verbose
    assert parser.parse_args(["demo", "--verbose"]).verbose
    assert not parser.parse_args(["demo"]).verbose


@pytest.mark.e2e
def test_demo_trains_and_writes_the_comparison_grid(tmp_path, capsys):
    assert cli.main(["demo", "--out", str(tmp_path), "--epochs", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.endswith(f"wrote {tmp_path / 'explainers.png'}\n")
    grid = cv2.imread(str(tmp_path / "explainers.png"))
    assert grid is not None and grid.shape[0] > 400 and grid.shape[1] > 1000
    assert (tmp_path / "digits__vgg_lite.keras").exists()
    assert (tmp_path / "digits__vgg_lite.json").read_text().count("test_accuracy") == 1
