"""`cnn-explain explain-dataset`: one-line errors for bad arguments, and runs end to end."""

import csv

import numpy as np
import pytest
from dataset_folders import image_folder, saved_classifier

from cnn_explain_tf import batch, cli


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return saved_classifier(tmp_path_factory)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return image_folder(tmp_path_factory, 5)


def one_error_line(capsys, argv) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("cnn-explain explain-dataset: error: ")
    return err


@pytest.mark.parametrize(("data", "method", "expected"), [
    ("ftp:x", "gradcam", "data: expected tfds:NAME[:SPLIT], folder:PATH, tfrecord:GLOB or "
                         "FILE.npy, got 'ftp:x'"),
    ("folder:{folder}", "nope", "methods: expected one of ablationcam,"),
])
def test_bad_data_or_method_is_one_line(capsys, model_path, folder, tmp_path, data, method,
                                        expected):
    err = one_error_line(capsys, ["explain-dataset", "--model", str(model_path), "--data",
                                  data.format(folder=folder), "--methods", method, "--out",
                                  str(tmp_path / "out"), "--quiet"])
    assert expected in err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_one_line(capsys, model_path, folder, tmp_path):
    (tmp_path / "taken").write_text("a file")
    err = one_error_line(capsys, ["explain-dataset", "--model", str(model_path), "--data",
                                  f"folder:{folder}", "--out", str(tmp_path / "taken")])
    assert err.endswith(f"--out: expected a directory, got {tmp_path / 'taken'} (a file)")


@pytest.mark.e2e
def test_the_command_end_to_end(capsys, model_path, folder, tmp_path):
    argv = ["explain-dataset", "--model", str(model_path), "--data", f"folder:{folder}",
            "--methods", "gradcam", "gradcam++", "--out", str(tmp_path / "out"), "--metrics",
            "deletion_auc", "--overlays", "--shard-size", "2", "--batch-size", "2", "--quiet"]
    assert cli.main(argv) == 0
    line = capsys.readouterr().out.strip()
    assert line == (f"explained 5 images (1 skipped, in skipped.csv) into 3 shards (3 new) in "
                    f"{tmp_path / 'out'}: index.csv, manifest.json")
    with open(tmp_path / "out" / "index.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and all(0 <= float(r["gradcam++_deletion_auc"]) <= 1 for r in rows)
    assert len(list((tmp_path / "out" / "overlays" / "gradcam").glob("*.png"))) == 5
    assert cli.main(argv) == 0 and "(0 new)" in capsys.readouterr().out
    if __import__("importlib").util.find_spec("apache_beam"):
        beam = [*argv[:9], str(tmp_path / "beam"), *argv[10:], "--runner", "beam"]
        assert cli.main(beam) == 0
        assert (tmp_path / "beam" / "index.csv").read_text() == (
            tmp_path / "out" / "index.csv").read_text()
        assert np.array_equal(batch.load_maps(tmp_path / "beam", "gradcam")[1],
                              batch.load_maps(tmp_path / "out", "gradcam")[1])
