"""SFT-GAN training: the SFTGAN model (custom train_step), checkpoints, NaN stop, `train-gan`."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf

from cnn_explain_tf import artifacts, cgma_shards, data
from cnn_explain_tf.models import sft
from cnn_explain_tf.training import precision
from cnn_explain_tf.training.presets import with_overrides
from cnn_explain_tf.training.strategy import get_strategy, is_chief
from cnn_explain_tf.validation import InputError

__all__ = ["GANConfig", "PRESETS", "VARIANTS", "CheckpointError", "SFTGAN", "SFTGANCheckpoint",
           "TrainingDivergedError", "add_arguments", "build_gan", "main", "train_sft_gan"]

VARIANTS = {"lsft": sft.build_lsft_generator, "gsft": sft.build_gsft_generator}
RECONSTRUCTION = {"mse": keras.losses.mean_squared_error, "mae": keras.losses.mean_absolute_error}


class CheckpointError(RuntimeError):
    """A checkpoint to resume from is corrupted, partial or does not match the models."""


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class SFTGAN(keras.Model):
    """Conditional GAN that learns to turn (image, CGMAs) into the classifier's Grad-CAM.

    Generator loss = lambda_rec * rec(G(x, c), target) + lambda_adv * BCE(D(x, G(x, c)), real);
    discriminator loss = BCE(D(x, target), real) + BCE(D(x, G(x, c)), fake). Batches are
    `(image, cgma, target)` as read by `cgma_shards.load_cgma_shards`.

    Args:
        generator: `[image, cgma] -> heat map` (e.g. `build_lsft_generator`).
        discriminator: `[image, heat map] -> logits` (`build_discriminator`).
        lambda_rec: weight of the reconstruction loss (100 in the paper).
        lambda_adv: weight of the adversarial loss (1).
        reconstruction: "mse" or "mae".

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Eq. 7-9.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 lambda_rec: float = 100.0, lambda_adv: float = 1.0,
                 reconstruction: str = "mse", **kwargs):
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTION:
            raise InputError(f"reconstruction: expected one of {list(RECONSTRUCTION)}, "
                             f"got {reconstruction!r}")
        self.generator, self.discriminator = generator, discriminator
        self.lambda_rec, self.lambda_adv = float(lambda_rec), float(lambda_adv)
        self.reconstruction = reconstruction
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss", "rec_loss", "adv_loss")}

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, **kwargs):
        """Sets the two optimizers (wrapped for loss scaling under mixed_float16)."""
        super().compile(**kwargs)
        if keras.config.dtype_policy().name == "mixed_float16":
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, batch):
        image, cgma, target = batch
        fake = self.generator([image, cgma], training=True)
        d_loss = self._train_discriminator(image, target, fake)
        g_loss, rec_loss, adv_loss = self._train_generator(image, cgma, target)
        return self._update({"d_loss": d_loss, "g_loss": g_loss, "rec_loss": rec_loss,
                             "adv_loss": adv_loss})

    def test_step(self, batch):
        image, cgma, target = batch
        return self._update({"rec_loss": self.reconstruction_loss(
            target, self.generator([image, cgma], training=False))})

    def reconstruction_loss(self, target, generated) -> tf.Tensor:
        """Mean MSE (or MAE) between generated and target maps, in float32."""
        loss = RECONSTRUCTION[self.reconstruction](tf.cast(target, tf.float32),
                                                   tf.cast(generated, tf.float32))
        return tf.reduce_mean(loss)

    def _train_discriminator(self, image, target, fake):
        with tf.GradientTape() as tape:
            real_logits = self.discriminator([image, target], training=True)
            fake_logits = self.discriminator([image, tf.stop_gradient(fake)], training=True)
            loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
            scaled = _for_gradients(self.d_optimizer, loss)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    def _train_generator(self, image, cgma, target):
        with tf.GradientTape() as tape:
            generated = self.generator([image, cgma], training=True)
            adv_loss = _bce(self.discriminator([image, generated], training=True), 1.0)
            rec_loss = self.reconstruction_loss(target, generated)
            loss = self.lambda_rec * rec_loss + self.lambda_adv * adv_loss
            scaled = _for_gradients(self.g_optimizer, loss)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss, rec_loss, adv_loss

    def _update(self, losses: dict) -> dict:
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in losses}


def _for_gradients(optimizer: keras.optimizers.Optimizer, loss: tf.Tensor) -> tf.Tensor:
    """The loss to differentiate: divided by the replicas (whose gradients are summed) and
    scaled for mixed precision (a no-op unless the optimizer is a LossScaleOptimizer)."""
    return optimizer.scale_loss(loss / tf.distribute.get_strategy().num_replicas_in_sync)


def _bce(logits, label: float) -> tf.Tensor:
    """Mean binary cross-entropy of logits against a constant label."""
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), label), logits=logits))


class SFTGANCheckpoint(keras.callbacks.Callback):
    """Checkpoints generator, discriminator, both optimizers and the epoch after every epoch.

    Keeps the last `max_to_keep`. A NaN or infinite loss stops training at the end of its batch
    and that epoch is not saved, so the last checkpoint stays the last good one.

    Args:
        gan: a compiled `SFTGAN`.
        directory: the checkpoint directory.
        max_to_keep: checkpoints kept.
        save: False on non-chief workers (they still stop on NaN).
    """

    def __init__(self, gan: SFTGAN, directory: str | Path, max_to_keep: int = 3,
                 save: bool = True):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(
            generator=gan.generator, discriminator=gan.discriminator,
            g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer, epoch=self.epoch)
        self.directory, self.save = Path(directory), save
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory), max_to_keep)
        self.diverged: str | None = None

    def restore(self) -> int:
        """Restores the latest checkpoint with optimizer state; returns its finished epochs.

        Returns 0 when the directory holds no checkpoint.

        Raises:
            CheckpointError: the latest checkpoint is partial, corrupted or does not match.
        """
        path = self.manager.latest_checkpoint
        if path is None:
            return 0
        try:
            self.checkpoint.restore(path).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as error:
            raise CheckpointError(
                f"checkpoint: could not restore {path} ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}); it is partial, corrupted or from different "
                f"models. Delete {self.directory} to train from scratch") from error
        return int(self.epoch)

    def on_train_batch_end(self, batch, logs=None):
        bad = {key: float(v) for key, v in (logs or {}).items() if not math.isfinite(float(v))}
        if bad:
            self.diverged = (f"loss became non-finite at epoch {int(self.epoch) + 1}, batch "
                             f"{batch + 1}: {bad}")
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.diverged is None:
            self.epoch.assign(epoch + 1)
            if self.save:
                self.manager.save(checkpoint_number=epoch + 1)


class GeneratedMapsSummary(keras.callbacks.Callback):
    """Writes target and generated heat maps of a fixed batch as TensorBoard images each epoch."""

    def __init__(self, log_dir: str | Path, batch: tuple, max_outputs: int = 4):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "images"))
        self.image, self.cgma, self.target = (t[:max_outputs] for t in batch)

    def on_epoch_end(self, epoch, logs=None):
        generated = self.model.generator([self.image, self.cgma], training=False)
        with self.writer.as_default():
            tf.summary.image("image", self.image, step=epoch)
            tf.summary.image("target_gradcam", self.target, step=epoch)
            tf.summary.image("generated", tf.cast(generated, tf.float32), step=epoch)


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Training recipe of an SFT-GAN; saved in the generator's JSON.

    Attributes:
        epochs: passes over the training shards.
        batch_size: global batch size.
        generator_size: a `sft.GENERATOR_SIZES` name or a `sft.GeneratorSize`.
        discriminator_filters, discriminator_downsamples: see `sft.build_discriminator`.
        lambda_rec, lambda_adv, reconstruction: see `SFTGAN`.
        learning_rate, beta_1: Adam settings of both networks.
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


PRESETS = {
    "quick": GANConfig(epochs=4, batch_size=32, max_examples=256, learning_rate=1e-3),
    "paper": GANConfig(epochs=50, batch_size=16, generator_size="paper",
                       discriminator_filters=64, discriminator_downsamples=3),
}


def build_gan(variant: str, image_shape, k: int, config: GANConfig) -> SFTGAN:
    """A compiled `SFTGAN` with a fresh generator of `variant` and a discriminator."""
    if variant not in VARIANTS:
        raise InputError(f"variant: expected one of {list(VARIANTS)}, got {variant!r}")
    generator = VARIANTS[variant](tuple(image_shape), k, config.generator_size)
    discriminator = sft.build_discriminator(tuple(image_shape), config.discriminator_filters,
                                            config.discriminator_downsamples)
    gan = SFTGAN(generator, discriminator, config.lambda_rec, config.lambda_adv,
                 config.reconstruction)
    gan.compile(*(keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1)
                  for _ in range(2)))
    return gan


def train_sft_gan(shards_dir: str | Path, out_dir: str | Path, variant: str = "lsft",
                  strategy: int = 1, preset: str = "quick", *, config: GANConfig | None = None,
                  resume: bool = False, mixed_precision: bool = False,
                  distribute: str = "default", seed: int = 0, verbose: int = 1) -> dict:
    """Trains an LSFT or GSFT GAN on the CGMA shards of one strategy's pairs.

    Writes `out_dir/generator.keras` and `generator.json` (variant, k, image shape, sizes,
    pairs, epochs, losses), checkpoints in `out_dir/checkpoints` (every epoch, last 3 kept) and
    TensorBoard scalars and images in `out_dir/logs`.

    Args:
        shards_dir: the `build-cgma` output.
        out_dir: the run directory.
        variant: "lsft" or "gsft".
        strategy: 1 trains on the similar-semantics pairs, 2 on the dissimilar ones.
        preset: "quick" (CPU) or "paper".
        config: overrides the preset.
        resume: continue from the latest checkpoint (epochs, weights and optimizer state).
        mixed_precision: mixed_float16 on GPU, mixed_bfloat16 on CPU.
        distribute: "default", "mirrored" or "multiworker".
        seed: seeds weights and shuffling.
        verbose: 0 silences the progress bar.

    Returns:
        The JSON side-car written beside the generator.

    Raises:
        InputError: bad variant/strategy/preset, no shards, shards of different k, or existing
            checkpoints without `resume`.
        CheckpointError: the checkpoint to resume from cannot be restored.
        TrainingDivergedError: a loss became NaN or infinite.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 4.
    """
    start = time.perf_counter()
    config = config or _preset(preset)
    out_dir, distribution = Path(out_dir), get_strategy(distribute)
    manifests = _strategy_manifests(shards_dir, strategy)
    keras.utils.set_random_seed(seed)
    train = _training_data(shards_dir, manifests, config, seed)
    with precision.mixed_precision(mixed_precision) as policy, distribution.scope():
        gan = build_gan(variant, manifests[0]["image_shape"], manifests[0]["k"], config)
        saver = SFTGANCheckpoint(gan, out_dir / "checkpoints", save=is_chief(distribution))
        initial_epoch = _initial_epoch(saver, resume)
        history = gan.fit(train, epochs=config.epochs, initial_epoch=initial_epoch, shuffle=False,
                          verbose=verbose, callbacks=_callbacks(saver, out_dir, train))
    if saver.diverged:
        raise TrainingDivergedError(f"train-gan: {saver.diverged}; stopped, the last good "
                                    f"checkpoint is {saver.manager.latest_checkpoint}")
    meta = {"variant": variant, "k": manifests[0]["k"],
            "image_shape": manifests[0]["image_shape"], "strategy": strategy, "preset": preset,
            "config": dataclasses.asdict(config),
            "generator_size": dataclasses.asdict(
                sft.resolve_generator_size(config.generator_size)),
            "pairs": [m["pair"] for m in manifests], "epochs": config.epochs,
            "initial_epoch": initial_epoch, "steps": int(gan.g_optimizer.iterations),
            "losses": {key: [float(v) for v in values]
                       for key, values in history.history.items()},
            "dtype_policy": policy, "replicas": distribution.num_replicas_in_sync,
            "seed": seed, "seconds": time.perf_counter() - start,
            "versions": artifacts.library_versions()}
    if is_chief(distribution):
        artifacts.save_model(gan.generator, out_dir / "generator.keras")
        artifacts.write_json(meta, out_dir / "generator.json")
    return meta


def _preset(preset: str) -> GANConfig:
    if preset not in PRESETS:
        raise InputError(f"preset: expected one of {list(PRESETS)}, got {preset!r}")
    return PRESETS[preset]


def _strategy_manifests(shards_dir, strategy: int) -> list[dict]:
    """Manifests of the pairs whose dataset has the strategy's semantics (one k for all)."""
    if strategy not in cgma_shards.STRATEGY_SEMANTICS:
        raise InputError(f"strategy: expected 1 or 2, got {strategy!r}")
    semantics = cgma_shards.STRATEGY_SEMANTICS[strategy]
    pairs = [m["pair"] for m in cgma_shards.read_manifests(shards_dir)
             if data.info(m["dataset"]).semantics == semantics]
    if not pairs:
        raise InputError(f"shards: expected pairs of {semantics}-semantics datasets (strategy "
                         f"{strategy}) under {shards_dir}, found none")
    return cgma_shards.read_manifests(shards_dir, pairs)


def _training_data(shards_dir, manifests: list[dict], config: GANConfig,
                   seed: int) -> tf.data.Dataset:
    """Capped examples of every pair, interleaved at random, batched; of known cardinality, so
    Keras never steps past the last batch."""
    per_pair = [cgma_shards.load_cgma_shards(shards_dir, "train", [m["pair"]], shuffle=True,
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


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `train-gan` options to `parser` (shared by the CLI and training/)."""
    parser.add_argument("--shards", required=True, type=Path, help="output of build-cgma")
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    parser.add_argument("--variant", choices=list(VARIANTS), default="lsft")
    parser.add_argument("--strategy", type=int, choices=[1, 2], default=1,
                        help="1: similar-semantics pairs, 2: dissimilar ones")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--batch-size", type=int, help="override the preset's batch size")
    parser.add_argument("--max-examples", type=int, help="override the per-pair example cap")
    parser.add_argument("--reconstruction", choices=list(RECONSTRUCTION))
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--distribute", choices=["default", "mirrored", "multiworker"],
                        default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs `train_sft_gan` from parsed `add_arguments` options; returns the exit status."""
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size,
                 "max_examples": args.max_examples,
                 "reconstruction": args.reconstruction}
    try:
        config = with_overrides(_preset(args.preset), overrides)
        meta = train_sft_gan(args.shards, args.out, args.variant, args.strategy, args.preset,
                             config=config, resume=args.resume,
                             mixed_precision=args.mixed_precision, distribute=args.distribute,
                             seed=args.seed, verbose=0 if args.quiet else 1)
    except (ValueError, CheckpointError, TrainingDivergedError) as error:
        print(f"train-gan: error: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"trained {meta['variant']} on {len(meta['pairs'])} pairs in "
              f"{meta['seconds']:.1f} s; final rec_loss {meta['losses']['rec_loss'][-1]:.4f}; "
              f"wrote {args.out / 'generator.keras'}")
    return 0
