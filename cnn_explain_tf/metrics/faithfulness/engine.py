"""The one perturbation engine of the faithfulness metrics: baselines and one masked-batch step."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage

from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.validation import InputError, describe

__all__ = ["BASELINES", "Perturber", "baseline_images", "check_baseline", "ranks_of"]

BASELINES = ("black", "blur", "mean", "noise")
"""Named baselines a perturbed pixel takes its value from: 0, a Gaussian blur of the image
(sigma = max(H, W) / 8), the image's per-channel mean, seeded uniform noise in [0, 1). A number in
[0, 1] is a constant baseline; "uniform" is the older name of "noise"."""


def check_baseline(baseline, name: str = "baseline"):
    """Returns `baseline` (a name of `BASELINES`, "uniform", or a float in [0, 1]) or raises an
    InputError naming the argument `name`."""
    if isinstance(baseline, str) and baseline in (*BASELINES, "uniform"):
        return baseline
    if isinstance(baseline, (int, float, np.floating)) and not isinstance(baseline, bool) and (
            0.0 <= baseline <= 1.0):
        return float(baseline)
    raise InputError(f"{name}: expected a value in [0, 1] or one of {list(BASELINES)}, got "
                     f"{describe(baseline)}")


def baseline_images(images: np.ndarray, baseline, seed: int = 0) -> np.ndarray:
    """The (B, H, W, C) float32 images perturbed pixels are taken from (see `BASELINES`).

    "noise" draws `np.random.default_rng(seed).random(images.shape)`: one noise image per input,
    so a pixel perturbed twice keeps its value.
    """
    baseline = check_baseline(baseline)
    if baseline in ("noise", "uniform"):
        return np.random.default_rng(seed).random(images.shape, dtype=np.float32)
    if baseline == "black":
        return np.zeros_like(images)
    if baseline == "mean":
        return np.broadcast_to(images.mean(axis=(1, 2), keepdims=True), images.shape).astype(
            np.float32)
    if baseline == "blur":
        sigma = max(images.shape[1:3]) / 8
        return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="nearest")
    return np.full_like(images, baseline)


def ranks_of(maps: np.ndarray, order: str = "morf") -> np.ndarray:
    """(B, H, W) int32 rank of each pixel, 0 for the first one perturbed: the most relevant
    ("morf") or the least relevant ("lerf"); ties keep row-major order.

    One unstable sort of unique 64-bit keys, the float32 value's order-preserving bits above the
    pixel's index (the same order as a stable argsort, about 4x cheaper); -0.0 counts as 0.0.
    """
    flat = maps.reshape(len(maps), -1).astype(np.float32)
    bits = ((-flat if order == "morf" else flat) + np.float32(0.0)).view(np.uint32)
    ordered = np.where(bits >> 31, ~bits, bits | np.uint32(1 << 31)).astype(np.uint64)
    keys = (ordered << np.uint64(32)) | np.arange(flat.shape[1], dtype=np.uint64)
    order_index = (np.sort(keys, axis=1) & np.uint64(0xFFFFFFFF)).astype(np.int64)
    ranks = np.empty_like(order_index)
    np.put_along_axis(ranks, order_index, np.arange(flat.shape[1])[None], axis=1)
    return ranks.reshape(maps.shape).astype(np.int32)


class Perturber(ModelMetric):
    """The masked-batch step every faithfulness metric runs: target probabilities of images
    whose masked pixels take the baseline's values.

    `probabilities_of(images, targets, masks, steps, baseline)` follows `steps` masks per image,
    `batch_size` images per compiled call: one call of the step is one forward pass.

    Args:
        model: a classifier returning probabilities.
        batch_size: images per compiled model call.
    """

    def __init__(self, model: keras.Model, batch_size: int = 32):
        super().__init__(model, batch_size)
        self._masked = MODEL_CACHE.get(
            model, "metrics.masked", lambda: _masked_step(self._probabilities, self.input_shape))

    def probabilities_of(self, images: np.ndarray, targets: np.ndarray,
                         masks: Callable[[slice, int], np.ndarray], steps: int,
                         baseline: np.ndarray | Callable) -> np.ndarray:
        """(B, steps) target probabilities of the perturbed images.

        Args:
            images: (B, H, W, C) checked images.
            targets: (B,) int32 classes.
            masks: (images slice, step) -> (b, H, W) bool, True where the pixel is perturbed.
            steps: number of masks per image.
            baseline: (B, H, W, C) images, or (images slice, step) -> (b, H, W, C) baseline
                images of the chunk, for a baseline that depends on the mask (ROAD).
        """
        result = np.empty((len(images), steps), np.float32)
        for start in range(0, len(images), self.batch_size):
            chunk = slice(start, start + self.batch_size)
            chunk_images, chunk_targets = tf.constant(images[chunk]), tf.constant(targets[chunk])
            for step in range(steps):
                mask = masks(chunk, step)
                base = baseline(chunk, step) if callable(baseline) else baseline[chunk]
                result[chunk, step] = self._masked(chunk_images, base, mask,
                                                   chunk_targets).numpy()
        return result


def _masked_step(probabilities, input_shape: tuple[int, ...]):
    """Target probabilities of images whose masked pixels come from the baseline, as a
    tf.function traced once per batch size (it reaches the model only through `probabilities`,
    which holds it weakly)."""
    def step(images, baseline, mask, targets):
        perturbed = tf.where(mask[..., None], baseline, images)
        return tf.gather(probabilities(perturbed), targets, batch_dims=1)
    spec = [tf.TensorSpec((None, *input_shape), tf.float32)] * 2 + [
        tf.TensorSpec((None, *input_shape[:2]), tf.bool), tf.TensorSpec((None,), tf.int32)]
    return tf.function(step, input_signature=spec)
