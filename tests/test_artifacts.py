"""Tests of artifacts: atomic writes, config hashes and the one "reuse if the hash matches" rule."""

import keras
import pytest

from cnn_explain_tf import artifacts
from cnn_explain_tf.validation import InputError


def test_reusable_returns_saved_json_when_hash_matches_and_artifacts_exist(tmp_path):
    digest = artifacts.config_hash({"epochs": 2})
    artifacts.write_json({"config_hash": digest, "accuracy": 0.5}, tmp_path / "model.json")
    (tmp_path / "model.keras").write_text("weights")
    saved = artifacts.reusable(tmp_path / "model.json", digest, ["model.keras"])
    assert saved == {"config_hash": digest, "accuracy": 0.5}


def test_reusable_refuses_missing_json_changed_hash_or_missing_artifact(tmp_path):
    json_path = tmp_path / "model.json"
    assert artifacts.reusable(json_path, "abc") is None  # no side-car yet
    artifacts.write_json({"config_hash": "abc"}, json_path)
    assert artifacts.reusable(json_path, "abc") == {"config_hash": "abc"}
    assert artifacts.reusable(json_path, "def") is None  # config changed
    assert artifacts.reusable(json_path, "abc", ["model.keras"]) is None  # artifact missing
    assert artifacts.reusable(json_path, "abc", [tmp_path]) is not None  # absolute paths work


def test_reusable_refuses_corrupt_or_non_object_json(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    assert artifacts.reusable(tmp_path / "bad.json", "abc") is None
    assert artifacts.reusable(tmp_path / "list.json", "abc") is None


def test_config_hash_ignores_key_order():
    assert artifacts.config_hash({"a": 1, "b": 2}) == artifacts.config_hash({"b": 2, "a": 1})
    assert artifacts.config_hash({"a": 1}) != artifacts.config_hash({"a": 2})


def test_load_model_says_truthfully_what_is_wrong(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    artifacts.save_model(model, tmp_path / "ok.keras")
    assert artifacts.load_model(tmp_path / "ok.keras").output_shape == (None, 2)
    (tmp_path / "cut.keras").write_bytes((tmp_path / "ok.keras").read_bytes()[:500])
    (tmp_path / "text.keras").write_text("not a model")
    for name in ("cut.keras", "text.keras"):
        with pytest.raises(artifacts.UnreadableModelError, match="not a readable .keras file"):
            artifacts.load_model(tmp_path / name, "classifier")
    with pytest.raises(InputError, match=r"classifier: expected a .keras file, .* \(no such"):
        artifacts.load_model(tmp_path / "missing.keras", "classifier")
