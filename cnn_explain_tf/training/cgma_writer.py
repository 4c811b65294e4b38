"""Builds CGMA datasets (the `build-cgma` job): each classifier's images, CGMAs and Grad-CAMs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf import artifacts, data, graph
from cnn_explain_tf.data.cgma_shards.reader import FIELDS
from cnn_explain_tf.data.cgma_shards.spec import (
    MANIFEST,
    SEMANTICS,
    SOURCE_SPLIT,
    SPLITS,
    ShardSpec,
)
from cnn_explain_tf.explain.cam import GradCAM
from cnn_explain_tf.explain.cgma import cgma_layers, compute_cgma, select_layers
from cnn_explain_tf.models.sft import resize_images
from cnn_explain_tf.validation import InputError, check_choice

__all__ = ["build_cgma", "build_pair", "pair_paths"]


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
        total += _write_split(model, gradcam, manifest, split, pair_dir, spec, shard=shard,
                              batch_size=batch_size, verbose=verbose)
    artifacts.write_json(manifest, pair_dir / MANIFEST)
    return total


def _write_split(model, gradcam: GradCAM, manifest: dict, split: str, pair_dir: Path,
                 spec: ShardSpec, *, shard: tuple[int, int], batch_size: int,
                 verbose: int) -> int:
    """Writes this worker's shard of one split and its JSON side-car; returns its examples."""
    start = time.perf_counter()
    images = _split_images(manifest, split, spec, model)[shard[0]::shard[1]]
    path = pair_dir / f"{split}-{shard[0]:05d}-of-{shard[1]:05d}.tfrecord"
    bar = tqdm(total=len(images), desc=f"{manifest['pair']}/{split}", unit="img",
               disable=not verbose)
    with artifacts.atomic_path(path) as temporary, tf.io.TFRecordWriter(str(temporary)) as out:
        for first in range(0, len(images), 4 * batch_size):
            chunk = images[first:first + 4 * batch_size]
            _write_examples(out, _examples(model, gradcam, chunk, spec, batch_size))
            bar.update(len(chunk))
    bar.close()
    artifacts.write_json({"split": split, "shard": list(shard), "count": len(images),
                          "seconds": time.perf_counter() - start}, path.with_suffix(".json"))
    return len(images)


def _manifest(pair: str, model: keras.Model, meta: dict, spec: ShardSpec) -> dict:
    """Pair, k, chosen layers, classifier accuracy, class split and shapes of one dataset."""
    convs = graph.conv_layers(model)
    if len(convs) < spec.k:
        raise InputError(f"k: expected at most the {len(convs)} conv layers of classifier "
                         f"{pair}, got {spec.k}")
    indices = select_layers(len(convs), spec.k)
    names = [layer.name for layer in cgma_layers(model, spec.k)]
    dataset = meta.get("dataset", pair.split("__")[0])
    train, heldout = data.class_split(data.info(dataset).num_classes, spec.held_out_fraction,
                                      spec.seed)
    return {"pair": pair, "dataset": dataset, "arch": meta.get("arch", pair.split("__")[-1]),
            "k": spec.k, "layer_indices": indices,
            "layer_names": names, "num_conv_layers": len(convs),
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
    for row in zip(*arrays):
        features = {name: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.tobytes()]))
                    for name, v in zip(FIELDS, row)}
        writer.write(tf.train.Example(features=tf.train.Features(feature=features))
                     .SerializeToString())
