"""Figs. 4-6: mask ratio x patch size, first vs second order, binarised vs not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from cnn_explain_tf.probes.fill_blanks import (
    DIRECTIONS,
    MODES,
    FillInTheBlanks,
    NoMaskKeptError,
    threshold_fill,
)

__all__ = ["binarization", "mask_ablation", "order_agreement"]


def mask_ablation(model: keras.Model, images, targets=None,
                  ratios: Sequence[float] = (0.1, 0.25, 0.5),
                  patch_sizes: Sequence[int] = (1, 2, 4), verbose: int = 1,
                  **options) -> Mapping[tuple[float, int], np.ndarray]:
    """Prototypes for every mask ratio x patch size pair.

    Args:
        model: the classifier.
        images: (B, H, W, C) images in [0, 1]; every patch size must divide H and W.
        targets: None (the predicted class), an int, or B ints.
        ratios: mask ratios to try.
        patch_sizes: patch sizes to try.
        verbose: 0 silences the progress bars.
        **options: other `FillInTheBlanks` arguments.

    Returns:
        {(ratio, patch_size): (B, H, W, C) prototypes}; a pair where some image kept no mask maps
        to NaN images.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Sec. 4.4, Fig. 4.
    """
    results = {}
    for ratio in ratios:
        for patch_size in patch_sizes:
            probe = FillInTheBlanks(model, mask_ratio=ratio, patch_size=patch_size,
                                    verbose=verbose, **options)
            try:
                results[(ratio, patch_size)] = probe(images, targets).prototypes
            except NoMaskKeptError:
                results[(ratio, patch_size)] = np.full(np.shape(images), np.nan, np.float32)
    return results


def order_agreement(model: keras.Model, images, labels,
                    **options) -> tuple[dict[str, np.ndarray], float]:
    """Fig. 5: random-mode prototypes from the first-order (gradient) and second-order (BFGS)
    updates, and the fraction of prototype values on which they agree.

    Args:
        model: the classifier.
        images: (B, H, W, C) images in [0, 1].
        labels: (B,) classes to fill for.
        **options: other `FillInTheBlanks` arguments.

    Returns:
        ({direction: (B, H, W, C) prototypes}, agreement in [0, 1]).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Sec. 4.5, Fig. 5.
    """
    orders = {direction: FillInTheBlanks(model, direction=direction, verbose=0,
                                         **options)(images, labels).prototypes
              for direction in DIRECTIONS}
    return orders, float(np.mean(orders["gradient"] == orders["bfgs"]))


def binarization(model: keras.Model, images, labels, thresholds: Sequence[float] = (0.25, 0.5,
                                                                                    0.75),
                 **options) -> dict[str, dict[str, np.ndarray]]:
    """Fig. 6 (Sec. 4.6): both modes' prototypes binarised at each threshold and not binarised.

    The random mode's E[dx] does not depend on T, so it is computed once and thresholded
    (`fill_blanks.threshold_fill`) at each threshold; the progressive sequence is refilled for
    each, since every step conditions on the fills before it.

    Args:
        model: the classifier.
        images: (B, H, W, C) images in [0, 1].
        labels: (B,) classes to fill for.
        thresholds: Eq. 4's thresholds (a normalised value >= threshold becomes 1).
        **options: other `FillInTheBlanks` arguments.

    Returns:
        {mode: {"threshold 0.5": (B, H, W, C) prototypes, ..., "not binarised": ...}}.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Eq. 4, Fig. 6.
    """
    settings = {**{f"threshold {t}": (True, t) for t in thresholds}, "not binarised": (False, 0.5)}
    expectation = FillInTheBlanks(model, verbose=0, **options)(images, labels).directions
    everywhere = np.ones_like(expectation[..., :1])
    rule = options.get("fill_rule") or MODES["random"].fill_rule
    random = {name: threshold_fill(expectation, everywhere, *setting, rule).numpy()
              for name, setting in settings.items()}
    progressive = {name: FillInTheBlanks(model, mode="progressive", binarize=binarize,
                                         threshold=threshold, verbose=0,
                                         **options)(images, labels).prototypes
                   for name, (binarize, threshold) in settings.items()}
    return {"random": random, "progressive": progressive}
