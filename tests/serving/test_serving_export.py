"""serving.export: reloaded signatures give the library's maps, in a TensorFlow-only process."""

import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import METHODS, library_targets, run_tensorflow_only
from helpers import images

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts

BATCHES = (1, 3, 7)


def library_explainer(name, model, generator):
    return generator(model) if name == "lsft" else cet.explain.get(name)(model)


def batches():
    """(images, targets) per batch size: predicted classes for 1 and 7, given ones for 3."""
    for size in BATCHES:
        targets = np.full(size, -1, np.int32) if size != 3 else np.array([2, 0, 3], np.int32)
        yield images(size, seed=size), targets


def test_signatures_equal_the_library_at_batch_1_3_7(exported, model, generator, tmp_path):
    methods = (*METHODS, "lsft")
    cases = [(m, x, t) for m in methods for x, t in batches()]
    calls = [(m, {"images": x, "targets": t}) for m, x, t in cases]
    results, loaded_modules = run_tensorflow_only(exported.path, calls, tmp_path)
    assert loaded_modules == []  # cnn_explain_tf was never imported
    for (method, x, t), result in zip(cases, results):
        expected = library_explainer(method, model, generator)(x, library_targets(t))
        assert result["maps"].shape == (len(x), 16, 16)
        np.testing.assert_allclose(result["maps"], expected, rtol=0, atol=1e-5,
                                   err_msg=f"{method} at batch {len(x)}")
        probabilities = np.asarray(model(x))
        np.testing.assert_allclose(result["probabilities"], probabilities, atol=1e-6)
        resolved = np.where(t < 0, probabilities.argmax(axis=1), t)
        np.testing.assert_array_equal(result["targets"], resolved)


def test_export_layout_and_side_car(exported):
    assert (exported.path / "saved_model.pb").is_file()
    assert exported.path.name == "1"
    assert [p.name for p in exported.path.parent.iterdir()] == ["1"]  # no temporary left
    record = artifacts.read_json(exported.path / "export.json")
    assert record["signatures"] == list(exported.signatures)
    assert exported.signatures == ("serving_default", "probabilities", *METHODS, "lsft")
    assert record["input_shape"] == [16, 16, 3] and record["generators"] == {"lsft": {"k": 3}}


def test_saved_model_cli_runs_the_signature_like_the_server(exported, model, tmp_path):
    x = images(3, seed=11)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", np.array([-1, 1, 2], np.int32))
    done = subprocess.run(
        ["saved_model_cli", "run", "--dir", str(exported.path), "--tag_set", "serve",
         "--signature_def", "gradcam", "--inputs", f"images={tmp_path}/x.npy;"
         f"targets={tmp_path}/t.npy", "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    maps = np.load(tmp_path / "out" / "maps.npy")
    gradcam = cet.explain.GradCAM(model)
    expected = np.concatenate([gradcam(x[:1]), gradcam(x[1:], [1, 2])])
    np.testing.assert_allclose(maps, expected, rtol=0, atol=1e-5)


def test_png_bytes_equal_the_float_path_within_one_level(exported_bytes, model):
    assert exported_bytes.signatures == ("serving_default", "probabilities",
                                         "probabilities_bytes", "gradcam", "gradcam_bytes")
    loaded = tf.saved_model.load(str(exported_bytes.path))
    pixels = (images(3, size=32, seed=5) * 255).round().astype(np.uint8)  # resized in-graph
    encoded = tf.constant([tf.io.encode_png(p).numpy() for p in pixels])
    targets = tf.constant([-1, -1, -1], tf.int32)
    result = loaded.signatures["gradcam_bytes"](images_bytes=encoded, targets=targets)
    floats = tf.image.resize(pixels.astype(np.float32) / 255, (16, 16)).numpy()
    expected = cet.explain.GradCAM(model)(floats)
    assert np.abs(result["maps"].numpy() - expected).max() <= 1 / 255
    probabilities = loaded.signatures["probabilities_bytes"](images_bytes=encoded)
    np.testing.assert_allclose(probabilities["probabilities"], model(floats), atol=1 / 255)


def test_tfsm_layer_calls_a_signature_with_one_dict(exported, model):
    layer = keras.layers.TFSMLayer(str(exported.path), call_endpoint="guided_backprop")
    x = images(2, seed=3)
    result = layer({"images": x, "targets": np.array([1, 3], np.int32)})
    expected = cet.explain.GuidedBackprop(model)(x, [1, 3])
    np.testing.assert_allclose(np.asarray(result["maps"]), expected, rtol=0, atol=1e-5)
    head = keras.layers.TFSMLayer(str(exported.path), call_endpoint="serving_default")
    np.testing.assert_allclose(np.asarray(head(x)["probabilities"]), model(x), atol=1e-6)


@pytest.mark.parametrize("inputs, message", [
    ({"images": np.zeros((1, 8, 8, 3), np.float32)}, r"\[\?,16,16,3\]"),
    ({"images": np.full((2, 16, 16, 3), 1.5, np.float32)}, r"expected values in \[0, 1\]"),
    ({"images": np.full((1, 16, 16, 3), np.nan, np.float32)}, r"expected values in \[0, 1\]"),
    ({"targets": np.array([0, 1], np.int32)}, "one class index per image"),
    ({"targets": np.array([4], np.int32)}, r"class indices in \[-1, 4\)"),
    ({"targets": np.array([-2], np.int32)}, r"class indices in \[-1, 4\)"),
], ids=["size", "range", "nan", "targets-length", "targets-high", "targets-low"])
def test_bad_requests_are_refused_inside_the_graph(exported, inputs, message):
    loaded = tf.saved_model.load(str(exported.path))
    request = {"images": images(1), "targets": np.array([-1], np.int32), **inputs}
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures["gradcam"](**{k: tf.constant(v) for k, v in request.items()})
