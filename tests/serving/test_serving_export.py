"""serving.export: reloaded signatures give the library's maps, in a TensorFlow-only process."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import images
from serving_checks import METHODS, assert_signatures_equal_the_library

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts


def test_signatures_equal_the_library_at_batch_1_3_7(exported, model, generator, tmp_path):
    assert_signatures_equal_the_library(exported, (*METHODS, "lsft"), model, generator, tmp_path)


def test_export_layout_and_side_car(exported):
    assert (exported.path / "saved_model.pb").is_file()
    assert exported.path.name == "1"
    assert [p.name for p in exported.path.parent.iterdir()] == ["1"]  # no temporary left
    record = artifacts.read_json(exported.path / "export.json")
    assert record["signatures"] == list(exported.signatures)
    assert exported.signatures == ("serving_default", "probabilities", *METHODS, "lsft")
    assert record["input_shape"] == [16, 16, 3] and record["generators"] == {"lsft": {"k": 3}}


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
