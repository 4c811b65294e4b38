"""The SFT-GAN paper's evaluation protocols (Tables 1-3, noise robustness, CGMA relevance) as rows.

Guna et al., "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067. Where
each equation, table and figure of the paper lives in this library:

| paper                                  | function                                          |
| -------------------------------------- | ------------------------------------------------- |
| Eq. 1-2: layer selection               | `explain.cgma.select_layers`                      |
| Eq. 3-4: CGMA (cumulative Grad-CAMs)   | `explain.cgma.compute_cgma`, `cumulative_average` |
| Eq. 5: condition network               | `models.sft.ConditionNetwork`                     |
| Eq. 6: SFT layer                       | `models.sft.SFTLayer` (`sft_modulation`)          |
| Sec. 3: LSFT and GSFT generators       | `models.sft.build_{lsft,gsft}_generator`          |
| GAN losses (pix2pix, Isola et al.)     | `training.losses` (no equation in this paper)     |
| Sec. 3: the GAN as an explainer        | `explain.SFTGANExplainer`, `TrainedGenerator`     |
| Eq. 7: average drop                    | `metrics.AverageDrop`                             |
| Eq. 8: increase in confidence          | `metrics.IncreaseInConfidence`                    |
| Eq. 9: background error                | `metrics.background_error`                        |
| Eq. 10: relevance of each CGMA         | `TrainedGenerator.relevance`, `cgma_relevance`    |
| Table 1: localization (TP, FP, TN, FN) | `localization_rows`                               |
| Table 2: Dice with Grad-CAM            | `dice_rows`                                       |
| Table 3: average drop, increase, win % | `faithfulness_rows` (`metrics.WinRate`)           |
| Fig. 12-13: salt-and-pepper noise      | `noise_robustness`                                |

Every protocol returns typed rows (frozen dataclasses); the report layer names their columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from cnn_explain_tf import metrics
from cnn_explain_tf.protocols.common import EvalSet, Factory, check_maps, predicted_classes

if TYPE_CHECKING:
    from cnn_explain_tf.explain.sft_gan import TrainedGenerator

__all__ = ["NOISE_AMOUNTS", "NOISE_FIGURE_IMAGES", "DiceRow", "FaithfulnessRow",
           "LocalizationRow", "NoiseFigure", "NoiseRow", "cgma_relevance", "dice_rows",
           "faithfulness_rows", "localization_rows", "noise_robustness"]

NOISE_AMOUNTS = tuple(round(0.05 * step, 2) for step in range(1, 11))
"""Salt-and-pepper amounts of Fig. 12-13 of arXiv 2301.08067: 0.05 to 0.5."""

NOISE_FIGURE_IMAGES = 3
"""Noisy images and maps per amount that `noise_robustness` keeps for a figure."""


@dataclasses.dataclass(frozen=True)
class LocalizationRow:
    """Table 1: rates in % of one method's binarised maps against the foreground masks."""

    dataset: str
    arch: str
    method: str
    tp: float
    fp: float
    tn: float
    fn: float


@dataclasses.dataclass(frozen=True)
class DiceRow:
    """Table 2: Dice of one method's binarised maps with the reference method's (1 for itself)."""

    dataset: str
    arch: str
    method: str
    reference: str
    dice: float


@dataclasses.dataclass(frozen=True)
class FaithfulnessRow:
    """Table 3: average drop %, increase in confidence % and win % against `reference`."""

    dataset: str
    arch: str
    method: str
    reference: str
    average_drop: float
    increase_in_confidence: float
    win_rate: float


@dataclasses.dataclass(frozen=True)
class NoiseRow:
    """Fig. 13: background error of one method's maps at one salt-and-pepper amount."""

    amount: float
    method: str
    background_error: float


@dataclasses.dataclass(frozen=True)
class NoiseFigure:
    """Fig. 12's data: the first noisy images and each method's maps at every amount.

    Attributes:
        amounts: the noise amounts, in order.
        images: amount -> (n, H, W, C) noisy images.
        maps: method -> amount -> (n, H, W) maps.
    """

    amounts: list[float]
    images: dict[float, np.ndarray]
    maps: dict[str, dict[float, np.ndarray]]


def localization_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray]
                      ) -> list[LocalizationRow]:
    """Table 1: TP, FP, TN and FN rates in % of each method's binarised maps against the masks.

    References:
        Table 1 of Guna et al., arXiv 2301.08067; see `metrics.localization_rates`.
    """
    check_maps(eval_set, maps)
    rows = []
    for method, heat in maps.items():
        rates = metrics.localization_rates(heat, eval_set.masks)
        rows.append(LocalizationRow(eval_set.dataset, eval_set.arch, method, 100 * rates.tp,
                                    100 * rates.fp, 100 * rates.tn, 100 * rates.fn))
    return rows


def dice_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
              reference: str = "gradcam") -> list[DiceRow]:
    """Table 2: the Dice of each method's binarised maps against the reference's, per method.

    The reference's own Dice is 1.

    References:
        Table 2 of Guna et al., arXiv 2301.08067; see `metrics.dice`.
    """
    check_maps(eval_set, maps, reference)
    return [DiceRow(eval_set.dataset, eval_set.arch, method, reference,
                    metrics.dice(heat, maps[reference]))
            for method, heat in maps.items()]


def faithfulness_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                      reference: str = "gradcam") -> list[FaithfulnessRow]:
    """Table 3: average drop, increase in confidence and win rate against the reference, in %.

    The reference's win rate against itself is 50 (every sample ties).

    References:
        Table 3 and Eq. 7-8 of Guna et al., arXiv 2301.08067; see `metrics.AverageDrop`,
        `metrics.IncreaseInConfidence`, `metrics.WinRate`.
    """
    check_maps(eval_set, maps, reference)
    images, model = eval_set.images, eval_set.model
    drop, increase = metrics.AverageDrop(model), metrics.IncreaseInConfidence(model)
    win = metrics.WinRate(model)
    return [FaithfulnessRow(eval_set.dataset, eval_set.arch, method, reference,
                            drop.evaluate(images, heat), increase.evaluate(images, heat),
                            win.evaluate(images, heat, maps[reference]))
            for method, heat in maps.items()]


def noise_robustness(eval_set: EvalSet, factories: Mapping[str, Factory],
                     amounts: Sequence[float] = NOISE_AMOUNTS, seed: int = 0
                     ) -> tuple[list[NoiseRow], NoiseFigure]:
    """Fig. 12-13: background error of each method's maps on salt-and-pepper noisy images.

    For each amount, `metrics.salt_and_pepper(images, amount, seed)` corrupts the images; every
    method explains them for the classes predicted on the clean images (the noise should not move
    the heat), and the background error is measured against the clean masks.

    Returns:
        (one row per amount and method, in that order; the first `NOISE_FIGURE_IMAGES` noisy
        images and maps of each amount for Fig. 12).

    References:
        Fig. 12-13 and Eq. 9 of Guna et al., arXiv 2301.08067.
    """
    targets = predicted_classes(eval_set)
    explainers = {method: factory(eval_set.model) for method, factory in factories.items()}
    rows = []
    figure = NoiseFigure(list(amounts), {}, {method: {} for method in factories})
    for amount in amounts:
        noisy = metrics.salt_and_pepper(eval_set.images, amount, seed)
        figure.images[amount] = noisy[:NOISE_FIGURE_IMAGES]
        for method, explainer in explainers.items():
            heat = explainer(noisy, targets)
            figure.maps[method][amount] = heat[:NOISE_FIGURE_IMAGES]
            rows.append(NoiseRow(amount, method,
                                 metrics.background_error(heat, eval_set.masks)))
    return rows, figure


def cgma_relevance(eval_set: EvalSet, gan: TrainedGenerator) -> np.ndarray:
    """Section 5: the generator's mean relevance of each CGMA on this classifier, summing to 1.

    Args:
        eval_set: the classifier and its images.
        gan: a trained generator with `.relevance(model, images) -> (N, k)` (Eq. 10).

    Returns:
        float32 (k,) shares of the total relevance, CNN order (first CGMA: shallowest layers);
        NaN when the generator ignores every CGMA (zero total relevance).

    References:
        Eq. 10 and Section 5 of Guna et al., arXiv 2301.08067; see `TrainedGenerator.relevance`.
    """
    relevance = np.mean(gan.relevance(eval_set.model, eval_set.images), axis=0, dtype=np.float64)
    total = relevance.sum()
    return (relevance / total if total > 0 else np.full_like(relevance, np.nan)).astype(
        np.float32)
