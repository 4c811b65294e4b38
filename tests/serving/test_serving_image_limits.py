"""The "_bytes" signatures: a pixel limit read from each header before decoding, empty batches."""

import io

import numpy as np
import pytest
import tensorflow as tf
from image_bombs import BOMBS

from cnn_explain_tf import artifacts, serving
from cnn_explain_tf.serving import SignatureBuilder
from cnn_explain_tf.validation import InputError

LIMIT_MESSAGE = (r"images_bytes: expected encoded images of at most 16777216 pixels "
                 r"\(4096 x 4096\), got 10000 x 10000\]")


@pytest.fixture(scope="module")
def loaded(exported_bytes):
    return tf.saved_model.load(str(exported_bytes.path))


def _png(height: int, width: int) -> bytes:
    pixels = np.random.default_rng(height * width).integers(0, 256, (height, width, 3), np.uint8)
    return tf.io.encode_png(pixels).numpy()


@pytest.mark.parametrize("name", BOMBS)
def test_bomb_headers_are_refused_with_the_limit(loaded, name):
    good = _png(16, 16)
    with pytest.raises(tf.errors.InvalidArgumentError, match=LIMIT_MESSAGE):
        loaded.signatures["gradcam_bytes"](images_bytes=tf.constant([good, BOMBS[name]()]),
                                           targets=tf.constant([-1, -1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=LIMIT_MESSAGE):
        loaded.signatures["probabilities_bytes"](images_bytes=tf.constant([BOMBS[name]()]))


def test_limit_is_stored_in_the_export(exported_bytes):
    assert artifacts.read_json(exported_bytes.path / "export.json")["max_pixels"] == 4096 * 4096


def test_images_at_the_limit_are_decoded_and_one_more_pixel_is_refused(model):
    function = SignatureBuilder(model, max_pixels=32 * 24).probabilities(encoded=True)
    at_limit = function({"images_bytes": tf.constant([_png(24, 32), _png(8, 8)])})
    assert at_limit["probabilities"].shape == (2, 4)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"at most 768 pixels, got 33 x 24\]"):
        function({"images_bytes": tf.constant([_png(24, 33)])})


def test_animated_webp_is_refused_before_decoding(model):
    image = pytest.importorskip("PIL.Image")
    frames = [image.fromarray(np.full((16, 16, 3), v, np.uint8)) for v in (0, 90, 180)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    function = SignatureBuilder(model).probabilities(encoded=True)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="still WebP images, got an animated WebP of 3 frames"):
        function({"images_bytes": tf.constant([buffer.getvalue()])})


def test_garbage_keeps_the_decoders_message(loaded):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        loaded.signatures["probabilities_bytes"](images_bytes=tf.constant([b"not an image"]))


@pytest.mark.parametrize("signature, inputs, name", [
    ("gradcam", {"images": tf.zeros((0, 16, 16, 3))}, "images"),
    ("probabilities", {"images": tf.zeros((0, 16, 16, 3))}, "images"),
    ("gradcam_bytes", {"images_bytes": tf.constant([], tf.string)}, "images_bytes"),
    ("probabilities_bytes", {"images_bytes": tf.constant([], tf.string)}, "images_bytes"),
])
def test_empty_batch_is_refused_with_the_library_message(loaded, signature, inputs, name):
    if "probabilities" not in signature:
        inputs = {**inputs, "targets": tf.constant([], tf.int32)}
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"{name}: expected at least one image, got an empty batch"):
        loaded.signatures[signature](**inputs)


def test_bad_max_pixels_is_refused_before_anything_is_written(model, tmp_path):
    with pytest.raises(InputError, match="max_pixels: expected an int >= 1, got 0"):
        serving.export(model, tmp_path / "m", images_bytes=True, max_pixels=0, verbose=0)
    assert not (tmp_path / "m").exists()


def test_python_calls_cast_before_the_graph_sees_the_inputs(loaded):
    """What the docstring documents: NumPy inputs are cast to the signature's dtypes first."""
    images = np.full((1, 16, 16, 3), 0.5, np.float32)
    truncated = loaded.signatures["gradcam"](images=images, targets=np.array([1.7]))
    assert truncated["targets"].numpy().tolist() == [1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected values in"):
        loaded.signatures["gradcam"](images=(images * 255).astype(np.uint8),
                                     targets=np.array([-1], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 tensor but is a float"):
        loaded.signatures["gradcam"](images=tf.constant(images), targets=tf.constant([1.7]))
