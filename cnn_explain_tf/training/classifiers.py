"""Trains zoo classifiers on every dataset x architecture pair; saves each with a JSON side-car."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf

from cnn_explain_tf import artifacts, data
from cnn_explain_tf.models import zoo
from cnn_explain_tf.training import precision
from cnn_explain_tf.training.fitting import (
    SCHEDULES,
    build_optimizer,
    fit_classifier,
    num_batches,
)
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.training.strategy import get_strategy, is_chief
from cnn_explain_tf.validation import check_config

__all__ = ["DEFAULT_ARCHS", "PRESETS", "PairResult", "TrainConfig", "default_datasets",
           "format_table", "make_optimizer", "train_classifiers"]

QUICK_ARCHS = ("vgg_lite", "resnet_lite", "mobilenet_lite")
LITE_ARCHS = (*QUICK_ARCHS, "inception_lite")
PAPER_ARCHS = ("vgg16", "resnet50", "mobilenet")
OPTIMIZERS = ("paper", "adam", "sgd")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training recipe shared by every pair of a run; part of each pair's config hash.

    Attributes:
        epochs: passes over the training split.
        batch_size: global batch size (split across replicas).
        image_size: (H, W) the images are resized to; None keeps the dataset's size (the zoo
            upsamples inside the model when an architecture needs more).
        optimizer: "paper" (SGD for VGG families, Adam for the others), "adam" or "sgd".
        learning_rate: None for the optimizer's default (Adam 1e-3, SGD 1e-2 with momentum 0.9).
        schedule: "constant" or "cosine" (decays the learning rate to 0 over the run, which also
            lets batch-norm statistics settle in short runs).
        transfer: start keras.applications bases from ImageNet weights when they can be fetched.
        max_examples: cap on the examples taken from each split; None takes all.
    """

    epochs: int
    batch_size: int = 64
    image_size: tuple[int, int] | None = None
    optimizer: str = "paper"
    learning_rate: float | None = None
    schedule: str = "constant"
    transfer: bool = False
    max_examples: int | None = None

    def __post_init__(self):
        check_config(self, positive=("epochs", "batch_size"), optional_positive=("max_examples",),
                     choices={"optimizer": OPTIMIZERS, "schedule": SCHEDULES})


PRESETS: dict[str, TrainConfig] = {
    "quick": TrainConfig(epochs=3, batch_size=64, image_size=(32, 32), optimizer="adam",
                         learning_rate=1e-2, schedule="cosine"),
    "paper": TrainConfig(epochs=20, batch_size=32, optimizer="paper", learning_rate=1e-3,
                         transfer=True),
}
"""The named recipes; `train-classifiers --preset` picks one, flags override its fields. The paper
preset uses what Sec. 4.1 of arXiv 2301.08067 states (ImageNet transfer, 20 epochs, SGD for VGG16
and Adam for ResNet and MobileNet, learning rate 1e-3); the batch size 32 and SGD's momentum 0.9
are ours (not stated)."""
DEFAULT_ARCHS: dict[str, tuple[str, ...]] = {"quick": QUICK_ARCHS, "paper": PAPER_ARCHS}
"""The architectures `train-classifiers --preset NAME` trains when --archs is not given."""


@dataclasses.dataclass(frozen=True)
class PairResult:
    """Outcome of one dataset x arch pair: "trained" or "skipped" (resumed from a matching run)."""

    dataset: str
    arch: str
    status: str
    epochs: int
    test_accuracy: float
    seconds: float
    path: Path


def default_datasets() -> list[str]:
    """The embedded datasets with similar semantics (the glyph sets), as in the paper."""
    return [name for name in data.list_datasets() if data.info(name).semantics == "similar"]


def make_optimizer(arch: str, config: TrainConfig,
                   steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The recipe's optimizer; "paper" means SGD for VGG families and Adam otherwise.

    Args:
        arch: the zoo architecture being trained.
        config: the recipe (optimizer, learning rate, schedule, epochs).
        steps_per_epoch: training batches per epoch, for the cosine schedule's length.
    """
    name = config.optimizer
    if name == "paper":
        name = "sgd" if arch.startswith("vgg") else "adam"
    rate = config.learning_rate or (1e-3 if name == "adam" else 1e-2)
    return build_optimizer(name, rate, config.schedule, config.epochs * steps_per_epoch)


def train_classifiers(out_dir: str | Path, datasets: Sequence[str] | None,
                      archs: Sequence[str], config: TrainConfig,
                      options: RunOptions | None = None) -> list[PairResult]:
    """Trains and saves a classifier for every dataset x arch pair.

    Each pair is saved as `out_dir/<dataset>__<arch>.keras` with `<dataset>__<arch>.json` beside it
    (dataset, arch, input shape, classes, epochs, accuracies, seed, config and its hash, library
    versions). Both are written to temporary names and renamed, so an interrupted run leaves no
    half-written model. Every name and size is checked before any training starts.

    Args:
        out_dir: output directory (created if needed).
        datasets: `cnn_explain_tf.data` names; None for `default_datasets()`.
        archs: `zoo.list_archs()` names (`DEFAULT_ARCHS` holds each preset's).
        config: the training recipe, e.g. `PRESETS["quick"]`.
        options: precision, tf.distribute strategy, resume, seed and verbosity (None for
            `RunOptions()`). With `options.resume`, pairs whose saved JSON has the same config
            hash are skipped (a changed config retrains); with `distribute="multiworker"` only
            the chief writes files, and resuming needs `out_dir` on a shared filesystem. The same
            seed gives the same model on the CPU.

    Returns:
        One `PairResult` per pair, in dataset-major order.

    Raises:
        ValueError: an unknown dataset or arch, or an image size an arch refuses.
    """
    options = options or RunOptions()
    distribution = get_strategy(options.distribute)
    infos = [data.info(name) for name in datasets or default_datasets()]
    archs = list(archs)
    for info in infos:
        for arch in archs:
            zoo.check_input_shape(arch, _input_shape(info, config), _weights_to_try(arch, config))
    trainer = _PairTrainer(Path(out_dir), config, distribution, options)
    results = [trainer.run(info, arch) for info in infos for arch in archs]
    if options.verbose:
        print(format_table(results))
    return results


def format_table(results: Sequence[PairResult]) -> str:
    """A plain-text summary table of pair results with a total time row."""
    rows = [f"{'dataset':<16} {'arch':<16} {'status':<8} {'epochs':>6} {'test acc':>8} "
            f"{'seconds':>8}"]
    rows += [f"{r.dataset:<16} {r.arch:<16} {r.status:<8} {r.epochs:>6} {r.test_accuracy:>8.4f} "
             f"{r.seconds:>8.1f}" for r in results]
    rows.append(f"{'total':<59} {sum(r.seconds for r in results):>8.1f}")
    return "\n".join(rows)


class _PairTrainer:
    """Trains and saves, or reuses, single pairs under one strategy, precision and seed."""

    def __init__(self, out_dir: Path, config: TrainConfig, distribution: tf.distribute.Strategy,
                 options: RunOptions):
        self.out_dir, self.config, self.distribution = out_dir, config, distribution
        self.options = options

    def run(self, info: data.DatasetInfo, arch: str) -> PairResult:
        start = time.perf_counter()
        model_path = self.out_dir / f"{info.name}__{arch}.keras"
        with precision.mixed_precision(self.options.mixed_precision) as policy:
            pair_config = {"dataset": info.name, "arch": arch, "seed": self.options.seed,
                           "dtype_policy": policy, **dataclasses.asdict(self.config)}
            digest = artifacts.config_hash(pair_config)
            saved = self._reusable_run(model_path, digest) if self.options.resume else None
            if saved:
                return PairResult(info.name, arch, "skipped", saved["epochs"],
                                  saved["test_accuracy"], time.perf_counter() - start, model_path)
            model, metrics, weights = self._train(info, arch)
        meta = {**pair_config, **metrics, "config_hash": digest, "weights_used": weights,
                "input_shape": list(_input_shape(info, self.config)),
                "num_classes": info.num_classes, "class_names": list(info.class_names),
                "distribute": type(self.distribution).__name__,
                "replicas": self.distribution.num_replicas_in_sync,
                "seconds": time.perf_counter() - start, "versions": artifacts.library_versions()}
        if is_chief(self.distribution):
            _save(model, meta, model_path)
        return PairResult(info.name, arch, "trained", self.config.epochs,
                          metrics["test_accuracy"], meta["seconds"], model_path)

    def _reusable_run(self, model_path: Path, digest: str) -> dict | None:
        """The saved JSON if it holds a finished run of this exact config, else None."""
        json_path = model_path.with_suffix(".json")
        saved = artifacts.reusable(json_path, digest, [model_path.name])
        if saved is None and self.options.verbose and json_path.exists():
            old = (artifacts.read_json(json_path) or {}).get("config_hash")
            reason = ("its model file is missing" if old == digest else
                      f"config changed (hash {old} -> {digest})")
            print(f"{model_path.stem}: {reason}; retraining")
        return saved

    def _train(self, info: data.DatasetInfo, arch: str):
        seed, verbose = self.options.seed, self.options.verbose
        keras.utils.set_random_seed(seed)
        train = _pipeline(info.name, "train", self.config, seed)
        test = _pipeline(info.name, "test", self.config, seed)
        with self.distribution.scope():
            model, weights = _build(arch, _input_shape(info, self.config), info.num_classes,
                                    self.config)
            optimizer = make_optimizer(arch, self.config, num_batches(train))
            metrics = fit_classifier(model, train, test, optimizer, self.config.epochs,
                                     verbose, f"{info.name}/{arch}")
        return model, metrics, weights


def _save(model: keras.Model, meta: dict, model_path: Path) -> None:
    """Writes the model, then its JSON; a stale JSON is removed first.

    Until the new JSON is written, no JSON vouches for the pair, so `resume` retrains it.
    """
    json_path = model_path.with_suffix(".json")
    json_path.unlink(missing_ok=True)
    artifacts.save_model(model, model_path)
    artifacts.write_json(meta, json_path)


def _weights_to_try(arch: str, config: TrainConfig) -> str | None:
    return "imagenet" if config.transfer and arch not in LITE_ARCHS else None


def _build(arch: str, input_shape: tuple, num_classes: int, config: TrainConfig):
    """The zoo model, from ImageNet weights if asked and fetchable; returns (model, weights)."""
    weights = _weights_to_try(arch, config)
    if weights:
        try:
            return zoo.build(arch, input_shape, num_classes, weights=weights), weights
        except Exception as error:  # keras.utils.get_file raises a bare Exception when offline
            warnings.warn(f"{arch}: ImageNet weights unavailable ({error}); training from scratch",
                          stacklevel=2)
    return zoo.build(arch, input_shape, num_classes), None


def _input_shape(info: data.DatasetInfo, config: TrainConfig) -> tuple[int, int, int]:
    height, width, channels = info.image_shape
    return (*config.image_size, channels) if config.image_size else (height, width, channels)


def _pipeline(dataset: str, split: str, config: TrainConfig, seed: int) -> tf.data.Dataset:
    """Batched (image, label) data: capped, shuffled each epoch (train only), prefetched."""
    images = data.load(dataset, split=split, image_size=config.image_size, seed=seed, shuffle=False)
    if config.max_examples:
        images = images.take(config.max_examples)
    if split == "train":
        images = images.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return images.batch(config.batch_size).prefetch(tf.data.AUTOTUNE).with_options(options)
