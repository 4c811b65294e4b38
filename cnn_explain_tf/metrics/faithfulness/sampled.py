"""Random-subset faithfulness: faithfulness correlation and infidelity."""

from __future__ import annotations

import keras
import numpy as np

from cnn_explain_tf.metrics._checks import check_fraction
from cnn_explain_tf.metrics.faithfulness.engine import baseline_images
from cnn_explain_tf.metrics.faithfulness.ordered import prepared
from cnn_explain_tf.metrics.summary import MetricResult, summarise
from cnn_explain_tf.validation import check_positive_int

__all__ = ["faithfulness_correlation", "infidelity", "random_subsets"]


def random_subsets(shape: tuple[int, int, int], num_samples: int, subset: float,
                   seed: int = 0) -> np.ndarray:
    """(B, num_samples, H, W) bool: per image and sample, a uniformly drawn set of
    max(1, round(subset * H * W)) pixels."""
    batch, height, width = shape
    size = max(1, int(round(check_fraction("subset", subset) * height * width)))
    keys = np.random.default_rng(seed).random((batch, num_samples, height * width))
    ranks = np.argsort(np.argsort(keys, axis=2), axis=2)
    return (ranks < size).reshape(batch, num_samples, height, width)


def _drops(model, images, maps, targets, num_samples, subset, baseline, seed, batch_size):
    """(checked images, maps, baseline images, subsets (B, N, H, W), probability drops (B, N))."""
    num_samples = check_positive_int("num_samples", num_samples)
    perturber, images, targets, maps = prepared(model, images, maps, targets, batch_size)
    subsets = random_subsets(maps.shape, num_samples, subset, seed)
    base = baseline_images(images, baseline, seed)
    probabilities = perturber.probabilities_of(images, targets, lambda chunk, k: subsets[chunk, k],
                                               num_samples, base)
    drops = perturber.confidences(images, targets)[:, None] - probabilities
    return images, maps, base, subsets, drops


def faithfulness_correlation(model: keras.Model, images, maps, targets=None,
                             num_samples: int = 32, subset: float = 0.1, baseline="black",
                             seed: int = 0, batch_size: int = 32) -> MetricResult:
    """Faithfulness correlation: do the pixels a map calls relevant cost the model that much?

    Per image, the Pearson correlation over `num_samples` random pixel subsets S (each
    `subset` of the image) between sum_{i in S} g(x)_i and f(x) - f(x_[x_S = baseline]), f the
    target probability (NaN when either is constant). Higher is better.

    References:
        Bhatt et al., "Evaluating and Aggregating Feature-based Model Explanations", IJCAI 2020,
        Eq. 3 (mu_F).
    """
    _, maps, _, subsets, drops = _drops(model, images, maps, targets, num_samples, subset,
                                        baseline, seed, batch_size)
    attributed = np.einsum("bhw,bkhw->bk", maps.astype(np.float64), subsets)
    return summarise("faithfulness_correlation", _pearson(attributed, drops), True)


def infidelity(model: keras.Model, images, maps, targets=None, num_samples: int = 32,
               subset: float = 0.1, baseline="black", seed: int = 0,
               batch_size: int = 32) -> MetricResult:
    """Infidelity: the squared error of the map's linear prediction of the output change.

    Per image, with perturbations I_k = x - x~_k (x~_k: a random pixel subset set to the
    baseline; I summed over channels), INFD = E_k[(beta * I_k^T g(x) - (f(x) - f(x~_k)))^2], f
    the target probability, with the optimal scale beta = E[I^T g * delta] / E[(I^T g)^2] of the
    paper's Sec. 3.1 ("optimal explanation scaling"), so the score does not depend on the map's
    units. Lower is better.

    References:
        Yeh et al., "On the (In)fidelity and Sensitivity of Explanations", NeurIPS 2019, Eq. 1
        (and Sec. 3.1 for the scaling).
    """
    images, maps, base, subsets, drops = _drops(model, images, maps, targets, num_samples,
                                                subset, baseline, seed, batch_size)
    removed = (images - base).sum(axis=-1, dtype=np.float64) * maps
    predicted = np.einsum("bhw,bkhw->bk", removed, subsets)
    scale = np.sum(predicted * drops, axis=1) / np.maximum(np.sum(predicted ** 2, axis=1), 1e-30)
    return summarise("infidelity", np.mean((scale[:, None] * predicted - drops) ** 2, axis=1),
                     False)


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of (B, N) arrays; NaN for a constant row."""
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt(np.sum(a ** 2, axis=1) * np.sum(b ** 2, axis=1))
    return np.where(norm > 1e-12, np.sum(a * b, axis=1) / np.maximum(norm, 1e-30), np.nan)
