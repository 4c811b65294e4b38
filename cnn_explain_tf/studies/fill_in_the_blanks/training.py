"""Trains the study's classifiers: Adam with cosine decay, optionally on randomly masked images."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf.probes.fill_blanks import blank_count, patch_grid, random_masks
from cnn_explain_tf.training.fitting import build_optimizer, fit_classifier

__all__ = ["train_classifier", "training_batches"]


def training_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                     mask_probability: float = 0.0, mask_ratio: float = 0.25,
                     patch_size: int = 2) -> tf.data.Dataset:
    """Endless shuffled (images, labels) batches; each image is masked with `mask_probability`.

    A masked image is M(x) for a random mask of the probe's kind: round(mask_ratio * patches)
    random `patch_size` patches set to 0 (`probes.fill_blanks.random_masks`). Masks and the
    masked images are drawn from stateless seeds (`seed`, epoch, batch): same seed, same batches.

    Args:
        images: (N, H, W, C) float32 in [0, 1].
        labels: (N,) int class labels.
        batch_size: images per batch.
        seed: seeds the shuffle and the masks.
        mask_probability: chance in [0, 1] that an image is masked (0: plain training).
        mask_ratio: eta of the masks, in (0, 1).
        patch_size: side of a mask's patches, a divisor of H and W.
    """
    images = np.asarray(images, np.float32)
    grid = patch_grid(images.shape[1:3], patch_size)
    blanks = blank_count(grid, mask_ratio)
    batches = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
               .batch(batch_size).repeat())
    if mask_probability <= 0:
        return batches

    def mask(index, batch):
        pictures, classes = batch
        count = tf.shape(pictures)[0]
        batch_seed = tf.random.experimental.stateless_fold_in([seed, 1], index)
        masks = random_masks(batch_seed, batch_size, grid, patch_size, blanks)[:count, ..., None]
        chosen = tf.random.stateless_uniform([count, 1, 1, 1], batch_seed + 1) < mask_probability
        return tf.where(chosen, pictures * masks, pictures), classes

    # the batch counter runs on across epochs, so every epoch draws new masks
    return batches.enumerate().map(mask)


def train_classifier(model: keras.Model, images: np.ndarray, labels: np.ndarray, *, epochs: int,
                     batch_size: int, seed: int, learning_rate: float = 3e-3,
                     **masking) -> keras.Model:
    """Trains `model` in place with Adam on a cosine-decayed learning rate; returns it.

    The fit is `training.fitting.fit_classifier`, the one every training job uses.

    Args:
        model: an uncompiled softmax classifier.
        images, labels: the training split.
        epochs, batch_size: passes over the images and images per step.
        seed: seeds the batches and the masks.
        learning_rate: Adam's initial learning rate, decayed to 0 over the training steps.
        **masking: `training_batches`' mask_probability, mask_ratio and patch_size.
    """
    steps = int(np.ceil(len(images) / batch_size))
    optimizer = build_optimizer("adam", learning_rate, "cosine", epochs * steps)
    batches = training_batches(images, labels, batch_size, seed, **masking)
    fit_classifier(model, batches.prefetch(2), None, optimizer, epochs, verbose=0,
                   steps_per_epoch=steps)
    return model
