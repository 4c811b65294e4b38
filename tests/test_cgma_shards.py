"""Tests for CGMA shards: the build-cgma job, disjoint worker shards, the reader, bad input."""

import dataclasses
import json

import keras
import numpy as np
import pytest
from helpers import classifier

from cnn_explain_tf import artifacts, cgma_shards, cli
from cnn_explain_tf.explain import GradCAM
from cnn_explain_tf.explain.cgma import compute_cgma
from cnn_explain_tf.validation import InputError

SPEC = cgma_shards.ShardSpec(image_size=(16, 16), channels=3, k=3, max_examples=6)


@pytest.fixture(scope="module")
def classifiers_dir(tmp_path_factory):
    """A tiny digits classifier saved like a `train-classifiers` run (16x16 grayscale, k <= 3)."""
    root = tmp_path_factory.mktemp("classifiers")
    model = classifier(size=16, channels=1, classes=10)
    model.save(root / "digits__tiny.keras")
    meta = {"dataset": "digits", "arch": "tiny", "test_accuracy": 0.5}
    (root / "digits__tiny.json").write_text(json.dumps(meta))
    return root


@pytest.fixture(scope="module")
def shards_dir(classifiers_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    counts = cgma_shards.build_cgma(classifiers_dir, out, SPEC, verbose=0)
    assert counts == {"digits__tiny": 12}
    return out


def _arrays(root, split="train", **kwargs):
    batches = list(cgma_shards.load_cgma_shards(root, split, batch_size=64, **kwargs)
                   .as_numpy_iterator())
    return tuple(np.concatenate(parts) for parts in zip(*batches))


def test_records_hold_image_cgma_and_the_classifiers_gradcam(shards_dir, classifiers_dir):
    model = keras.models.load_model(classifiers_dir / "digits__tiny.keras")
    image, cgma, target = _arrays(shards_dir)
    assert image.shape == (6, 16, 16, 3) and cgma.shape == (6, 16, 16, 3)
    assert target.shape == (6, 16, 16, 1) and image.dtype == np.float32
    gray = image[..., :1]
    np.testing.assert_allclose(cgma, compute_cgma(model, gray, k=3), atol=1e-5)
    np.testing.assert_allclose(target[..., 0], GradCAM(model)(gray), atol=1e-5)


def test_manifest_records_pair_k_layers_accuracy_and_class_split(shards_dir):
    (manifest,) = cgma_shards.read_manifests(shards_dir)
    assert manifest["pair"] == "digits__tiny" and manifest["k"] == 3
    assert manifest["layer_indices"] == [0, 1, 2] and manifest["classifier_accuracy"] == 0.5
    assert manifest["layer_names"] == ["conv1", "conv2", "conv3"]
    train, heldout = manifest["classes"]["train"], manifest["classes"]["heldout"]
    assert not set(train) & set(heldout) and len(train) + len(heldout) == 10
    assert manifest["image_shape"] == [16, 16, 3]


def test_workers_build_disjoint_shards_through_the_cli(classifiers_dir, shards_dir, tmp_path):
    for index in (0, 1):
        assert cli.main(["build-cgma", "--classifiers", str(classifiers_dir), "--out",
                         str(tmp_path), "--image-size", "16", "16", "--k", "3",
                         "--max-examples", "6", "--shard", f"{index}/2", "--quiet"]) == 0
    sharded, whole = _arrays(tmp_path, "heldout")[0], _arrays(shards_dir, "heldout")[0]
    assert len(list(tmp_path.glob("digits__tiny/heldout-*-of-00002.tfrecord"))) == 2
    np.testing.assert_allclose(np.sort(sharded.sum(axis=(1, 2, 3))),
                               np.sort(whole.sum(axis=(1, 2, 3))), rtol=1e-6)


def test_shards_of_different_k_cannot_be_mixed(shards_dir, tmp_path):
    for name, k in (("a__x", 3), ("b__x", 4)):
        (tmp_path / name).mkdir()
        manifest = json.loads((shards_dir / "digits__tiny" / "manifest.json").read_text())
        manifest.update(pair=name, k=k)
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="expected one k for all pairs"):
        cgma_shards.load_cgma_shards(tmp_path)


def test_bad_input_is_named(classifiers_dir, tmp_path):
    too_many = cgma_shards.ShardSpec(image_size=(16, 16), k=4, max_examples=2)
    with pytest.raises(InputError, match="k: expected at most the 3 conv layers"):
        cgma_shards.build_cgma(classifiers_dir, tmp_path, too_many, verbose=0)
    with pytest.raises(InputError, match="shard: expected 'i/n'"):
        cgma_shards.parse_shard("2/2")
    with pytest.raises(InputError, match="found none"):
        cgma_shards.load_cgma_shards(tmp_path)
    with pytest.raises(InputError, match="split: expected one of"):
        cgma_shards.load_cgma_shards(tmp_path, "valid")


def test_semantics_selects_the_classifiers(classifiers_dir, tmp_path):
    assert [p.name for p in cgma_shards.pair_paths(classifiers_dir, "similar")] == [
        "digits__tiny.keras"]
    with pytest.raises(InputError, match="semantics=dissimilar.*found none"):
        cgma_shards.pair_paths(classifiers_dir, "dissimilar")
    with pytest.raises(InputError, match=r"semantics: expected one of \['similar', 'dissimilar'\]"):
        cgma_shards.build_cgma(classifiers_dir, tmp_path, SPEC, semantics="1", verbose=0)


@pytest.mark.parametrize(("change", "message"), [
    ({"k": 1}, "k: expected an int >= 2, got 1"),
    ({"max_examples": 0}, "max_examples: expected an int >= 1, got 0"),
    ({"image_size": (16,)}, r"image_size: expected \(H, W\)"),
    ({"held_out_fraction": 1.0}, r"held_out_fraction: expected a fraction in \(0, 1\)"),
])
def test_bad_specs_are_refused(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(SPEC, **change)


def test_presets_and_cli_overrides(capsys):
    assert cgma_shards.PRESETS["quick"] == cgma_shards.ShardSpec(image_size=(32, 32), k=8)
    assert cgma_shards.PRESETS["paper"].image_size == (64, 64)
    args = cli.build_parser().parse_args(["build-cgma", "--classifiers", "c", "--out", "o",
                                          "--preset", "paper", "--k", "4"])
    assert args.handler is cgma_shards.main and args.semantics == "similar" and args.k == 4


def test_a_corrupt_classifier_is_reported_as_such(tmp_path, capsys):
    (tmp_path / "digits__bad.keras").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "digits__bad.json").write_text("{}")
    with pytest.raises(artifacts.UnreadableModelError, match="not a readable .keras file"):
        cgma_shards.build_cgma(tmp_path, tmp_path / "out", SPEC, verbose=0)
    assert cli.main(["build-cgma", "--classifiers", str(tmp_path), "--out",
                     str(tmp_path / "out"), "--quiet"]) == 2
    assert "build-cgma: error: classifier: " in capsys.readouterr().err
