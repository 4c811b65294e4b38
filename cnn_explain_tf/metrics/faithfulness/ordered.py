"""Ordered-removal faithfulness: ROAD, pixel flipping, region perturbation and IROF."""

from __future__ import annotations

import keras
import numpy as np
from skimage.segmentation import slic

from cnn_explain_tf.metrics.faithfulness.curves import AOPC
from cnn_explain_tf.metrics.faithfulness.engine import Perturber, baseline_images, ranks_of
from cnn_explain_tf.metrics.faithfulness.imputation import noisy_linear_imputation
from cnn_explain_tf.metrics.summary import MetricResult, summarise
from cnn_explain_tf.validation import check_choice, check_positive_int

__all__ = ["ROAD_ORDERS", "ROAD_PERCENTAGES", "irof", "pixel_flipping", "region_perturbation",
           "road", "segment_ranks"]

ROAD_PERCENTAGES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""The shares of pixels ROAD removes, 10 % to 90 % (Rong et al. 2022, Fig. 4)."""
ROAD_ORDERS = ("morf", "lerf", "combined")


def prepared(model: keras.Model, images, maps, targets, batch_size: int):
    """(the engine, checked images, resolved targets, checked maps)."""
    perturber = Perturber(model, batch_size)
    return (perturber, *perturber.check_inputs(images, targets, maps=maps))


def road(model: keras.Model, images, maps, targets=None, order: str = "morf",
         percentages=ROAD_PERCENTAGES, noise: float = 0.01, seed: int = 0,
         batch_size: int = 32, tolerance: float = 5e-4) -> MetricResult:
    """ROAD, remove and debias: the target probability once a share of the pixels is removed
    (most relevant first, "morf", or least relevant first, "lerf") and imputed from their
    neighbours (`imputation.noisy_linear_imputation`), which hides the removal's shape.

    Per image, the mean over `percentages` p of f(x with the p * H * W first pixels imputed), f
    the target probability. MoRF: lower is better; LeRF: higher is better; "combined" is LeRF -
    MoRF (higher is better), the gap the paper reads a ranking from.

    References:
        Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods",
        ICML 2022, Sec. 4 (Eq. 6 imputation; MoRF / LeRF curves of Fig. 4).
    """
    check_choice("order", order, ROAD_ORDERS)
    if order == "combined":
        lerf, morf = (road(model, images, maps, targets, side, percentages, noise, seed,
                           batch_size, tolerance) for side in ("lerf", "morf"))
        return summarise("road", lerf.scores - morf.scores, True)
    perturber, images, targets, maps = prepared(model, images, maps, targets, batch_size)
    ranks = ranks_of(maps, order)
    counts = np.round(np.asarray(percentages, np.float64) * ranks[0].size).astype(int)
    imputed = _ChunkImputation(images, ranks, counts, noise, seed, tolerance)
    curves = perturber.probabilities_of(
        images, targets, lambda chunk, k: ranks[chunk] < counts[k], len(counts), imputed)
    return summarise(f"road_{order}", curves.mean(axis=1), order == "lerf", curves=curves)


class _ChunkImputation:
    """ROAD's baselines: the imputed images of every percentage of a span of images, solved in
    one call when a chunk outside the last span asks. A span holds whole chunks, as many as
    keep it within `SPAN_PIXELS` imputed pixels (at least one chunk): small images are then
    solved together, in fewer and larger graph steps, which costs less per image."""

    SPAN_PIXELS = 1 << 19

    def __init__(self, images, ranks, counts, noise: float, seed: int, tolerance: float):
        self.images, self.ranks, self.counts, self.tolerance = images, ranks, counts, tolerance
        self.noise, self.seed, self.span, self.imputed = noise, seed, range(0), None

    def __call__(self, chunk: slice, step: int) -> np.ndarray:
        if chunk.start not in self.span:
            length = chunk.stop - chunk.start
            per_chunk = length * len(self.counts) * self.images[0].size
            self.span = range(chunk.start, chunk.start + length * max(
                1, self.SPAN_PIXELS // per_chunk))
            images = self.images[self.span.start:self.span.stop]
            removed = self.ranks[self.span.start:self.span.stop][:, None] < self.counts[
                None, :, None, None]
            self.imputed = noisy_linear_imputation(images, removed, self.noise, self.seed,
                                                   self.tolerance)
        start = chunk.start - self.span.start
        return self.imputed[start:start + chunk.stop - chunk.start, step]


def pixel_flipping(model: keras.Model, images, maps, targets=None, steps: int = 16,
                   baseline="black", seed: int = 0, batch_size: int = 32) -> MetricResult:
    """Pixel flipping: the target probability while the most relevant pixels are set to the
    baseline, in `steps` equal shares of the image.

    Per image, 1/L * sum_{k=1..L} f(x_k), x_k the image whose k/L most relevant pixels are
    flipped (the normalised area under the curve). Lower is better.

    References:
        Bach et al., "On Pixel-Wise Explanations for Non-Linear Classifier Decisions by
        Layer-Wise Relevance Propagation", PLoS ONE 2015, Sec. 3 ("pixel-flipping").
    """
    steps = check_positive_int("steps", steps)
    perturber, images, targets, maps = prepared(model, images, maps, targets, batch_size)
    ranks = ranks_of(maps, "morf")
    counts = np.round(np.linspace(0, ranks[0].size, steps + 1)[1:]).astype(int)
    curves = perturber.probabilities_of(images, targets, lambda chunk, k: ranks[chunk] < counts[k],
                                        steps, baseline_images(images, baseline, seed))
    return summarise("pixel_flipping", curves.mean(axis=1), False, curves=curves)


def region_perturbation(model: keras.Model, images, maps, targets=None, patch_size: int = 4,
                        steps: int | None = None, baseline="noise", seed: int = 0,
                        batch_size: int = 32) -> MetricResult:
    """Region perturbation: the per-image AOPC of `curves.AOPC` (most relevant patches first,
    Eq. 12 of Samek et al.), as a `MetricResult`. Higher is better.

    References:
        Samek et al., "Evaluating the visualization of what a deep neural network has learned",
        IEEE TNNLS 2017, Eq. 12.
    """
    fill = "uniform" if baseline == "noise" else baseline
    scores = AOPC(model, batch_size, patch_size, steps, fill, seed).detailed_evaluate(
        images, maps, targets)
    return summarise("region_perturbation", scores, True)


def irof(model: keras.Model, images, maps, targets=None, segments: int = 16,
         compactness: float = 0.1, baseline="mean", seed: int = 0,
         batch_size: int = 32) -> MetricResult:
    """IROF, iterative removal of features: SLIC superpixels removed most relevant first (a
    superpixel's relevance is its mean map value), replaced by the baseline.

    Per image with S superpixels, IROF = 1/S * sum_{k=1..S} (1 - f(x_k) / f(x)), the area over
    the curve of the normalised target probability. Higher is better.

    References:
        Rieger & Hansen, "IROF: a low resource evaluation metric for explanation methods",
        ICLR workshop 2020, Sec. 2 (area over the curve of the class score).
    """
    perturber, images, targets, maps = prepared(model, images, maps, targets, batch_size)
    ranks, counts = segment_ranks(images, maps, segments, compactness)
    curves = perturber.probabilities_of(images, targets, lambda chunk, k: ranks[chunk] <= k,
                                        int(counts.max()), baseline_images(images, baseline, seed))
    original = perturber.confidences(images, targets)
    counted = np.arange(curves.shape[1])[None] < counts[:, None]
    loss = (1.0 - curves / np.maximum(original[:, None], 1e-12)) * counted
    return summarise("irof", loss.sum(axis=1) / counts, True, curves=curves)


def segment_ranks(images: np.ndarray, maps: np.ndarray, segments: int = 16,
                  compactness: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """((B, H, W) int32 rank of each pixel's SLIC superpixel, 0 for the most relevant; (B,)
    superpixel counts). Ties keep the labels' order."""
    ranks, counts = np.empty(maps.shape, np.int32), np.empty(len(maps), np.int64)
    for index, (image, heat) in enumerate(zip(images, maps)):
        gray = image.shape[-1] == 1
        labels = slic(image[..., 0] if gray else image, n_segments=segments,
                      compactness=compactness, start_label=0,
                      channel_axis=None if gray else -1)
        _, labels = np.unique(labels, return_inverse=True)
        labels = labels.reshape(heat.shape)
        means = np.bincount(labels.ravel(), heat.ravel()) / np.bincount(labels.ravel())
        order = np.argsort(-means, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        ranks[index], counts[index] = rank[labels], len(order)
    return ranks, counts
