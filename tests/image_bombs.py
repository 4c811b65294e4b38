"""Encoded images whose headers claim a size their tiny bodies do not hold ("image bombs")."""

from __future__ import annotations

import struct
import zlib

BOMB_SIDE = 10_000


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A PNG header (8-bit RGB) of width x height, a few rows of data and IEND."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def jpeg_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """SOI, a JFIF APP0 segment, a baseline SOF0 of width x height (3 components), EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + components
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def gif_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A GIF89a logical screen of width x height, no colour table, one empty frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x01\x00\x00"
    return screen + frame + b"\x3b"


def bmp_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A BITMAPINFOHEADER of a 24-bit width x height bitmap, followed by 16 bytes of pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 14 + 40) + info + b"\0" * 16


BOMBS = {"png": png_bomb, "jpeg": jpeg_bomb, "gif": gif_bomb, "bmp": bmp_bomb}
