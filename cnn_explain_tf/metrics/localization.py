"""Localization metrics of heat maps against ground-truth masks and between binarised maps."""

from __future__ import annotations

import dataclasses

import numpy as np

from cnn_explain_tf.metrics._checks import (
    as_maps,
    as_masks,
    check_fraction,
    check_same_shape,
    reduce,
)
from cnn_explain_tf.validation import InputError

DEFAULT_THRESHOLD = 127 / 255


@dataclasses.dataclass(frozen=True)
class LocalizationRates:
    """True-positive, false-positive, true-negative and false-negative rates (floats, or (B,)
    arrays with `per_sample=True`)."""

    tp: float | np.ndarray
    fp: float | np.ndarray
    tn: float | np.ndarray
    fn: float | np.ndarray


def binarize(maps, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Binarises heat maps: a pixel is foreground when its value is strictly above `threshold`.

    The default 127/255 is the SFT-GAN paper's threshold of 127 on 8-bit maps, applied as OpenCV's
    `THRESH_BINARY` does (`value > 127`).

    Args:
        maps: (B, H, W) or (B, H, W, 1) maps in [0, 1]; boolean masks pass through unchanged.
        threshold: a number in [0, 1].

    Returns:
        bool array (B, H, W).

    References:
        Guna et al., "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067.
    """
    return _binarize("maps", maps, threshold)


def dice(a, b, threshold: float = DEFAULT_THRESHOLD,
         per_sample: bool = False) -> float | np.ndarray:
    """Sorensen-Dice coefficient 2|A∩B| / (|A| + |B|) of the binarised maps, per sample.

    Both inputs are binarised with `binarize(., threshold)`. Two empty masks agree perfectly and
    score 1.

    Args:
        a: (B, H, W) maps or masks.
        b: maps or masks of the same shape.
        threshold: binarisation threshold in [0, 1].
        per_sample: return the (B,) coefficients instead of their mean.

    Returns:
        The mean coefficient over the B pairs (float in [0, 1]), or the (B,) coefficients.

    References:
        Dice, "Measures of the amount of ecologic association between species", 1945; Table 2 of
        arXiv 2301.08067 (Dice of each method's maps against Grad-CAM's).
    """
    mask_a, mask_b = _binarize("a", a, threshold), _binarize("b", b, threshold)
    check_same_shape("a", mask_a, "b", mask_b)
    overlap = 2.0 * _count(mask_a & mask_b)
    sizes = _count(mask_a) + _count(mask_b)
    return reduce(np.where(sizes > 0, overlap / np.maximum(sizes, 1), 1.0), per_sample)


def localization_rates(maps, gt_masks, threshold: float = DEFAULT_THRESHOLD,
                       per_sample: bool = False) -> LocalizationRates:
    """TP, FP, TN and FN rates of the binarised maps against the ground-truth foreground.

    With P the binarised map (`binarize(maps, threshold)`) and G the ground-truth foreground,
    per sample (counts of pixels):

    - tp = |P ∩ G| / |G|     true-positive rate (foreground found; recall)
    - fn = |¬P ∩ G| / |G|    false-negative rate (foreground missed) = 1 - tp
    - tn = |¬P ∩ ¬G| / |¬G|  true-negative rate (background left dark; specificity)
    - fp = |P ∩ ¬G| / |¬G|   false-positive rate (background lit) = 1 - tn

    A sample without foreground has NaN tp/fn; one without background has NaN tn/fp. Means skip
    NaN.

    Args:
        maps: (B, H, W) heat maps in [0, 1].
        gt_masks: ground-truth foreground masks of the same shape (bool, or numbers > 0.5).
        threshold: binarisation threshold in [0, 1].
        per_sample: return (B,) arrays instead of means.

    References:
        Table 1 of arXiv 2301.08067 (TP/FP/TN/FN of the GAN maps against the object masks).
    """
    predicted = binarize(maps, threshold)
    truth = as_masks("gt_masks", gt_masks)
    check_same_shape("maps", predicted, "gt_masks", truth)
    tp = _rate(predicted & truth, truth)
    tn = _rate(~predicted & ~truth, ~truth)
    return LocalizationRates(tp=reduce(tp, per_sample), fp=reduce(1.0 - tn, per_sample),
                             tn=reduce(tn, per_sample), fn=reduce(1.0 - tp, per_sample))


def pointing_game(maps, gt_masks, tolerance: float = 0.0,
                  per_sample: bool = False) -> float | np.ndarray:
    """Pointing-game accuracy: a hit when the map's maximum lies on (or within `tolerance` pixels
    of) the ground-truth foreground.

    The maximum is the first one in row-major order; the distance is Euclidean, in pixels. Samples
    whose mask is empty are NaN and are skipped by the mean.

    Args:
        maps: (B, H, W) heat maps.
        gt_masks: foreground masks of the same shape.
        tolerance: hit radius in pixels (Zhang et al. use 15 at ImageNet resolution); >= 0.
        per_sample: return the (B,) hits (1.0 or 0.0) instead of the hit rate.

    References:
        Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016, Sec. 5.1.
    """
    maps = as_maps("maps", maps)
    masks = as_masks("gt_masks", gt_masks)
    check_same_shape("maps", maps, "gt_masks", masks)
    if not float(tolerance) >= 0.0:
        raise InputError(f"tolerance: expected a distance in pixels >= 0, got {tolerance!r}")
    hits = [_hit(m, g, float(tolerance)) for m, g in zip(maps, masks)]
    return reduce(np.array(hits), per_sample)


def background_error(maps, gt_masks, per_sample: bool = False) -> float | np.ndarray:
    """Background error: the mean map value over the ground-truth background pixels.

    Per sample, sum(H * (1 - G)) / sum(1 - G) with H the map in [0, 1] and G the foreground mask:
    0 when the map leaves the background dark, 1 when it lights all of it. A sample without
    background pixels is NaN and is skipped by the mean.

    Args:
        maps: (B, H, W) heat maps in [0, 1].
        gt_masks: foreground masks of the same shape.
        per_sample: return the (B,) errors instead of their mean.

    References:
        Eq. 9 of arXiv 2301.08067 (heat falling on the background, used for the salt-and-pepper
        robustness curves of Fig. 12-13).
    """
    maps = as_maps("maps", maps)
    background = ~as_masks("gt_masks", gt_masks)
    check_same_shape("maps", maps, "gt_masks", background)
    heat = np.sum(maps * background, axis=(1, 2), dtype=np.float64)
    return reduce(_divide_or_nan(heat, _count(background)), per_sample)


def _binarize(name: str, maps, threshold: float) -> np.ndarray:
    return as_maps(name, maps) > check_fraction("threshold", threshold)


def _count(mask: np.ndarray) -> np.ndarray:
    return np.sum(mask, axis=(1, 2), dtype=np.float64)


def _rate(hits: np.ndarray, population: np.ndarray) -> np.ndarray:
    return _divide_or_nan(_count(hits), _count(population))


def _divide_or_nan(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _hit(heat: np.ndarray, mask: np.ndarray, tolerance: float) -> float:
    if not mask.any():
        return np.nan
    peak = np.array(np.unravel_index(np.argmax(heat), heat.shape))
    distances = np.linalg.norm(np.argwhere(mask) - peak, axis=1)
    return float(distances.min() <= tolerance)
