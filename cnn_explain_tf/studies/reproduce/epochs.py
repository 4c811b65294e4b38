"""Fig. 7: an LSFT trained on one dataset's pairs vs on all of strategy 1's, epoch by epoch."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np

from cnn_explain_tf import artifacts, pipeline, viz
from cnn_explain_tf.data import cgma_shards
from cnn_explain_tf.studies.reproduce.config import FIG7_HELDOUT, FIG7_SHOWN
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.prose import FIGURE_CAPTIONS
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.training.sft_gan import GANConfig

__all__ = ["EpochCurve", "train_by_epoch", "train_fig7"]


@dataclasses.dataclass(frozen=True)
class EpochCurve:
    """One LSFT's held-out reconstruction error after each epoch.

    Attributes:
        trained_on: the datasets whose pairs (with every architecture) it was trained on.
        mse: dataset -> mean squared error between the generated map and its Grad-CAM target on
            that dataset's held-out examples (classes held out of GAN training), per epoch.
    """

    trained_on: list[str]
    mse: dict[str, list[float]]


def train_fig7(run: Run, stage: pipeline.Stage) -> list[Path]:
    """Trains an LSFT on the first strategy-1 dataset's pairs and one on all of strategy 1's,
    with the GAN stage's recipe and seed, measuring both after every epoch (`curves.json`)
    and drawing their maps per epoch (`fig7.png`)."""
    config, shards = run.config, run.out_dir / "cgma"
    heldout = {dataset: _heldout(shards, run.pairs_of(dataset)) for dataset in config.datasets}
    shown = tuple(part[:FIG7_SHOWN] for part in heldout[config.datasets[0]])
    curves, maps = [], []
    for datasets in (config.datasets[:1], config.datasets):
        pairs = [pair for dataset in datasets for pair in run.pairs_of(dataset)]
        mse, generated = train_by_epoch(shards, pairs, config.gan, config.seed, heldout, shown)
        curves.append(EpochCurve(list(datasets), mse))
        maps.append(generated)
    artifacts.write_json([dataclasses.asdict(c) for c in curves], stage.directory / "curves.json")
    _figure(shown, maps, curves, Path(stage.directory) / "fig7.png")
    return [stage.directory / "curves.json", stage.directory / "fig7.png"]


def train_by_epoch(shards: Path, pairs: Sequence[str], config: GANConfig, seed: int,
                   heldout: Mapping[str, tuple[np.ndarray, ...]],
                   shown: tuple[np.ndarray, ...]) -> tuple[dict[str, list[float]], list]:
    """Trains an LSFT on every training example of `pairs`' shards, one epoch at a time.

    Returns:
        (dataset -> held-out MSE after each epoch, the maps of `shown` after each epoch).
    """
    keras.utils.set_random_seed(seed)
    manifest = cgma_shards.read_manifests(shards, pairs)[0]
    gan = sft_gan.build_gan("lsft", manifest["image_shape"], manifest["k"], config)
    train = cgma_shards.load_cgma_shards(shards, "train", pairs, shuffle=True, seed=seed)
    train = train.batch(config.batch_size, drop_remainder=True)
    mse: dict[str, list[float]] = {dataset: [] for dataset in heldout}
    generated = []
    for epoch in range(config.epochs):
        gan.fit(train, initial_epoch=epoch, epochs=epoch + 1, shuffle=False, verbose=0)
        for dataset, (images, cgma, target) in heldout.items():
            mse[dataset].append(float(np.mean((_generate(gan, images, cgma) - target) ** 2)))
        generated.append(_generate(gan, *shown[:2])[..., 0])
    return mse, generated


def _generate(gan: sft_gan.SFTGAN, images: np.ndarray, cgma: np.ndarray) -> np.ndarray:
    """The generator's maps, called eagerly (a few hundred small images; nothing to trace)."""
    return np.asarray(gan.generator([images, cgma], training=False), np.float32)


def _heldout(shards: Path, pairs: Sequence[str]) -> tuple[np.ndarray, ...]:
    """(images, CGMAs, Grad-CAM targets) of up to `FIG7_HELDOUT` held-out examples per
    pair, pairs in order."""
    parts = [next(iter(cgma_shards.load_cgma_shards(shards, "heldout", [pair])
                       .take(FIG7_HELDOUT).batch(FIG7_HELDOUT))) for pair in pairs]
    return tuple(np.concatenate([np.asarray(part[index]) for part in parts])
                 for index in range(3))


def _figure(shown: tuple[np.ndarray, ...], maps: Sequence[list], curves: Sequence[EpochCurve],
            path: Path) -> None:
    """Rows: each shown image under each LSFT; columns: the image, its Grad-CAM, each epoch."""
    images, _, target = shown
    rows = [(index, which) for index in range(len(images)) for which in range(len(curves))]
    columns = {"image": [images[i] for i, _ in rows],
               "Grad-CAM": [viz.overlay(images[i], target[i, ..., 0]) for i, _ in rows]}
    for epoch in range(len(maps[0])):
        columns[f"epoch {epoch + 1}"] = [viz.overlay(images[i], maps[which][epoch][i])
                                         for i, which in rows]
    labels = [f"on {', '.join(curves[which].trained_on)}" for _, which in rows]
    viz.image_grid(columns, path, row_labels=labels,
                   title=FIGURE_CAPTIONS["fig7"].format(dataset=curves[0].trained_on[0]))
