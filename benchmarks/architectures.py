"""Times the architecture study's SSIM matrices: one image, 13 models x 5 methods, one call.

Run: python benchmarks/architectures.py [--size 32] [--maps PATH/explain/maps.npz]
Times, after one warm-up each, `protocols.architectures.similarity_matrices` on the five methods'
13 x 13 matrices of one image (845 SSIMs in ONE batched tf.image.ssim call) against a Python
double loop of `metrics.map_similarity` over the same pairs, and prints both medians and the
ratio (goal: the batched call under 1 s). Maps are smooth random maps at --size (32: the quick
preset; 224: the paper's), or the first image's maps of a study run (--maps). The load average
is printed: timings on a shared CPU are upper bounds.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from timing import median_seconds, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.protocols import architectures as protocol


def smooth_maps(methods: int, models: int, size: int, seed: int = 0) -> np.ndarray:
    """(methods, models, size, size) maps in [0, 1]: random 6x6 fields, upsampled."""
    fields = np.random.default_rng(seed).random((methods * models, 6, 6)).astype(np.float32)
    return protocol.common_form(fields, (size, size)).reshape(methods, models, size, size)


def pairwise_loop(maps: np.ndarray) -> np.ndarray:
    """The same matrices from one `map_similarity` call per pair (the double loop avoided)."""
    methods, models = maps.shape[:2]
    out = np.ones((methods, models, models))
    for k in range(methods):
        for i in range(models):
            for j in range(i + 1, models):
                out[k, i, j] = out[k, j, i] = cet.metrics.map_similarity(maps[k, i:i + 1],
                                                                         maps[k, j:j + 1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--maps", help="a study's explain/maps.npz (its first image is used)")
    args = parser.parse_args()
    if args.maps:
        maps = np.nan_to_num(np.load(args.maps)["maps"][:, :, 0])
    else:
        maps = smooth_maps(5, 13, args.size)
    batched = median_seconds(lambda: protocol.similarity_matrices(maps), repeats=7)
    loop = median_seconds(lambda: pairwise_loop(maps), repeats=3)
    np.testing.assert_allclose(protocol.similarity_matrices(maps), pairwise_loop(maps), atol=1e-4)
    print_report(f"SSIM matrices of one image: {maps.shape[0]} methods x {maps.shape[1]} models, "
                 f"{maps.shape[2]}x{maps.shape[3]} maps (load average "
                 f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
                 {"one batched call": batched, "pairwise loop": loop},
                 [("batched call, seconds", batched, "< 1 s"),
                  ("pairwise loop / batched call", loop / batched, "> 1")], name_width=18)


if __name__ == "__main__":
    main()
