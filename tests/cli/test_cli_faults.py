"""Every command refuses bad input and file-system faults with status 2 and one `error:` line."""

import os
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest
from helpers import classifier, images
from image_bombs import png_bomb

from cnn_explain_tf import cli

ARGUMENTS = {  # the other required options: never read, the faults are found first
    "train-classifiers": [],
    "train-decoder": [],
    "build-cgma": ["--classifiers", "{missing}"],
    "train-gan": ["--shards", "{missing}"],
    "reproduce": ["--preset", "smoke"],
    "compare-architectures": ["--preset", "smoke"],
    "fill-in-the-blanks": ["--preset", "smoke"],
    "gan-balance": ["--classifiers", "{missing}", "--shards", "{missing}"],
    "export": ["--model", "{missing}.keras"],
    "explain": ["--model", "{missing}.keras", "--images", "{missing}.npy"],
    "demo": [],
    "evaluate": ["--model", "{missing}.keras", "--data", "digits"],
    "explain-dataset": ["--model", "{missing}.keras", "--data", "folder:{missing}"],
}
BAD_INPUT = {  # command -> (options, a fragment of the message): refused before any work
    "train-classifiers": (["--datasets", "nope"], "unknown dataset 'nope'"),
    "train-decoder": (["--dataset", "nope"], "unknown dataset 'nope'"),
    "build-cgma": ([], "classifiers: expected"),
    "train-gan": ([], "shards: expected"),
    "reproduce": (["--seeds", "-1"], "seeds: expected"),
    "compare-architectures": (["--weights", "alexnet"], "--weights: expected ARCH=PATH"),
    "fill-in-the-blanks": (["--dataset", "nope"], "unknown dataset 'nope'"),
    "gan-balance": ([], "shards: expected"),
    "export": ([], "model: expected a .keras file"),
    "explain": ([], "model: expected a .keras file"),
    "demo": (["--epochs", "0"], "epochs: expected an int >= 1, got 0"),
    "evaluate": (["--families", "speed"], "--families: expected names among"),
    "explain-dataset": ([], "model: expected a .keras file"),
}


def _argv(command, out, tmp_path, extra=()):
    missing = str(tmp_path / "missing")
    return [command, *(a.format(missing=missing) for a in ARGUMENTS[command]), *extra,
            "--out", str(out), "--quiet"]


def assert_refused(capsys, argv, fragment):
    """`cli.main(argv)` returns 2 and prints one error line holding `fragment`, no traceback."""
    status = cli.main(argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith(f"cnn-explain {argv[0]}: error: "), lines
    assert fragment in lines[0]
    assert "Traceback" not in captured.out + captured.err
    return lines[0]


def test_every_command_is_covered():
    assert set(ARGUMENTS) == set(BAD_INPUT) == set(cli.COMMANDS)


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_an_out_that_is_a_file_is_refused(command, tmp_path, capsys):
    out = tmp_path / "a_file"
    out.write_text("not a folder")
    assert_refused(capsys, _argv(command, out, tmp_path), f"--out: expected a directory, got {out}")
    assert out.read_text() == "not a folder"


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_an_out_under_a_file_is_refused(command, tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / "a_file" / "run"
    assert_refused(capsys, _argv(command, out, tmp_path),
                   f"--out: cannot create the directory {out}")


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_a_read_only_out_is_refused(command, tmp_path, capsys):
    out = tmp_path / "read_only"
    out.mkdir()
    out.chmod(0o500)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("this user (root?) can write into a 0o500 folder; the under-a-file test "
                        "covers unwritable outputs")
        assert_refused(capsys, _argv(command, out, tmp_path),
                       f"--out: expected a writable directory, got {out}")
    finally:
        out.chmod(0o700)


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_bad_input_is_refused_before_any_work(command, tmp_path, capsys):
    extra, fragment = BAD_INPUT[command]
    assert_refused(capsys, _argv(command, tmp_path / "out", tmp_path, extra), fragment)
    if command not in ("train-classifiers", "train-decoder", "gan-balance"):  # make, then check
        assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    classifier(classes=4).save(path)
    return path


@pytest.mark.parametrize("batch, extra, fragment", [
    (images(2) * 255, [], "images: expected finite values in [0, 1] in"),
    (images(2), ["--target", "99"], "targets: expected class indices in [0, 4)"),
    (images(2).astype(object), [], "images: could not read"),
    (np.array(["a", "b"]), [], "images: expected a numeric array"),
])
def test_explain_refuses_bad_batches_and_targets(model_path, tmp_path, capsys, batch, extra,
                                                 fragment):
    np.save(tmp_path / "batch.npy", batch, allow_pickle=True)
    argv = ["explain", "--model", str(model_path), "--images", str(tmp_path / "batch.npy"),
            "--out", str(tmp_path / "out"), "--quiet", *extra]
    assert_refused(capsys, argv, fragment)
    assert not list((tmp_path / "out").glob("*.png"))


def test_a_model_refused_as_unsafe_says_so_and_how_to_allow_it(tmp_path, capsys):
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Lambda(lambda x: x * 2.0),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.save(tmp_path / "lambda.keras")
    np.save(tmp_path / "one.npy", images(1))
    line = assert_refused(capsys, ["explain", "--model", str(tmp_path / "lambda.keras"),
                                   "--images", str(tmp_path / "one.npy"),
                                   "--out", str(tmp_path / "out")], "refused as unsafe")
    assert "Lambda" in line and "safe_mode=False" in line
    assert "not a readable .keras file" not in line


def test_explain_refuses_an_image_bomb_before_decoding_it(model_path, tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "bomb.png").write_bytes(png_bomb())
    line = assert_refused(capsys, ["explain", "--model", str(model_path), "--images",
                                   str(folder), "--out", str(tmp_path / "out")],
                          "expected an image of at most 16777216 pixels (4096 x 4096)")
    assert "bomb.png" in line and "10000 x 10000" in line


def test_the_command_line_pixel_limit_is_the_library_default():
    from cnn_explain_tf.cli import common
    from cnn_explain_tf.data import image_limits

    assert common.MAX_PIXELS == image_limits.MAX_PIXELS


def test_explain_names_outputs_that_cannot_collide(model_path, tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for image, name in zip(images(2), ("a.png", "a.jpg")):
        cv2.imwrite(str(folder / name), (image * 255).astype(np.uint8))
    out = tmp_path / "out"
    assert cli.main(["explain", "--model", str(model_path), "--images", str(folder),
                     "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == f"wrote 2 overlays (.png) and maps (.npy) to {out}\n"
    assert sorted(p.name for p in out.iterdir()) == [
        "a.jpg_gradcam.npy", "a.jpg_gradcam.png", "a.png_gradcam.npy", "a.png_gradcam.png"]
    assert not np.array_equal(np.load(out / "a.jpg_gradcam.npy"),
                               np.load(out / "a.png_gradcam.npy"))


def test_the_real_command_reports_an_unwritable_out_in_one_line(tmp_path):
    """End to end in a fresh process, TensorFlow's start-up noise included."""
    (tmp_path / "a_file").write_text("")
    environ = {key: value for key, value in os.environ.items()
               if key not in ("TF_CPP_MIN_LOG_LEVEL", "CNN_EXPLAIN_TF_VERBOSE")}
    run = subprocess.run(
        [sys.executable, "-m", "cnn_explain_tf.cli", "fill-in-the-blanks", "--preset", "smoke",
         "--out", str(tmp_path / "a_file" / "run")],
        capture_output=True, text=True, timeout=300, check=False, env=environ)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"cnn-explain fill-in-the-blanks: error: --out: cannot create the "
                          f"directory {tmp_path / 'a_file' / 'run'} ({tmp_path / 'a_file'} is "
                          "a file)\n")
