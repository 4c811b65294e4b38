"""Tests for CGMA shards' spec and reader: manifests, mixed k, bad specs and reads, presets."""

import dataclasses
import json

import pytest
from cgma_fixtures import SPEC, classifiers_dir, shards_dir  # noqa: F401  (shared fixtures)

from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.validation import InputError


def test_manifest_records_pair_k_layers_accuracy_and_class_split(shards_dir):  # noqa: F811
    (manifest,) = cgma_shards.read_manifests(shards_dir)
    assert manifest["pair"] == "digits__tiny" and manifest["k"] == 3
    assert manifest["layer_indices"] == [0, 1, 2] and manifest["classifier_accuracy"] == 0.5
    assert manifest["layer_names"] == ["conv1", "conv2", "conv3"]
    train, heldout = manifest["classes"]["train"], manifest["classes"]["heldout"]
    assert not set(train) & set(heldout) and len(train) + len(heldout) == 10
    assert manifest["image_shape"] == [16, 16, 3]


def test_shards_of_different_k_cannot_be_mixed(shards_dir, tmp_path):  # noqa: F811
    for name, k in (("a__x", 3), ("b__x", 4)):
        (tmp_path / name).mkdir()
        manifest = json.loads((shards_dir / "digits__tiny" / "manifest.json").read_text())
        manifest.update(pair=name, k=k)
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="expected one k for all pairs"):
        cgma_shards.load_cgma_shards(tmp_path)


def test_bad_reads_and_shards_are_named(tmp_path):
    with pytest.raises(InputError, match="shard: expected 'i/n'"):
        cgma_shards.parse_shard("2/2")
    with pytest.raises(InputError, match="found none"):
        cgma_shards.load_cgma_shards(tmp_path)
    with pytest.raises(InputError, match="split: expected one of"):
        cgma_shards.load_cgma_shards(tmp_path, "valid")


@pytest.mark.parametrize(("change", "message"), [
    ({"k": 1}, "k: expected an int >= 2, got 1"),
    ({"max_examples": 0}, "max_examples: expected an int >= 1, got 0"),
    ({"image_size": (16,)}, r"image_size: expected \(H, W\)"),
    ({"held_out_fraction": 1.0}, r"held_out_fraction: expected a fraction in \(0, 1\)"),
])
def test_bad_specs_are_refused(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(SPEC, **change)


def test_presets():
    assert cgma_shards.PRESETS["quick"] == cgma_shards.ShardSpec(image_size=(32, 32), k=8)
    assert cgma_shards.PRESETS["paper"].image_size == (64, 64)
