"""SFT-GAN benchmark: held-out Dice vs Grad-CAM, explain/Grad-CAM time ratio, shard images/s.

Usage (after train-classifiers, build-cgma and train-gan):
    python benchmarks/sft_gan.py --classifiers runs/classifiers --shards runs/shards \
        --generators runs/lsft runs/gsft
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from timing import median_seconds

from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.explain import GradCAM, SFTGANExplainer
from cnn_explain_tf.explain.sft_gan import UNKNOWN_VARIANT_NAME, read_generator
from cnn_explain_tf.training import cgma_writer

THRESHOLD = 127 / 255
BATCH = 64


def binary_dice(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per-map Dice of two batches of maps binarised at 127/255 (two empty maps: 1)."""
    a, b = first > THRESHOLD, second > THRESHOLD
    overlap = (a & b).sum(axis=(1, 2, 3))
    total = a.sum(axis=(1, 2, 3)) + b.sum(axis=(1, 2, 3))
    return np.where(total == 0, 1.0, 2 * overlap / np.maximum(total, 1))


def heldout_dice(generator: keras.Model, shards: Path, pair: str) -> float:
    """Mean Dice between generated maps and the classifier's Grad-CAM on unseen classes."""
    scores = [binary_dice(generator([image, cgma]).numpy(), target)
              for image, cgma, target in cgma_shards.load_cgma_shards(
                  shards, "heldout", [pair], batch_size=64).as_numpy_iterator()]
    return float(np.concatenate(scores).mean())


def time_ratio(generator: keras.Model, variant: str | None, classifier: Path
               ) -> tuple[float, float]:
    """(SFTGANExplainer seconds, GradCAM seconds) on one classifier and batch of `BATCH`, both
    explainers running `BATCH` images per compiled step."""
    model = keras.models.load_model(classifier, compile=False)
    images = np.random.default_rng(0).random((BATCH, *model.input_shape[1:]), np.float32)
    gan = SFTGANExplainer(model, generator, variant, batch_size=BATCH)
    gradcam = GradCAM(model, batch_size=BATCH)
    return (median_seconds(lambda: gan(images), repeats=11),
            median_seconds(lambda: gradcam(images), repeats=11))


def shard_throughput(classifier: Path, examples: int = 256) -> float:
    """Images/s of building one pair's CGMA shards (both splits), model loading included."""
    spec = cgma_shards.ShardSpec(max_examples=examples)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        count = cgma_writer.build_pair(classifier, out, spec, verbose=0)
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifiers", type=Path, required=True)
    parser.add_argument("--shards", type=Path, required=True)
    parser.add_argument("--generators", type=Path, nargs="+", required=True,
                        help="train-gan run directories")
    parser.add_argument("--timing-pair", default="digits__vgg_lite")
    args = parser.parse_args()
    pairs = [m["pair"] for m in cgma_shards.read_manifests(args.shards)]
    for path in args.generators:
        generator, variant = read_generator(path)
        name = variant or UNKNOWN_VARIANT_NAME
        dice = {pair: heldout_dice(generator, args.shards, pair) for pair in pairs}
        for pair, value in dice.items():
            print(f"{name} held-out Dice {pair:<26} {value:.4f}")
        print(f"{name} mean held-out Dice over {len(dice)} pairs: "
              f"{np.mean(list(dice.values())):.4f}")
        explain_s, gradcam_s = time_ratio(generator, variant,
                                          args.classifiers / f"{args.timing_pair}.keras")
        print(f"{name} explain {explain_s * 1e3:.1f} ms, GradCAM {gradcam_s * 1e3:.1f} ms "
              f"per batch of {BATCH}: ratio {explain_s / gradcam_s:.2f}")
    rate = shard_throughput(args.classifiers / f"{args.timing_pair}.keras")
    print(f"CGMA shard building ({args.timing_pair}, 512 images): {rate:.1f} images/s")


if __name__ == "__main__":
    main()
