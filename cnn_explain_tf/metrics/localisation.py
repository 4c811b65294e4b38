"""Localisation against ground-truth masks: relevance mass and rank, top-k, AUC, attribution."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from cnn_explain_tf.metrics._checks import as_maps, as_masks, check_fraction, check_same_shape
from cnn_explain_tf.metrics.summary import MetricResult, summarise

__all__ = ["attribution_localisation", "auc", "relevance_mass", "relevance_rank",
           "top_k_intersection"]


def _checked(maps, masks) -> tuple[np.ndarray, np.ndarray]:
    """((B, H * W) float64 maps, (B, H * W) bool masks)."""
    maps, masks = as_maps("maps", maps), as_masks("masks", masks)
    check_same_shape("maps", maps, "masks", masks)
    return maps.reshape(len(maps), -1).astype(np.float64), masks.reshape(len(masks), -1)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.where(denominator > 0, numerator / np.maximum(denominator, 1e-300), np.nan)


def relevance_mass(maps, masks) -> MetricResult:
    """Relevance mass accuracy: the share of the map's total relevance inside the mask.

    Per image, R_within / R_total = sum_{i in G} g_i / sum_i g_i (NaN when R_total = 0). Higher is
    better.

    References:
        Arras et al., "CLEVR-XAI: A benchmark dataset for the ground truth evaluation of neural
        network explanations", Information Fusion 2022, Sec. 4.2 (relevance mass accuracy).
    """
    maps, masks = _checked(maps, masks)
    return summarise("relevance_mass", _ratio(np.sum(maps * masks, axis=1), maps.sum(axis=1)),
                     True)


def relevance_rank(maps, masks) -> MetricResult:
    """Relevance rank accuracy: the share of the K = |G| highest-ranked pixels inside the mask.

    Per image, |top_K(g) ∩ G| / K (ties by row-major order; NaN for an empty mask). Higher is
    better.

    References:
        Arras et al., "CLEVR-XAI", Information Fusion 2022, Sec. 4.2 (relevance rank accuracy).
    """
    maps, masks = _checked(maps, masks)
    sizes = masks.sum(axis=1)
    order = np.argsort(-maps, axis=1, kind="stable")
    inside = np.take_along_axis(masks, order, axis=1)
    hits = np.array([row[:size].sum() for row, size in zip(inside, sizes)], np.float64)
    return summarise("relevance_rank", _ratio(hits, sizes.astype(np.float64)), True)


def top_k_intersection(maps, masks, k: float = 0.1) -> MetricResult:
    """Top-k intersection: the share of the map's k highest pixels (k a fraction of the image,
    at least one pixel) that fall inside the mask. Higher is better.

    References:
        Theiner et al., "Interpretable Semantic Photo Geolocation", WACV 2022, Sec. 4.3.
    """
    maps, masks = _checked(maps, masks)
    count = max(1, int(round(check_fraction("k", k) * maps.shape[1])))
    order = np.argsort(-maps, axis=1, kind="stable")[:, :count]
    hits = np.take_along_axis(masks, order, axis=1).mean(axis=1)
    return summarise("top_k_intersection", hits, True)


def auc(maps, masks) -> MetricResult:
    """ROC AUC of the map as a detector of the mask's pixels.

    Per image, the Mann-Whitney statistic (sum of the ranks of the mask's pixels - n1 (n1 + 1)
    / 2) / (n1 n0), ties sharing their mean rank: the probability that a mask pixel outranks a
    background pixel (NaN when either is empty). Higher is better.

    References:
        Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 2006, Sec. 7.
    """
    maps, masks = _checked(maps, masks)
    ranks = rankdata(maps, axis=1)
    positive = masks.sum(axis=1).astype(np.float64)
    negative = masks.shape[1] - positive
    statistic = np.sum(ranks * masks, axis=1) - positive * (positive + 1) / 2
    return summarise("auc", _ratio(statistic, positive * negative), True)


def attribution_localisation(maps, masks, weighted: bool = False) -> MetricResult:
    """Attribution localisation: the share of the positive relevance inside the mask.

    Per image, mu = sum_{i in G} max(g_i, 0) / sum_i max(g_i, 0) (NaN without positive
    relevance); `weighted` multiplies by |image| / |G|, so a map spread evenly scores 1. Higher is
    better.

    References:
        Kohlbrenner et al., "Towards Best Practice in Explaining Neural Network Decisions with
        LRP", IJCNN 2020, Sec. IV-A (Eq. 8-9).
    """
    maps, masks = _checked(maps, masks)
    positive = np.maximum(maps, 0.0)
    share = _ratio(np.sum(positive * masks, axis=1), positive.sum(axis=1))
    if weighted:
        share = share * _ratio(np.full(len(masks), masks.shape[1], np.float64),
                               masks.sum(axis=1).astype(np.float64))
    return summarise("attribution_localisation", share, True)
