"""A tqdm progress bar over all the training steps of a Keras fit."""

from __future__ import annotations

import keras
from tqdm.auto import tqdm

__all__ = ["ProgressBar"]


class ProgressBar(keras.callbacks.Callback):
    """One tqdm bar over all training steps of a fit, with loss and accuracy after each epoch."""

    def __init__(self, description: str, epochs: int, steps_per_epoch: int):
        super().__init__()
        self.description, self.epochs = description, epochs
        self.total = epochs * steps_per_epoch

    def on_train_begin(self, logs=None):
        self.bar = tqdm(total=self.total, desc=self.description, unit="step", leave=True)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.bar.set_postfix(epoch=f"{epoch + 1}/{self.epochs}", loss=f"{logs.get('loss', 0):.3f}",
                             acc=f"{logs.get('accuracy', 0):.3f}")

    def on_train_end(self, logs=None):
        self.bar.close()
