"""CGMA datasets: sharded TFRecords of (image, CGMAs, target Grad-CAM) with JSON manifests."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, data, graph
from cnn_explain_tf.explain.cam import GradCAM
from cnn_explain_tf.explain.cgma import compute_cgma, select_layers
from cnn_explain_tf.models.sft import resize_images
from cnn_explain_tf.training.options import with_overrides
from cnn_explain_tf.validation import InputError, check_choice, check_config, check_positive_int

__all__ = ["PRESETS", "SEMANTICS", "SPLITS", "ShardSpec", "add_arguments", "build_cgma",
           "build_pair", "load_cgma_shards", "main", "pair_paths", "parse_shard", "read_manifests"]

SPLITS = ("train", "heldout")
"""train: the seen classes of the dataset's train split; heldout: the unseen classes of its test
split (the class-based split of arXiv 2301.08067, Sec. 4)."""
SOURCE_SPLIT = {"train": "train", "heldout": "test"}
SEMANTICS = ("similar", "dissimilar")
"""The semantic split of the datasets a GAN is trained on: "similar" (the glyph sets, the paper's
strategy 1) or "dissimilar" (its strategy 2); see `data.DatasetInfo.semantics`."""
MANIFEST = "manifest.json"


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """What every pair's CGMA dataset is built with; part of each manifest.

    Attributes:
        image_size: (H, W) of the GAN: images, CGMAs and targets are resized to it.
        channels: channels of the stored images (grayscale is broadcast, colour averaged).
        k: CGMAs per image.
        held_out_fraction: share of classes kept out of training (see `data.class_split`).
        seed: seeds the class split.
        max_examples: cap per pair and split (before sharding); None takes all.
    """

    image_size: tuple[int, int] = (32, 32)
    channels: int = 3
    k: int = 8
    held_out_fraction: float = 0.3
    seed: int = 0
    max_examples: int | None = None

    def __post_init__(self):
        check_config(self, positive=("channels",), optional_positive=("max_examples",))
        check_positive_int("k", self.k, minimum=2)
        check_positive_int("seed", self.seed, minimum=0)
        if len(self.image_size) != 2:
            raise InputError(f"image_size: expected (H, W), got {self.image_size!r}")
        for size in self.image_size:
            check_positive_int("image_size", size)
        if not 0 < self.held_out_fraction < 1:
            raise InputError(f"held_out_fraction: expected a fraction in (0, 1), got "
                             f"{self.held_out_fraction!r}")


PRESETS: dict[str, ShardSpec] = {"quick": ShardSpec(), "paper": ShardSpec(image_size=(64, 64))}
"""The named specs; `build-cgma --preset` picks one (32x32 for CPU runs, the paper's 64x64)."""


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n.

    Raises:
        InputError: anything else.
    """
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        index, count = -1, 0
    if not 0 <= index < count:
        raise InputError(f"shard: expected 'i/n' with 0 <= i < n, got {text!r}")
    return index, count


def pair_paths(classifiers_dir: str | Path, semantics: str | None = None,
               datasets: Sequence[str] | None = None) -> list[Path]:
    """The `<dataset>__<arch>.keras` classifiers of a `train-classifiers` run to build from.

    Args:
        classifiers_dir: the run's output directory.
        semantics: "similar" or "dissimilar" keeps the datasets of those semantics (see
            `SEMANTICS`); None keeps all.
        datasets: keep only these datasets.

    Raises:
        InputError: no classifier with a JSON side-car matches.
    """
    paths = sorted(p for p in Path(classifiers_dir).glob("*__*.keras")
                   if p.with_suffix(".json").exists())
    dataset_of = {path: path.stem.split("__")[0] for path in paths}
    if semantics is not None:
        check_choice("semantics", semantics, SEMANTICS)
        paths = [p for p in paths if data.info(dataset_of[p]).semantics == semantics]
    if datasets:
        paths = [p for p in paths if dataset_of[p] in datasets]
    if not paths:
        raise InputError(f"classifiers: expected <dataset>__<arch>.keras files with JSON "
                         f"side-cars in {classifiers_dir} (semantics={semantics}, "
                         f"datasets={datasets}), found none")
    return paths


def build_cgma(classifiers_dir: str | Path, out_dir: str | Path, spec: ShardSpec, *,
               semantics: str | None = None, datasets: Sequence[str] | None = None,
               verbose: int = 1, shard: tuple[int, int] = (0, 1),
               batch_size: int = 64) -> dict[str, int]:
    """Builds this worker's shard of the CGMA dataset of every selected classifier.

    Writes `out_dir/<dataset>__<arch>/{train,heldout}-<i>-of-<n>.tfrecord`, a JSON side-car per
    shard (count, seconds) and the pair's `manifest.json`. Workers `i/n` take the examples
    i, i+n, i+2n, ... of each split, so n workers build disjoint shards in parallel.

    Args:
        classifiers_dir: output of `train-classifiers` (`<dataset>__<arch>.keras` + JSON).
        out_dir: root of the CGMA datasets.
        spec: image size, channels, k, class split and caps, e.g. `ShardSpec()`.
        semantics, datasets: which classifiers (see `pair_paths`); None takes all.
        verbose: 0 silences the progress bars.
        shard: (i, n) this worker's shard index and the number of workers.
        batch_size: images per compiled CGMA / Grad-CAM step.

    Returns:
        {pair name: examples written by this worker}.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3.1.
    """
    paths = pair_paths(classifiers_dir, semantics, datasets)
    return {path.stem: build_pair(path, out_dir, spec, shard=shard,
                                  batch_size=batch_size, verbose=verbose) for path in paths}


def build_pair(classifier_path: str | Path, out_dir: str | Path, spec: ShardSpec,
               *, shard: tuple[int, int] = (0, 1), batch_size: int = 64,
               verbose: int = 1) -> int:
    """Builds this worker's shards of one classifier's CGMA dataset; returns examples written.

    Raises:
        InputError: the classifier has fewer conv layers than `spec.k`.
        UnreadableModelError: the classifier is not a readable `.keras` file.
    """
    classifier_path = Path(classifier_path)
    model = artifacts.load_model(classifier_path, "classifier")
    meta = artifacts.read_json(classifier_path.with_suffix(".json")) or {}
    manifest = _manifest(classifier_path.stem, model, meta, spec)
    pair_dir = Path(out_dir) / classifier_path.stem
    gradcam = GradCAM(model, batch_size=batch_size)
    total = 0
    for split in SPLITS:
        start = time.perf_counter()
        images = _split_images(manifest, split, spec, model)[shard[0]::shard[1]]
        path = pair_dir / f"{split}-{shard[0]:05d}-of-{shard[1]:05d}.tfrecord"
        bar = tqdm(total=len(images), desc=f"{classifier_path.stem}/{split}", unit="img",
                   disable=not verbose)
        with artifacts.atomic_path(path) as temporary, tf.io.TFRecordWriter(str(temporary)) as out:
            for first in range(0, len(images), 4 * batch_size):
                chunk = images[first:first + 4 * batch_size]
                _write_examples(out, _examples(model, gradcam, chunk, spec, batch_size))
                bar.update(len(chunk))
        bar.close()
        artifacts.write_json({"split": split, "shard": list(shard), "count": len(images),
                              "seconds": time.perf_counter() - start}, path.with_suffix(".json"))
        total += len(images)
    artifacts.write_json(manifest, pair_dir / MANIFEST)
    return total


def _manifest(pair: str, model: keras.Model, meta: dict, spec: ShardSpec) -> dict:
    """Pair, k, chosen layers, classifier accuracy, class split and shapes of one dataset."""
    convs = graph.conv_layers(model)
    if len(convs) < spec.k:
        raise InputError(f"k: expected at most the {len(convs)} conv layers of classifier "
                         f"{pair}, got {spec.k}")
    indices = select_layers(len(convs), spec.k)
    dataset = meta.get("dataset", pair.split("__")[0])
    train, heldout = data.class_split(data.info(dataset).num_classes, spec.held_out_fraction,
                                      spec.seed)
    return {"pair": pair, "dataset": dataset, "arch": meta.get("arch", pair.split("__")[-1]),
            "k": spec.k, "layer_indices": indices,
            "layer_names": [convs[i].name for i in indices], "num_conv_layers": len(convs),
            "classifier_accuracy": meta.get("test_accuracy"),
            "classifier_input_shape": list(graph.input_shape(model)),
            "classes": {"train": list(train), "heldout": list(heldout)},
            "image_shape": [*spec.image_size, spec.channels], "spec": dataclasses.asdict(spec),
            "versions": artifacts.library_versions()}


def _split_images(manifest: dict, split: str, spec: ShardSpec, model) -> np.ndarray:
    """The split's images at the classifier's input size (its classes only, capped)."""
    height, width = graph.input_shape(model)[:2]
    images, _ = data.load_arrays(manifest["dataset"], SOURCE_SPLIT[split], (height, width),
                                 seed=spec.seed, classes=manifest["classes"][split])
    return images[:spec.max_examples]


def _examples(model, gradcam: GradCAM, images: np.ndarray, spec: ShardSpec,
              batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, CGMAs, target Grad-CAMs) of one chunk at the GAN's size, float32 in [0, 1]."""
    cgma = compute_cgma(model, images, k=spec.k, batch_size=batch_size)
    target = gradcam(images)[..., None]
    return (np.asarray(resize_images(images, spec.image_size, spec.channels)),
            np.asarray(resize_images(cgma, spec.image_size)),
            np.asarray(resize_images(target, spec.image_size)))


def _write_examples(writer: tf.io.TFRecordWriter, arrays: tuple[np.ndarray, ...]) -> None:
    """Serialises aligned rows of (image, cgma, target) as tf.train.Examples."""
    for image, cgma, target in zip(*arrays):
        features = {name: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.tobytes()]))
                    for name, v in (("image", image), ("cgma", cgma), ("target", target))}
        writer.write(tf.train.Example(features=tf.train.Features(feature=features))
                     .SerializeToString())


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
    spec = {name: tf.io.FixedLenFeature([], tf.string) for name in ("image", "cgma", "target")}
    shapes = {"image": (height, width, channels), "cgma": (height, width, k),
              "target": (height, width, 1)}

    def parse(record):
        example = tf.io.parse_single_example(record, spec)
        return tuple(tf.reshape(tf.io.decode_raw(example[name], tf.float32), shapes[name])
                     for name in ("image", "cgma", "target"))
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `build-cgma` options to `parser` (shared by the CLI and training/)."""
    parser.add_argument("--classifiers", required=True, type=Path,
                        help="output directory of train-classifiers")
    parser.add_argument("--out", required=True, type=Path, help="output directory of the shards")
    parser.add_argument("--semantics", choices=list(SEMANTICS), default="similar",
                        help="build from the classifiers of similar-semantics datasets (the "
                             "paper's strategy 1) or of dissimilar ones (strategy 2)")
    parser.add_argument("--datasets", nargs="+", metavar="NAME", help="restrict to these datasets")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"),
                        help="override the GAN's resolution (quick 32 32, paper 64 64)")
    parser.add_argument("--k", type=int, help="override the CGMAs per image (8)")
    parser.add_argument("--held-out-fraction", type=float,
                        help="override the share of held-out classes (0.3)")
    parser.add_argument("--max-examples", type=int, help="cap per pair and split")
    parser.add_argument("--shard", default="0/1", help="i/n: build the i-th of n disjoint shards")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, help="override the class split's seed (0)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars, only the result line")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs `build_cgma` from parsed `add_arguments` options; prints one result line and
    returns the exit status (2 for bad input)."""
    start = time.perf_counter()
    try:
        overrides = {"image_size": tuple(args.image_size) if args.image_size else None,
                     "k": args.k, "held_out_fraction": args.held_out_fraction,
                     "seed": args.seed, "max_examples": args.max_examples}
        spec = with_overrides(PRESETS[args.preset], overrides)
        counts = build_cgma(args.classifiers, args.out, spec, semantics=args.semantics,
                            datasets=args.datasets, shard=parse_shard(args.shard),
                            batch_size=args.batch_size, verbose=0 if args.quiet else 1)
    except (ValueError, TypeError, OSError) as error:
        print(f"build-cgma: error: {error}", file=sys.stderr)
        return 2
    total, seconds = sum(counts.values()), time.perf_counter() - start
    print(f"wrote {total} examples of {len(counts)} pairs in {seconds:.1f} s "
          f"({total / seconds:.1f} images/s) to {args.out}")
    return 0
