"""Reads CGMA datasets: their manifests and their shards as a `tf.data.Dataset`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

from cnn_explain_tf import artifacts
from cnn_explain_tf.data.cgma_shards.spec import MANIFEST, SPLITS
from cnn_explain_tf.validation import InputError

__all__ = ["load_cgma_shards", "read_manifests"]

FIELDS = ("image", "cgma", "target")


def read_manifests(root: str | Path, pairs: Sequence[str] | None = None) -> list[dict]:
    """The manifests of the CGMA datasets under `root` (all pairs, or `pairs`).

    Raises:
        InputError: no dataset, or datasets built with different k or image shapes (they cannot
            be mixed in one training run).
    """
    paths = sorted(Path(root).glob(f"*/{MANIFEST}"))
    manifests = [artifacts.read_json(p) for p in paths]
    manifests = [m for m in manifests if m and (not pairs or m["pair"] in pairs)]
    if not manifests:
        raise InputError(f"shards: expected CGMA datasets (*/{MANIFEST}) under {root} for pairs "
                         f"{pairs or 'any'}, found none; run `cnn-explain build-cgma` first")
    for key in ("k", "image_shape"):
        values = {m["pair"]: m[key] for m in manifests}
        if len({str(v) for v in values.values()}) > 1:
            raise InputError(f"shards: expected one {key} for all pairs of a run, got {values}")
    return manifests


def load_cgma_shards(root: str | Path, split: str = "train", pairs: Sequence[str] | None = None,
                     batch_size: int | None = None, shuffle: bool = False,
                     seed: int = 0) -> tf.data.Dataset:
    """Reads CGMA shards as a `tf.data.Dataset` of (image, cgma, target) float32 in [0, 1].

    Shapes: image (H, W, C), cgma (H, W, k), target (H, W, 1). Only shards whose JSON side-car
    exists are read (a worker still writing has none yet); the side-cars' counts give the
    dataset its cardinality.

    Args:
        root: the `build-cgma` output directory.
        split: "train" or "heldout".
        pairs: pair names ("<dataset>__<arch>") to read; None reads all.
        batch_size: None yields single examples.
        shuffle: shuffle files and examples (seeded).
        seed: the shuffle seed.

    Raises:
        InputError: unknown split, no shards, or mixed k (see `read_manifests`).
    """
    if split not in SPLITS:
        raise InputError(f"split: expected one of {list(SPLITS)}, got {split!r}")
    manifests = read_manifests(root, pairs)
    side_cars = [p for m in manifests
                 for p in sorted((Path(root) / m["pair"]).glob(f"{split}-*.json"))]
    if not side_cars:
        raise InputError(f"shards: expected {split} shards under {root}, found none")
    count = sum(artifacts.read_json(p)["count"] for p in side_cars)
    dataset = tf.data.TFRecordDataset([str(p.with_suffix(".tfrecord")) for p in side_cars],
                                      num_parallel_reads=tf.data.AUTOTUNE)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(count))
    if shuffle:
        dataset = dataset.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
    height, width, channels = manifests[0]["image_shape"]
    dataset = dataset.map(_parser(height, width, channels, manifests[0]["k"]), tf.data.AUTOTUNE)
    return dataset if batch_size is None else dataset.batch(batch_size)


def _parser(height: int, width: int, channels: int, k: int):
    """The function that decodes one serialised example into (image, cgma, target)."""
    spec = {name: tf.io.FixedLenFeature([], tf.string) for name in FIELDS}
    shapes = {"image": (height, width, channels), "cgma": (height, width, k),
              "target": (height, width, 1)}

    def parse(record):
        example = tf.io.parse_single_example(record, spec)
        return tuple(tf.reshape(tf.io.decode_raw(example[name], tf.float32), shapes[name])
                     for name in FIELDS)
    return parse
