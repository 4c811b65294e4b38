"""Complexity of heat maps: sparseness (Gini), entropy complexity and effective complexity."""

from __future__ import annotations

import numpy as np

from cnn_explain_tf.metrics._checks import as_maps
from cnn_explain_tf.metrics.summary import MetricResult, summarise

__all__ = ["complexity", "effective_complexity", "sparseness"]


def _magnitudes(maps) -> np.ndarray:
    """(B, H * W) float64 |map| values."""
    maps = as_maps("maps", maps)
    return np.abs(maps.reshape(len(maps), -1).astype(np.float64))


def sparseness(maps) -> MetricResult:
    """Sparseness: the Gini index of the map's absolute values.

    Per map with sorted magnitudes a_(1) <= ... <= a_(n), G = sum_i (2i - n - 1) a_(i) /
    (n * sum_i a_(i)): 0 when every pixel is equally relevant, (n - 1) / n when one pixel holds
    all of it; NaN for an all-zero map. Higher is better (a sparser explanation).

    References:
        Chalasani et al., "Concise Explanations of Neural Networks using Adversarial Training",
        ICML 2020, Sec. 6 (Gini index; Hurley & Rickard 2009, Eq. 12).
    """
    values = np.sort(_magnitudes(maps), axis=1)
    n = values.shape[1]
    weights = 2 * np.arange(1, n + 1) - n - 1
    total = values.sum(axis=1)
    gini = np.where(total > 0, values @ weights / (n * np.maximum(total, 1e-300)), np.nan)
    return summarise("sparseness", gini, True)


def complexity(maps) -> MetricResult:
    """Complexity: the entropy of the map's fractional contributions.

    Per map, P_i = |g_i| / sum_j |g_j| and H = -sum_i P_i ln P_i (0 ln 0 = 0): 0 for one relevant
    pixel, ln(n) for a uniform map; NaN for an all-zero map. Lower is better.

    References:
        Bhatt et al., "Evaluating and Aggregating Feature-based Model Explanations", IJCAI 2020,
        Eq. 5.
    """
    values = _magnitudes(maps)
    total = values.sum(axis=1, keepdims=True)
    shares = values / np.maximum(total, 1e-300)
    logs = np.log(np.where(shares > 0, shares, 1.0))
    entropy = np.where(total[:, 0] > 0, -np.sum(shares * logs, axis=1), np.nan)
    return summarise("complexity", entropy, False)


def effective_complexity(maps, eps: float = 0.05) -> MetricResult:
    """Effective complexity: the share of pixels whose magnitude exceeds `eps` times the map's
    largest magnitude (NaN for an all-zero map). Lower is better.

    References:
        Nguyen & Martinez, "On quantitative aspects of model interpretability", arXiv
        2007.07584, 2020, Sec. 4.1 (effective complexity, counted on max-normalised maps).
    """
    values = _magnitudes(maps)
    peak = values.max(axis=1, keepdims=True)
    share = np.mean(values > eps * peak, axis=1)
    return summarise("effective_complexity", np.where(peak[:, 0] > 0, share, np.nan), False)
