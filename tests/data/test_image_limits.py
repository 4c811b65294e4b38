"""Image sizes read from encoded headers (PNG/JPEG/GIF/BMP/WebP) and the pixel limit on files."""

import io
import warnings

import cv2
import numpy as np
import pytest
import tensorflow as tf
from image_bombs import BOMB_SIDE, BOMBS

import cnn_explain_tf as cet
from cnn_explain_tf.data.image_limits import (
    ImageSize,
    check_image_file,
    encoded_image_size,
    image_size,
    limit_text,
)
from cnn_explain_tf.validation import InputError

PIXELS = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)


def _pil(format_: str, frames: int = 1, **options) -> bytes:
    image = pytest.importorskip("PIL.Image")
    pictures = [image.fromarray(np.roll(PIXELS, shift, axis=0)) for shift in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format_, save_all=frames > 1, append_images=pictures[1:], **options)
    return buffer.getvalue()


ENCODERS = {
    "png": lambda: tf.io.encode_png(PIXELS).numpy(),
    "jpeg": lambda: tf.io.encode_jpeg(PIXELS).numpy(),
    "jpeg-progressive": lambda: tf.io.encode_jpeg(PIXELS, progressive=True).numpy(),
    "jpeg-exif": lambda: _pil("JPEG", exif=b"Exif\0\0" + b"\0" * 64),
    "bmp": lambda: cv2.imencode(".bmp", PIXELS)[1].tobytes(),
    "gif": lambda: _pil("GIF"),
    "webp": lambda: _pil("WEBP"),
    "webp-lossless": lambda: _pil("WEBP", lossless=True),
}


@pytest.mark.parametrize("name", ENCODERS)
def test_size_of_real_encoded_images(name):
    encoded = ENCODERS[name]()
    size = image_size(encoded)
    assert size == ImageSize(name.split("-")[0], 53, 37, 1, 53 * 37)
    decoded = tf.io.decode_image(encoded, expand_animations=False)
    assert decoded.shape[:2] == (37, 53)  # the decoder agrees


def test_gif_pixels_count_every_frame():
    assert image_size(_pil("GIF", frames=5)) == ImageSize("gif", 53, 37, 5, 5 * 53 * 37)


def test_animated_webp_is_named_and_refused(tmp_path):
    encoded = _pil("WEBP", frames=3)
    assert image_size(encoded) == ImageSize("animated webp", 53, 37, 3, 3 * 53 * 37)
    (tmp_path / "a.webp").write_bytes(encoded)
    with pytest.raises(InputError, match="still WebP images, got an animated WebP of 3 frames"):
        check_image_file(tmp_path / "a.webp")


@pytest.mark.parametrize("name", BOMBS)
def test_bomb_headers_are_read(name):
    size = image_size(BOMBS[name]())
    assert (size.width, size.height, size.pixels) == (BOMB_SIDE, BOMB_SIDE, BOMB_SIDE**2)


@pytest.mark.parametrize("contents", [b"", b"GIF", b"\xff\xd8", b"\xff\xd8\xff\xda\0\2",
                                      b"BM", b"hello world", b"RIFF\0\0\0\0WEB",
                                      b"\x89PNG\r\n\x1a\n"[:5]])
def test_unknown_or_truncated_headers_give_no_size(contents):
    assert image_size(contents) is None or image_size(contents).pixels <= 0


def test_graph_function_matches_the_python_one():
    encoded = ENCODERS["jpeg"]()
    assert encoded_image_size(tf.constant(encoded)).numpy().tolist() == [2, 53, 37, 1, 1961]


@pytest.mark.parametrize("name", BOMBS)
def test_check_image_file_refuses_bombs_naming_the_limit(name, tmp_path):
    path = tmp_path / f"bomb.{name}"
    path.write_bytes(BOMBS[name]())
    with pytest.raises(InputError, match=rf"bomb.{name}: expected an image of at most 16777216 "
                                         r"pixels \(4096 x 4096\), got 10000 x 10000$"):
        check_image_file(path)


def test_check_image_file_accepts_the_limit_exactly(tmp_path):
    (tmp_path / "a.png").write_bytes(ENCODERS["png"]())
    assert check_image_file(tmp_path / "a.png", max_pixels=53 * 37).pixels == 53 * 37
    with pytest.raises(InputError, match=r"at most 1960 pixels, got 53 x 37"):
        check_image_file(tmp_path / "a.png", max_pixels=53 * 37 - 1)
    assert limit_text(4096 * 4096) == "16777216 pixels (4096 x 4096)"


def test_folder_loader_skips_a_bomb_with_a_warning_naming_it(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for index in range(2):
            cv2.imwrite(str(tmp_path / label / f"{index}.png"), PIXELS)
    (tmp_path / "a" / "bomb.png").write_bytes(BOMBS["png"]())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = cet.data.info(f"folder:{tmp_path}")
    messages = [str(w.message) for w in caught]
    assert any("bomb.png: expected an image of at most 16777216 pixels" in m for m in messages)
    assert info.image_shape == (37, 53, 3)
