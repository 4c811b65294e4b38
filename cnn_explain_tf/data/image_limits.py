"""A pixel limit for encoded images: sizes read from PNG/JPEG/GIF/BMP/WebP headers, pre-decode.

Decoding allocates memory for the size the header claims, so a small file whose header says
10000 x 10000 costs gigabytes. `encoded_image_size` reads that size (TensorFlow ops only, so it
runs inside serving graphs) and `pixel_limit_check` refuses an image above a limit before it
is decoded. `check_image_file` is the same check for files read from Python.

Pixels of a GIF count every frame (each is decoded): max(screen, sum over frames of
max(frame, screen)); an animated WebP counts frames x canvas. A format that is not recognised
gives size -1 and passes; the decoder then refuses it with its own message.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import tensorflow as tf

from cnn_explain_tf.validation import InputError

__all__ = ["FORMATS", "MAX_PIXELS", "ImageSize", "check_image_file", "encoded_image_size",
           "image_size", "limit_text", "pixel_limit_check"]

MAX_PIXELS = 4096 * 4096
"""The default limit: 16,777,216 pixels (4096 x 4096)."""
FORMATS = ("unknown", "png", "jpeg", "gif", "bmp", "webp", "animated webp")
"""Format names by the code `encoded_image_size` returns. Animated WebPs are refused by
`pixel_limit_check` and `check_image_file`: TensorFlow 2.20's `decode_image` corrupts the heap
on them (the process aborts)."""
ANIMATED_WEBP = FORMATS.index("animated webp")

_PAD = 16  # zero bytes appended, so reads past the end of a truncated header give 0
_JPEG_SOF = (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
_GIF_EXTENSION, _GIF_IMAGE = 0x21, 0x2C
_WEBP, _VP8, _VP8L, _VP8X, _ANMF = (int.from_bytes(tag, "big") for tag in (
    b"WEBP", b"VP8 ", b"VP8L", b"VP8X", b"ANMF"))


class ImageSize(NamedTuple):
    """An encoded image's size from its header: its format (`FORMATS`), width, height, frames,
    and the pixels that decoding it costs (width x height, or more for several frames)."""

    format: str
    width: int
    height: int
    frames: int
    pixels: int


def limit_text(max_pixels: int) -> str:
    """'16777216 pixels (4096 x 4096)' for a square limit, else '1000 pixels'."""
    side = math.isqrt(max_pixels)
    return f"{max_pixels} pixels" + (f" ({side} x {side})" if side * side == max_pixels else "")


class _Bytes:
    """Little/big-endian integer reads from an encoded image's bytes (int64, 0 past the end)."""

    def __init__(self, contents: tf.Tensor):
        raw = tf.io.decode_raw(contents, tf.uint8)
        self.length = tf.size(raw, out_type=tf.int64)
        self.data = tf.concat([raw, tf.zeros([_PAD], tf.uint8)], 0)
        self.steps = tf.size(raw)  # a bound on a walk whose every step moves forward

    def u8(self, at) -> tf.Tensor:
        at = tf.clip_by_value(tf.cast(at, tf.int64), 0, self.length + _PAD - 1)
        return tf.cast(tf.gather(self.data, at), tf.int64)

    def u16(self, at, big: bool) -> tf.Tensor:
        first, second = self.u8(at), self.u8(at + 1)
        return first * 256 + second if big else second * 256 + first

    def u24(self, at) -> tf.Tensor:
        return self.u16(at, big=False) + self.u8(at + 2) * 65536

    def u32(self, at, big: bool) -> tf.Tensor:
        high, low = (self.u16(at, big), self.u16(at + 2, big))
        return high * 65536 + low if big else low * 65536 + high


def _png(data: _Bytes) -> tf.Tensor:
    width, height = data.u32(16, big=True), data.u32(20, big=True)
    return tf.stack([width, height, 1, width * height])


def _bmp(data: _Bytes) -> tf.Tensor:
    core = tf.equal(data.u32(14, big=False), 12)  # BITMAPCOREHEADER: 16-bit sizes
    width = tf.where(core, data.u16(18, big=False), _signed(data.u32(18, big=False)))
    height = tf.where(core, data.u16(20, big=False), _signed(data.u32(22, big=False)))
    width, height = tf.abs(width), tf.abs(height)  # a negative height means top-down rows
    return tf.stack([width, height, 1, width * height])


def _signed(value: tf.Tensor) -> tf.Tensor:
    return tf.where(value >= 2**31, value - 2**32, value)


def _jpeg(data: _Bytes) -> tf.Tensor:
    """Walks the marker segments from SOI to the first SOFn (a bounded loop: each step moves
    forward); SOS, EOI or a byte that is not a marker before it means "unknown"."""

    def step(at, width, height, done):
        marker = data.u8(at + 1)
        fill = tf.equal(marker, 0xFF)
        frame = tf.reduce_any(tf.equal(marker, _JPEG_SOF)) & ~fill
        alone = tf.equal(marker, 0x01) | ((marker >= 0xD0) & (marker <= 0xD7))
        stop = (tf.not_equal(data.u8(at), 0xFF) | tf.equal(marker, 0xDA)
                | tf.equal(marker, 0xD9) | frame)
        width = tf.where(frame, data.u16(at + 7, big=True), width)
        height = tf.where(frame, data.u16(at + 5, big=True), height)
        size = tf.where(fill, tf.constant(1, tf.int64),
                        tf.where(alone, tf.constant(2, tf.int64), 2 + data.u16(at + 2, big=True)))
        return at + size, width, height, stop

    unknown = tf.constant(-1, tf.int64)
    _, width, height, _ = tf.while_loop(
        lambda at, width, height, done: ~done & (at < data.length), step,
        (tf.constant(2, tf.int64), unknown, unknown, tf.constant(False)),
        maximum_iterations=data.steps)
    known = width >= 0
    one = tf.constant(1, tf.int64)
    return tf.stack([width, height, tf.where(known, one, unknown),
                     tf.where(known, width * height, unknown)])


def _gif(data: _Bytes) -> tf.Tensor:
    """Counts the frames by walking the blocks (each sub-block step moves forward)."""
    width, height = data.u16(6, big=False), data.u16(8, big=False)
    screen = width * height

    def step(at, in_blocks, frames, pixels, done):
        byte = data.u8(at)
        image = ~in_blocks & tf.equal(byte, _GIF_IMAGE)
        extension = ~in_blocks & tf.equal(byte, _GIF_EXTENSION)
        area = data.u16(at + 5, big=False) * data.u16(at + 7, big=False)
        header = 10 + _color_table(data.u8(at + 9)) + 1  # descriptor, table, LZW code size
        size = tf.where(in_blocks, 1 + byte, tf.where(image, header, tf.constant(2, tf.int64)))
        done = ~in_blocks & ~image & ~extension  # the trailer, or bytes that are no block
        in_blocks = tf.where(in_blocks, tf.not_equal(byte, 0), image | extension)
        frames += tf.cast(image, tf.int64)
        pixels += tf.where(image, tf.maximum(area, screen), tf.constant(0, tf.int64))
        return at + size, in_blocks, frames, pixels, done

    zero = tf.constant(0, tf.int64)
    _, _, frames, pixels, _ = tf.while_loop(
        lambda at, in_blocks, frames, pixels, done: ~done & (at < data.length), step,
        (13 + _color_table(data.u8(10)), tf.constant(False), zero, zero, tf.constant(False)),
        maximum_iterations=data.steps)
    return tf.stack([width, height, frames, tf.maximum(pixels, screen)])


def _webp(data: _Bytes) -> tf.Tensor:
    """The canvas of the extended format (VP8X, frames counted), or the lossy (VP8) or
    lossless (VP8L) bitstream's size."""
    kind = data.u32(12, big=True)
    lossless = data.u32(21, big=False)
    width = tf.case([(tf.equal(kind, _VP8X), lambda: data.u24(24) + 1),
                     (tf.equal(kind, _VP8), lambda: data.u16(26, big=False) % 16384),
                     (tf.equal(kind, _VP8L), lambda: lossless % 16384 + 1)],
                    default=lambda: tf.constant(-1, tf.int64))
    height = tf.case([(tf.equal(kind, _VP8X), lambda: data.u24(27) + 1),
                      (tf.equal(kind, _VP8), lambda: data.u16(28, big=False) % 16384),
                      (tf.equal(kind, _VP8L), lambda: lossless // 16384 % 16384 + 1)],
                     default=lambda: tf.constant(-1, tf.int64))

    def step(at, frames):
        size = data.u32(at + 4, big=False)
        frames += tf.cast(tf.equal(data.u32(at, big=True), _ANMF), tf.int64)
        return at + 8 + size + size % 2, frames

    _, frames = tf.while_loop(lambda at, frames: at + 8 <= data.length, step,
                              (tf.constant(12, tf.int64), tf.constant(0, tf.int64)),
                              maximum_iterations=data.steps)
    code = tf.where(frames > 0, tf.constant(ANIMATED_WEBP, tf.int64), FORMATS.index("webp"))
    frames = tf.maximum(frames, 1)
    return tf.stack([code, width, height, frames,
                     tf.where(width >= 0, frames * width * height, -1)])


def _color_table(flags: tf.Tensor) -> tf.Tensor:
    """Bytes of a GIF colour table announced by a packed-fields byte (0 when absent)."""
    present = tf.bitwise.bitwise_and(flags, 0x80) > 0
    entries = tf.bitwise.left_shift(tf.constant(2, tf.int64), tf.bitwise.bitwise_and(flags, 7))
    return tf.where(present, 3 * entries, tf.constant(0, tf.int64))


def encoded_image_size(contents: tf.Tensor) -> tf.Tensor:
    """[format, width, height, frames, pixels] (int64) from the header of one encoded image.

    Args:
        contents: a scalar string tensor: PNG, JPEG, GIF, BMP or WebP bytes.

    Returns:
        the format's index in `FORMATS`; -1 for the sizes of other formats (format 0) or of a
        JPEG without a frame header before its scan.
    """
    data = _Bytes(contents)
    start = tf.strings.substr(contents, 0, 8)
    png = tf.equal(start, b"\x89PNG\r\n\x1a\n")
    jpeg = tf.equal(tf.strings.substr(start, 0, 2), b"\xff\xd8")
    gif = tf.equal(tf.strings.substr(start, 0, 6), b"GIF87a") | tf.equal(
        tf.strings.substr(start, 0, 6), b"GIF89a")
    bmp = tf.equal(tf.strings.substr(start, 0, 2), b"BM")
    webp = tf.equal(tf.strings.substr(start, 0, 4), b"RIFF") & tf.equal(
        data.u32(8, big=True), _WEBP)
    return tf.case([(png, lambda: _tagged("png", _png(data))),
                    (jpeg, lambda: _tagged("jpeg", _jpeg(data))),
                    (gif, lambda: _tagged("gif", _gif(data))),
                    (bmp, lambda: _tagged("bmp", _bmp(data))), (webp, lambda: _webp(data))],
                   default=lambda: tf.constant([0, -1, -1, -1, -1], tf.int64), exclusive=True)


def _tagged(name: str, sizes: tf.Tensor) -> tf.Tensor:
    return tf.concat([tf.constant([FORMATS.index(name)], tf.int64), sizes], 0)


def pixel_limit_check(contents: tf.Tensor, max_pixels: int, name: str = "images_bytes"
                      ) -> tf.Operation:
    """Assertions that one encoded image decodes to at most `max_pixels` pixels and is not an
    animated WebP.

    Run the decoder under `tf.control_dependencies([check])`, so a refused image is never
    decoded. The message names the limit, e.g. "images_bytes: expected encoded images of at
    most 16777216 pixels (4096 x 4096), got 10000 x 10000".
    """
    code, width, height, frames, pixels = tf.unstack(encoded_image_size(contents))
    text = tf.strings.as_string
    frames_text = tf.strings.join([" in ", text(frames), " frames (", text(pixels), " pixels)"])
    message = tf.strings.join([
        f"{name}: expected encoded images of at most {limit_text(max_pixels)}, got ",
        text(width), " x ", text(height), tf.where(frames > 1, frames_text, "")])
    still = tf.debugging.Assert(tf.not_equal(code, ANIMATED_WEBP), [tf.strings.join([
        f"{name}: {_STILL}, got an animated WebP of ", text(frames), " frames"])])
    return tf.group(still, tf.debugging.Assert(pixels <= max_pixels, [message]))


_STILL = "expected PNG, JPEG, GIF, BMP or still WebP images"
_compiled_size = tf.function(encoded_image_size,
                             input_signature=[tf.TensorSpec((), tf.string)], autograph=False)


def image_size(contents: bytes) -> ImageSize | None:
    """The header size of encoded image bytes, or None for an unrecognised format."""
    code, *sizes = (int(v) for v in _compiled_size(tf.constant(contents)).numpy())
    return ImageSize(FORMATS[code], *sizes) if code and sizes[-1] >= 0 else None


def check_image_file(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> ImageSize | None:
    """Refuses an image file whose header claims more than `max_pixels` pixels (or an animated
    WebP), before it is decoded; returns its size (None for a format it cannot read: the
    decoder decides).

    Raises:
        InputError: e.g. "photo.png: expected an image of at most 16777216 pixels
            (4096 x 4096), got 10000 x 10000".
        OSError: the file cannot be read.
    """
    with open(path, "rb") as file:
        size = image_size(file.read())
    if size is not None and size.format == "animated webp":
        raise InputError(f"{os.fspath(path)}: {_STILL}, got an animated WebP of "
                         f"{size.frames} frames")
    if size is not None and size.pixels > max_pixels:
        frames = f" in {size.frames} frames ({size.pixels} pixels)" if size.frames > 1 else ""
        raise InputError(f"{os.fspath(path)}: expected an image of at most "
                         f"{limit_text(max_pixels)}, got {size.width} x {size.height}{frames}")
    return size
