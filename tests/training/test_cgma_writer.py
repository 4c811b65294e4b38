"""Tests for the CGMA writer: the build-cgma job, disjoint worker shards, classifier selection."""

import keras
import numpy as np
import pytest
from cgma_fixtures import SPEC, classifiers_dir, read_arrays, shards_dir  # noqa: F401

from cnn_explain_tf import artifacts, cli
from cnn_explain_tf.cli import build_cgma as build_cgma_command
from cnn_explain_tf.data.cgma_shards import ShardSpec
from cnn_explain_tf.explain import GradCAM
from cnn_explain_tf.explain.cgma import compute_cgma
from cnn_explain_tf.training import cgma_writer
from cnn_explain_tf.validation import InputError


def test_records_hold_image_cgma_and_the_classifiers_gradcam(shards_dir,  # noqa: F811
                                                              classifiers_dir):  # noqa: F811
    model = keras.models.load_model(classifiers_dir / "digits__tiny.keras")
    image, cgma, target = read_arrays(shards_dir)
    assert image.shape == (6, 16, 16, 3) and cgma.shape == (6, 16, 16, 3)
    assert target.shape == (6, 16, 16, 1) and image.dtype == np.float32
    gray = image[..., :1]
    np.testing.assert_allclose(cgma, compute_cgma(model, gray, k=3), atol=1e-5)
    np.testing.assert_allclose(target[..., 0], GradCAM(model)(gray), atol=1e-5)


def test_workers_build_disjoint_shards_through_the_cli(classifiers_dir, shards_dir,  # noqa: F811
                                                       tmp_path):
    for index in (0, 1):
        assert cli.main(["build-cgma", "--classifiers", str(classifiers_dir), "--out",
                         str(tmp_path), "--image-size", "16", "16", "--k", "3",
                         "--max-examples", "6", "--shard", f"{index}/2", "--quiet"]) == 0
    sharded, whole = read_arrays(tmp_path, "heldout")[0], read_arrays(shards_dir, "heldout")[0]
    assert len(list(tmp_path.glob("digits__tiny/heldout-*-of-00002.tfrecord"))) == 2
    np.testing.assert_allclose(np.sort(sharded.sum(axis=(1, 2, 3))),
                               np.sort(whole.sum(axis=(1, 2, 3))), rtol=1e-6)


def test_bad_input_is_named(classifiers_dir, tmp_path):  # noqa: F811
    too_many = ShardSpec(image_size=(16, 16), k=4, max_examples=2)
    with pytest.raises(InputError, match="k: expected at most the 3 conv layers"):
        cgma_writer.build_cgma(classifiers_dir, tmp_path, too_many, verbose=0)


def test_semantics_selects_the_classifiers(classifiers_dir, tmp_path):  # noqa: F811
    assert [p.name for p in cgma_writer.pair_paths(classifiers_dir, "similar")] == [
        "digits__tiny.keras"]
    with pytest.raises(InputError, match="semantics=dissimilar.*found none"):
        cgma_writer.pair_paths(classifiers_dir, "dissimilar")
    with pytest.raises(InputError, match=r"semantics: expected one of \['similar', 'dissimilar'\]"):
        cgma_writer.build_cgma(classifiers_dir, tmp_path, SPEC, semantics="1", verbose=0)


def test_cli_overrides():
    args = cli.build_parser().parse_args(["build-cgma", "--classifiers", "c", "--out", "o",
                                          "--preset", "paper", "--k", "4"])
    assert args.handler is build_cgma_command.run and args.semantics == "similar"
    assert args.k == 4


def test_a_corrupt_classifier_is_reported_as_such(tmp_path, capsys):
    (tmp_path / "digits__bad.keras").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "digits__bad.json").write_text("{}")
    with pytest.raises(artifacts.UnreadableModelError, match="not a readable .keras file"):
        cgma_writer.build_cgma(tmp_path, tmp_path / "out", SPEC, verbose=0)
    assert cli.main(["build-cgma", "--classifiers", str(tmp_path), "--out",
                     str(tmp_path / "out"), "--quiet"]) == 2
    assert "build-cgma: error: classifier: " in capsys.readouterr().err
