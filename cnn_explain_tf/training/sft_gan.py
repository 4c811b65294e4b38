"""SFT-GAN training: the recipe (GANConfig, presets), `build_gan` and the `train-gan` job."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import tensorflow as tf

from cnn_explain_tf import artifacts, data
from cnn_explain_tf.data.cgma_shards import SEMANTICS, load_cgma_shards, read_manifests
from cnn_explain_tf.models import sft
from cnn_explain_tf.training import losses, precision
from cnn_explain_tf.training.checkpoints import (
    CheckpointError,
    GeneratedMapsSummary,
    SFTGANCheckpoint,
    TrainingDivergedError,
)
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.training.sft_gan_model import SFTGAN
from cnn_explain_tf.training.strategy import get_strategy, is_chief
from cnn_explain_tf.validation import InputError, check_choice, check_config

__all__ = ["GANConfig", "PRESETS", "VARIANTS", "CheckpointError", "SFTGAN", "SFTGANCheckpoint",
           "TrainingDivergedError", "build_gan", "train_sft_gan"]

VARIANTS = {"lsft": sft.build_lsft_generator, "gsft": sft.build_gsft_generator}


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Training recipe of an SFT-GAN; saved in the generator's JSON and part of its config hash.

    The paper (arXiv 2301.08067) states none of these values: the defaults are ours, taken from
    pix2pix (Isola et al. 2017: lambda_rec 100, Adam 2e-4 with beta_1 0.5), and so are the
    presets' epochs, batch sizes and network sizes.

    Attributes:
        epochs: passes over the training shards.
        batch_size: global batch size.
        generator_size: a `sft.GENERATOR_SIZES` name or a `sft.GeneratorSize`.
        discriminator_filters, discriminator_downsamples: see `sft.build_discriminator`.
        lambda_rec, lambda_adv, reconstruction, real_label: see `SFTGAN` (real_label 1: no
            label smoothing; 0.9: one-sided smoothing, see `losses.discriminator_loss`).
        learning_rate, beta_1: Adam settings of both networks.
        discriminator_lr_scale: D's learning rate is learning_rate times this (1: the same).
        max_examples: training examples taken from each pair; None takes all.
    """

    epochs: int
    batch_size: int = 32
    generator_size: str | sft.GeneratorSize = "quick"
    discriminator_filters: int = 32
    discriminator_downsamples: int = 2
    lambda_rec: float = 100.0
    lambda_adv: float = 1.0
    reconstruction: str = "mse"
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    max_examples: int | None = None
    real_label: float = 1.0
    discriminator_lr_scale: float = 1.0

    def __post_init__(self):
        check_config(self, positive=("epochs", "batch_size", "discriminator_filters",
                                     "discriminator_downsamples"),
                     optional_positive=("max_examples",),
                     choices={"reconstruction": losses.RECONSTRUCTION})
        sft.resolve_generator_size(self.generator_size)  # raises for an unknown name
        if not 0.5 < self.real_label <= 1.0:
            raise InputError(f"real_label: expected a label in (0.5, 1], got {self.real_label!r}")
        if not 0.0 < self.discriminator_lr_scale < float("inf"):
            raise InputError(f"discriminator_lr_scale: expected a finite factor > 0, got "
                             f"{self.discriminator_lr_scale!r}")


PRESETS: dict[str, GANConfig] = {
    "quick": GANConfig(epochs=4, batch_size=32, max_examples=256, learning_rate=1e-3),
    "paper": GANConfig(epochs=50, batch_size=16, generator_size="paper",
                       discriminator_filters=64, discriminator_downsamples=3),
}
"""The named recipes; `train-gan --preset` picks one, flags override its fields. Every value is ours
(the paper states no GAN hyper-parameter); "paper" is our recipe at the paper's resolution."""


def build_gan(variant: str, image_shape, k: int, config: GANConfig) -> SFTGAN:
    """A compiled `SFTGAN` with a fresh generator of `variant` and a discriminator."""
    check_choice("variant", variant, VARIANTS)
    generator = VARIANTS[variant](tuple(image_shape), k, config.generator_size)
    discriminator = sft.build_discriminator(tuple(image_shape), config.discriminator_filters,
                                            config.discriminator_downsamples)
    gan = SFTGAN(generator, discriminator, config.lambda_rec, config.lambda_adv,
                 config.reconstruction, config.real_label)
    gan.compile(*(keras.optimizers.Adam(config.learning_rate * scale, beta_1=config.beta_1)
                  for scale in (1.0, config.discriminator_lr_scale)))
    return gan


def train_sft_gan(shards_dir: str | Path, out_dir: str | Path, variant: str, config: GANConfig,
                  *, semantics: str = "similar", options: RunOptions | None = None) -> dict:
    """Trains an LSFT or GSFT GAN on the CGMA shards of the pairs of one semantics.

    Writes `out_dir/generator.keras` and `generator.json` (variant, k, image shape, semantics,
    config and its hash, sizes, pairs, epochs, losses), checkpoints in `out_dir/checkpoints`
    (every epoch, last 3 kept) and TensorBoard scalars and images in `out_dir/logs`.

    Args:
        shards_dir: the `build-cgma` output.
        out_dir: the run directory.
        variant: "lsft" or "gsft".
        config: the recipe, e.g. `PRESETS["quick"]` (CPU) or `PRESETS["paper"]`.
        semantics: "similar" trains on the pairs of similar-semantics datasets (the paper's
            strategy 1), "dissimilar" on the others (its strategy 2).
        options: precision, tf.distribute strategy, seed (weights, shuffling), verbosity and
            resume: with `options.resume` a finished run of the same config hash is reused and
            an interrupted one continues from its latest checkpoint (epochs, weights and
            optimizer state). None for `RunOptions()`.

    Returns:
        The JSON side-car written beside the generator.

    Raises:
        InputError: bad variant or semantics, no shards, shards of different k, or existing
            checkpoints without `options.resume`.
        CheckpointError: the checkpoint to resume from cannot be restored.
        TrainingDivergedError: a loss became NaN or infinite.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 4.
    """
    start, out_dir, options = time.perf_counter(), Path(out_dir), options or RunOptions()
    check_choice("variant", variant, VARIANTS)
    manifests = _semantic_manifests(shards_dir, semantics)
    run = _run_config(variant, semantics, config, manifests, options)
    digest = artifacts.config_hash(run)
    saved = (artifacts.reusable(out_dir / "generator.json", digest, ["generator.keras"])
             if options.resume else None)
    if saved:
        return saved
    distribution = get_strategy(options.distribute)
    keras.utils.set_random_seed(options.seed)
    train = _training_data(shards_dir, manifests, config, options.seed)
    with precision.mixed_precision(options.mixed_precision), distribution.scope():
        gan = build_gan(variant, manifests[0]["image_shape"], manifests[0]["k"], config)
        saver = SFTGANCheckpoint(gan, out_dir / "checkpoints", save=is_chief(distribution))
        initial_epoch = _initial_epoch(saver, options.resume)
        history = gan.fit(train, epochs=config.epochs, initial_epoch=initial_epoch, shuffle=False,
                          verbose=options.verbose, callbacks=_callbacks(saver, out_dir, train))
    if saver.diverged:
        raise TrainingDivergedError(f"train-gan: {saver.diverged}; stopped, the last good "
                                    f"checkpoint is {saver.manager.latest_checkpoint}")
    meta = {**run, "config_hash": digest, "k": manifests[0]["k"],
            "image_shape": manifests[0]["image_shape"], "generator_size": dataclasses.asdict(
                sft.resolve_generator_size(config.generator_size)),
            "epochs": config.epochs, "initial_epoch": initial_epoch,
            "steps": int(gan.g_optimizer.iterations), "losses": {
                key: [float(v) for v in values] for key, values in history.history.items()},
            "replicas": distribution.num_replicas_in_sync, "seconds": time.perf_counter() - start,
            "versions": artifacts.library_versions()}
    if is_chief(distribution):
        artifacts.save_model(gan.generator, out_dir / "generator.keras")
        artifacts.write_json(meta, out_dir / "generator.json")
    return meta


def _run_config(variant: str, semantics: str, config: GANConfig, manifests: list[dict],
                options: RunOptions) -> dict:
    """What a finished run's generator depends on: the fields of its config hash."""
    policy = (precision.mixed_policy_name() if options.mixed_precision
              else keras.config.dtype_policy().name)
    return {"variant": variant, "semantics": semantics, "config": dataclasses.asdict(config),
            "pairs": [m["pair"] for m in manifests], "seed": options.seed,
            "dtype_policy": policy}


def _semantic_manifests(shards_dir, semantics: str) -> list[dict]:
    """Manifests of the pairs whose dataset has the given semantics (one k for all)."""
    check_choice("semantics", semantics, SEMANTICS)
    pairs = [m["pair"] for m in read_manifests(shards_dir)
             if data.info(m["dataset"]).semantics == semantics]
    if not pairs:
        raise InputError(f"shards: expected pairs of {semantics}-semantics datasets under "
                         f"{shards_dir}, found none")
    return read_manifests(shards_dir, pairs)


def _training_data(shards_dir, manifests: list[dict], config: GANConfig,
                   seed: int) -> tf.data.Dataset:
    """Capped examples of every pair, interleaved at random, batched; of known cardinality, so
    Keras never steps past the last batch."""
    per_pair = [load_cgma_shards(shards_dir, "train", [m["pair"]], shuffle=True,
                                 seed=seed).take(config.max_examples or -1)
                for m in manifests]
    examples = sum(int(d.cardinality()) for d in per_pair)
    if examples < config.batch_size:
        raise InputError(f"batch_size: expected at most the {examples} training examples, got "
                         f"{config.batch_size}")
    mixed = tf.data.Dataset.sample_from_datasets(per_pair, seed=seed)
    mixed = mixed.batch(config.batch_size, drop_remainder=True)
    cardinality = tf.data.experimental.assert_cardinality(examples // config.batch_size)
    return mixed.apply(cardinality).prefetch(tf.data.AUTOTUNE)


def _initial_epoch(saver: SFTGANCheckpoint, resume: bool) -> int:
    if not resume and saver.manager.latest_checkpoint:
        raise InputError(f"out: checkpoints already exist in {saver.directory}; pass "
                         "resume=True (--resume) to continue or choose another directory")
    return saver.restore() if resume else 0


def _callbacks(saver: SFTGANCheckpoint, out_dir: Path, train: tf.data.Dataset) -> list:
    batch = next(iter(train))
    return [saver, keras.callbacks.TensorBoard(str(out_dir / "logs"), write_graph=False),
            GeneratedMapsSummary(out_dir / "logs", batch)]
