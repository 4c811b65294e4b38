"""Fits a classifier: the optimizer recipe and the one `fit_classifier` every training job uses."""

from __future__ import annotations

import keras
import tensorflow as tf

from cnn_explain_tf.training.progress import ProgressBar
from cnn_explain_tf.validation import check_choice

__all__ = ["OPTIMIZERS", "SCHEDULES", "build_optimizer", "fit_classifier", "num_batches"]

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine")


def build_optimizer(name: str, learning_rate: float, schedule: str = "constant",
                    total_steps: int | None = None) -> keras.optimizers.Optimizer:
    """A fresh Adam, or SGD with momentum 0.9, on a constant or cosine-decayed learning rate.

    Args:
        name: "adam" or "sgd".
        learning_rate: the (initial) learning rate.
        schedule: "constant", or "cosine" to decay the rate to 0 over `total_steps`.
        total_steps: training steps of the whole run (needed by "cosine").
    """
    check_choice("optimizer", name, OPTIMIZERS)
    check_choice("schedule", schedule, SCHEDULES)
    rate = learning_rate
    if schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, total_steps)
    if name == "adam":
        return keras.optimizers.Adam(rate)
    return keras.optimizers.SGD(rate, momentum=0.9)


def fit_classifier(model: keras.Model, train_data: tf.data.Dataset,
                   test_data: tf.data.Dataset | None, optimizer: keras.optimizers.Optimizer,
                   epochs: int, verbose: int = 1, description: str | None = None, *,
                   steps_per_epoch: int | None = None) -> dict[str, float]:
    """Compiles `model` (sparse cross-entropy on its softmax), fits it and evaluates it.

    Call inside the strategy's `scope()` when the model was built under one.

    Args:
        model: a classifier with softmax outputs, such as `zoo.build(...)`.
        train_data: batched `(image, label)` data; endless data needs `steps_per_epoch`.
        test_data: batched `(image, label)` data to evaluate on; None skips the evaluation.
        optimizer: a fresh optimizer (see `build_optimizer`).
        epochs: passes over `train_data` (or over `steps_per_epoch` batches of it).
        verbose: 0 silences, 1 shows a progress bar over all training steps.
        description: label of the progress bar; defaults to the model's name.
        steps_per_epoch: batches per epoch; None runs through `train_data` each epoch.

    Returns:
        {"train_accuracy"} and, with `test_data`, {"test_accuracy", "test_loss"}, as floats.
    """
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    steps = steps_per_epoch or num_batches(train_data)
    callbacks = [ProgressBar(description or model.name, epochs, steps)] if verbose else []
    # shuffle=False: Keras cannot shuffle a tf.data.Dataset; the input pipeline does it.
    history = model.fit(train_data, epochs=epochs, verbose=0, callbacks=callbacks, shuffle=False,
                        steps_per_epoch=steps_per_epoch)
    scores = {"train_accuracy": float(history.history["accuracy"][-1])}
    if test_data is not None:
        test_loss, test_accuracy = model.evaluate(test_data, verbose=0)
        scores.update(test_accuracy=float(test_accuracy), test_loss=float(test_loss))
    return scores


def num_batches(dataset: tf.data.Dataset) -> int:
    """Batches in one pass; counted by iterating when tf.data cannot tell."""
    count = int(dataset.cardinality())
    return count if count >= 0 else int(dataset.reduce(0, lambda total, _: total + 1))
