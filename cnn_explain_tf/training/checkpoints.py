"""SFT-GAN training callbacks: checkpoints with optimizer state, NaN stop, TensorBoard maps."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
    from cnn_explain_tf.training.sft_gan_model import SFTGAN

__all__ = ["CheckpointError", "GeneratedMapsSummary", "SFTGANCheckpoint", "TrainingDivergedError"]


class CheckpointError(RuntimeError):
    """A checkpoint to resume from is corrupted, partial or does not match the models."""


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


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
