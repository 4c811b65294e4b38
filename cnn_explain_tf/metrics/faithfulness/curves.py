"""Patch-perturbation curves: AOPC (region perturbation), deletion and insertion AUC."""

from __future__ import annotations

import keras
import numpy as np

from cnn_explain_tf.metrics.faithfulness.engine import (
    Perturber,
    baseline_images,
    check_baseline,
)
from cnn_explain_tf.validation import check_positive_int


def patch_ranks(maps: np.ndarray, patch_size: int) -> np.ndarray:
    """(B, H, W) int32 rank of each pixel's patch, 0 for the most relevant patch.

    Patches form a non-overlapping grid of `patch_size` squares from the top-left corner (the last
    row and column may be cropped); a patch's relevance is its mean map value; ties keep row-major
    order.
    """
    batch, height, width = maps.shape
    rows, cols = -(-height // patch_size), -(-width // patch_size)
    padded = np.full((batch, rows * patch_size, cols * patch_size), np.nan, np.float64)
    padded[:, :height, :width] = maps
    means = np.nanmean(padded.reshape(batch, rows, patch_size, cols, patch_size), axis=(2, 4))
    order = np.argsort(-means.reshape(batch, -1), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(rows * cols)[None], axis=1)
    grid = ranks.reshape(batch, rows, cols).repeat(patch_size, 1).repeat(patch_size, 2)
    return grid[:, :height, :width].astype(np.int32)


class PerturbationMetric(Perturber):
    """Base of the curve metrics: perturb patches most relevant first, follow the target
    probability.

    Step k of the curve replaces the `counts[k]` most relevant patches of each image by the
    baseline (deletion) or reveals them on the baseline (insertion). Subclasses choose the counts
    and summarise the (B, steps + 1) curve.

    Args:
        model: a classifier returning probabilities.
        batch_size: images per compiled model call.
        patch_size: side of the square patches, in pixels.
        steps: number of perturbation steps.
        fill: the baseline: a value in [0, 1], "uniform" for seeded uniform noise in [0, 1)
            (one noise image per input, so a perturbed patch keeps its values), or a name of
            `engine.BASELINES`.
        seed: seed of the "uniform" baseline.
    """

    insertion = False

    def __init__(self, model: keras.Model, batch_size: int = 32, patch_size: int = 4,
                 steps: int | None = None, fill: float | str = 0.0, seed: int = 0):
        super().__init__(model, batch_size)
        self.patch_size = check_positive_int("patch_size", patch_size)
        self.steps = None if steps is None else check_positive_int("steps", steps)
        self.fill = check_baseline(fill, "fill")
        self.seed = seed

    def detailed_evaluate(self, images, maps, targets=None) -> np.ndarray:
        """(B,) per-sample summaries of the perturbation curves."""
        return self.summarize(*self.curves(images, maps, targets))

    def curves(self, images, maps, targets=None) -> tuple[np.ndarray, np.ndarray]:
        """(curves (B, steps + 1) of target probabilities, fractions (steps + 1,) of patches
        perturbed at each step)."""
        images, targets, maps = self.check_inputs(images, targets, maps=maps)
        ranks = patch_ranks(maps, self.patch_size)
        total = int(ranks.max()) + 1
        counts = self.counts(total)

        def masks(chunk, step):
            return (ranks[chunk] >= counts[step]) if self.insertion else (
                ranks[chunk] < counts[step])

        curves = self.probabilities_of(images, targets, masks, len(counts),
                                       self.baseline(images))
        return curves, counts / total

    def counts(self, num_patches: int) -> np.ndarray:
        """Number of patches perturbed at each step, starting at 0."""
        raise NotImplementedError

    def summarize(self, curves: np.ndarray, fractions: np.ndarray) -> np.ndarray:
        """(B,) scores from the (B, steps + 1) curves."""
        raise NotImplementedError

    def baseline(self, images: np.ndarray) -> np.ndarray:
        """The images the perturbed patches are taken from (`engine.baseline_images`)."""
        return baseline_images(images, self.fill, self.seed)


class AOPC(PerturbationMetric):
    """Area over the MoRF perturbation curve: the mean confidence lost while the most relevant
    patches are replaced one by one.

    Per sample, AOPC = 1/(L + 1) * sum_{k=0..L} (f(x_0) - f(x_k)), with f the probability of the
    target class, x_0 the image and x_k the image whose k most relevant patches (`patch_ranks`) are
    replaced by the baseline, one patch per step; L = `steps` (default: every patch). Higher means
    the map ranks the regions the model needs first. Samek et al. use 9x9 patches, uniform noise.

    References:
        Samek et al., "Evaluating the visualization of what a deep neural network has learned",
        IEEE TNNLS 2017, Eq. 12.
    """

    def __init__(self, model: keras.Model, batch_size: int = 32, patch_size: int = 4,
                 steps: int | None = None, fill: float | str = "uniform", seed: int = 0):
        super().__init__(model, batch_size, patch_size, steps, fill, seed)

    def counts(self, num_patches):
        return np.arange(min(self.steps or num_patches, num_patches) + 1)

    def summarize(self, curves, fractions):
        return np.mean(curves[:, :1] - curves, axis=1).astype(np.float32)


class DeletionAUC(PerturbationMetric):
    """Area under the deletion curve: the target probability while the most relevant patches are
    replaced by the baseline, against the fraction of patches removed (trapezoidal rule over
    `steps` equal steps from 0 to all patches; default one step per patch). Lower is better.

    References:
        Petsiuk et al., "RISE: Randomized Input Sampling for Explanation of Black-box Models",
        BMVC 2018, Sec. 4.1.
    """

    def counts(self, num_patches):
        return np.round(np.linspace(0, num_patches, (self.steps or num_patches) + 1)).astype(int)

    def summarize(self, curves, fractions):
        widths = np.diff(fractions)
        return (np.sum((curves[:, 1:] + curves[:, :-1]) * widths, axis=1) / 2).astype(np.float32)


class InsertionAUC(DeletionAUC):
    """Area under the insertion curve: the target probability while the most relevant patches are
    revealed on the baseline image, against the fraction revealed. Higher is better.

    References:
        Petsiuk et al., "RISE", BMVC 2018, Sec. 4.1 (the baseline here is `fill`, not a blur).
    """

    insertion = True


def aopc(model: keras.Model, images, maps, targets=None, patch_size: int = 4,
         steps: int | None = None, fill: float | str = "uniform", seed: int = 0,
         batch_size: int = 32) -> float:
    """Mean AOPC of most-relevant-first perturbation; see `AOPC`."""
    return AOPC(model, batch_size, patch_size, steps, fill, seed).evaluate(images, maps, targets)


def deletion_auc(model: keras.Model, images, maps, targets=None, patch_size: int = 4,
                 steps: int | None = None, fill: float | str = 0.0, seed: int = 0,
                 batch_size: int = 32) -> float:
    """Mean area under the deletion curve; see `DeletionAUC`."""
    return DeletionAUC(model, batch_size, patch_size, steps, fill, seed).evaluate(
        images, maps, targets)


def insertion_auc(model: keras.Model, images, maps, targets=None, patch_size: int = 4,
                  steps: int | None = None, fill: float | str = 0.0, seed: int = 0,
                  batch_size: int = 32) -> float:
    """Mean area under the insertion curve; see `InsertionAUC`."""
    return InsertionAUC(model, batch_size, patch_size, steps, fill, seed).evaluate(
        images, maps, targets)

