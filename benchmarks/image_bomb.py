"""One request of four 10000x10000 PNGs to an exported "_bytes" signature: refused, at what memory.

Run: python benchmarks/image_bomb.py [--images 4] [--side 10000] [--max-pixels 16777216]
Exports a small classifier (16x16x3) with `images_bytes=True`, writes valid PNGs of side x side
black pixels (about 300 KB each: deflate compresses the rows of zeros) and, in a fresh process
that imports only TensorFlow, calls `probabilities_bytes` once with all of them after one
warm-up call on a small PNG. Prints whether the request was refused, its message, the time and
the increase of the process's peak RSS (`ru_maxrss`) over the warm-up's. Pass a `--max-pixels`
above side**2 to measure what decoding the same request costs without the limit.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import keras

from cnn_explain_tf import serving
from cnn_explain_tf.data.image_limits import MAX_PIXELS

REQUEST = """
import json, resource, sys, time
import tensorflow as tf
export, small, *bombs = sys.argv[1:]
signature = tf.saved_model.load(export).signatures["probabilities_bytes"]
read = lambda path: open(path, "rb").read()
signature(images_bytes=tf.constant([read(small)]))  # warm-up: graph and kernels loaded
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started, refused, message = time.perf_counter(), False, ""
try:
    signature(images_bytes=tf.constant([read(path) for path in bombs]))
except tf.errors.InvalidArgumentError as error:
    refused, message = True, next(l for l in str(error).splitlines() if "assertion" in l)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "message": message, "seconds": time.perf_counter() - started,
                  "peak_rss_increase_mb": (after - before) / 1024}))
"""


def write_png(path: Path, side: int) -> None:
    """A valid side x side 8-bit RGB PNG of zeros, compressed row by row."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor, row, body = zlib.compressobj(9), b"\0" * (1 + 3 * side), []
    body.extend(compressor.compress(row) for _ in range(side))
    body.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", b"".join(body)) + chunk(b"IEND", b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--side", type=int, default=10_000)
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, activation="softmax")])
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        result = serving.export(model, folder / "model", images_bytes=True,
                                max_pixels=args.max_pixels, verbose=0)
        write_png(folder / "small.png", 16)
        write_png(folder / "bomb.png", args.side)
        size_kb = (folder / "bomb.png").stat().st_size / 1024
        command = [sys.executable, "-c", REQUEST, str(result.path), str(folder / "small.png"),
                   *[str(folder / "bomb.png")] * args.images]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"request: {args.images} PNGs of {args.side} x {args.side} ({size_kb:.0f} KB each), "
          f"limit {args.max_pixels} pixels")
    print(f"refused: {'yes' if measured['refused'] else 'no'}  {measured['message']}")
    print(f"time: {measured['seconds']:.2f} s")
    print(f"peak RSS increase: {measured['peak_rss_increase_mb']:.1f} MB (goal < 100 MB)")


if __name__ == "__main__":
    main()
