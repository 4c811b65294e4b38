"""The SFT-GAN paper's evaluation protocols (Tables 1-3, noise robustness, CGMA relevance) as rows.

Guna et al., "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067. Where
each equation, table and figure of the paper lives in this library:

| paper                                  | function                                          |
| -------------------------------------- | ------------------------------------------------- |
| Eq. 1-2: layer selection               | `explain.cgma.select_layers`                      |
| Eq. 3-4: CGMA (cumulative Grad-CAMs)   | `explain.cgma.compute_cgma`, `cumulative_average` |
| Eq. 5: condition network               | `models.sft_layers.ConditionNetwork`              |
| Eq. 6: SFT layer                       | `models.sft_layers.SFTLayer` (`sft_modulation`)   |
| Sec. 3: LSFT and GSFT generators       | `models.sft.build_{lsft,gsft}_generator`          |
| GAN losses (pix2pix, Isola et al.)     | `training.losses` (no equation in this paper)     |
| Sec. 3: the GAN as an explainer        | `explain.SFTGANExplainer`                         |
| Eq. 7: average drop                    | `metrics.AverageDrop`                             |
| Eq. 8: modified increase in confidence | `metrics.ModifiedIncreaseInConfidence` (*)        |
| (Chattopadhyay's increase, a count)    | `metrics.IncreaseInConfidence`                    |
| Eq. 9: background error                | `metrics.background_error`                        |
| Eq. 10: relevance of each CGMA         | `SFTGANExplainer.cgma_relevance`, `cgma_relevance`|
| Table 1: localization (TP, FP, TN, FN) | `localization_rows`                               |
| Table 2: Dice with Grad-CAM / the mask | `dice_rows(reference="gradcam" / "mask")`         |
| Table 3: average drop, increase, win % | `faithfulness_rows` (`metrics.WinRate`, `TieRate`)|
| Fig. 12-13: salt-and-pepper noise      | `noise_robustness`                                |
| 95 % intervals of every table's means  | `metrics.mean_interval`, `difference_interval`    |

(*) The extracted text of Eq. 8 is garbled ("(%) = sum - / = * 100"); read from Sec. 4.2.3 as Eq. 7
mirrored on the images Eq. 7 ignores, the mean of 100 (C_energy - C_original) / C_original over
the images whose energy map is more confident (see `metrics.ModifiedIncreaseInConfidence`). Eq. 9
reads sum |I_GT - I_IM| / n, but its prose defines the error on "the ground truth background
(1 - I_GT)": we take the mean heat on the background. Eq. 10 reads |I_GT - I*_IM|, but its prose
is "the total difference between I_IM and I*_IM" (the maps with and without the CGMA): we take
that. Table 3's confidences are those of the ground-truth class ("the
likelihood of the object recognizer predicting the correct class"; `target="predicted"` is the
predicted-class variant); a tie is not a win. Every row keeps its per-image values (`per_image`)
for the bootstrap intervals.

Every protocol returns typed rows (frozen dataclasses); the report layer names their columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from cnn_explain_tf import metrics
from cnn_explain_tf.metrics._checks import nan_mean
from cnn_explain_tf.protocols.common import (
    EvalSet,
    Factory,
    check_maps,
    check_masks,
    predicted_classes,
)
from cnn_explain_tf.validation import check_choice

__all__ = ["NOISE_AMOUNTS", "NOISE_FIGURE_IMAGES", "TARGETS", "DiceRow", "FaithfulnessRow",
           "LocalizationRow", "NoiseFigure", "NoiseRow", "cgma_relevance", "dice_rows",
           "faithfulness_rows", "localization_rows", "noise_robustness"]

NOISE_AMOUNTS = tuple(round(0.05 * step, 2) for step in range(1, 11))
"""Salt-and-pepper amounts of Fig. 12-13 of arXiv 2301.08067: 0.05 to 0.5."""

NOISE_FIGURE_IMAGES = 3
"""Noisy images and maps per amount that `noise_robustness` keeps for a figure."""

TARGETS = ("label", "predicted")
"""Whose confidence Table 3 measures: the ground-truth class (the paper's) or the predicted one."""

PerImage = dict[str, list[float]]
"""A row's per-image values: field name -> one value per evaluation image (NaN: not counted)."""


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
    per_image: PerImage = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DiceRow:
    """Table 2: Dice of one method's binarised maps with the reference's: a method's binarised
    maps (1 for itself) or "mask", the ground-truth foreground."""

    dataset: str
    arch: str
    method: str
    reference: str
    dice: float
    per_image: PerImage = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class FaithfulnessRow:
    """Table 3: average drop % (Eq. 7), the modified increase in confidence % (Eq. 8),
    Chattopadhyay's increase (the % of more confident energy maps), win % and tie % against
    `reference`, with the confidence of `target` ("label" or "predicted")."""

    dataset: str
    arch: str
    method: str
    reference: str
    target: str
    average_drop: float
    increase_in_confidence: float
    increase_count: float
    win_rate: float
    tie_rate: float
    per_image: PerImage = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class NoiseRow:
    """Fig. 13: background error of one method's maps at one salt-and-pepper amount."""

    amount: float
    method: str
    background_error: float
    per_image: PerImage = dataclasses.field(default_factory=dict)


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
    """Table 1: TP, FP, TN and FN rates in % of each method's binarised maps against the masks
    (InputError without masks: the paper has Table 1 only for the datasets with ground truths).

    References:
        Table 1 of Guna et al., arXiv 2301.08067; see `metrics.localization_rates`.
    """
    check_maps(eval_set, maps)
    masks = check_masks(eval_set, "Table 1 (localization)")
    rows = []
    for method, heat in maps.items():
        rates = metrics.localization_rates(heat, masks, per_sample=True)
        per_image = {name: 100 * np.asarray(getattr(rates, name), np.float64)
                     for name in ("tp", "fp", "tn", "fn")}
        rows.append(LocalizationRow(eval_set.dataset, eval_set.arch, method,
                                    **_means(per_image), per_image=_lists(per_image)))
    return rows


def dice_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
              reference: str = "gradcam") -> list[DiceRow]:
    """Table 2: the Dice of each method's binarised maps against the reference, per method.

    Section 4.2.2 says the reference is the binarised Grad-CAM (whose own Dice is then 1), but
    the paper's Grad-CAM column is not 1 (0.6577 on average) and the experiment is restricted to
    strategy 1 "due to the unavailability of ground truths", which suggests the ground-truth
    mask; `reference="mask"` measures against the mask, so the report can show both.

    Args:
        eval_set: the classifier, its images and masks (needed for `reference="mask"` only).
        maps: method -> (N, H, W) maps.
        reference: one of the methods, or "mask".

    Raises:
        InputError: bad maps, an unknown reference, `reference="mask"` without masks.

    References:
        Table 2 and Sec. 4.2.2 of Guna et al., arXiv 2301.08067; see `metrics.dice`.
    """
    check_maps(eval_set, maps, None if reference == "mask" else reference)
    against = (check_masks(eval_set, "Dice vs mask") if reference == "mask"
               else maps[reference])
    rows = []
    for method, heat in maps.items():
        per_image = {"dice": np.asarray(metrics.dice(heat, against, per_sample=True))}
        rows.append(DiceRow(eval_set.dataset, eval_set.arch, method, reference,
                            **_means(per_image), per_image=_lists(per_image)))
    return rows


def faithfulness_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                      reference: str = "gradcam", target: str = "label"
                      ) -> list[FaithfulnessRow]:
    """Table 3: average drop, both increases in confidence, win and tie rates, in %.

    The maps explain the predicted class; the confidences are those of the ground-truth class
    (`target="label"`, the paper's "likelihood of the object recognizer predicting the correct
    class") or of the predicted class (`target="predicted"`). A tie is not a win, so the
    reference's win rate against itself is 0 and its tie rate 100.

    References:
        Table 3, Eq. 7-8 and Sec. 4.2.3 of Guna et al., arXiv 2301.08067; see
        `metrics.AverageDrop`, `metrics.ModifiedIncreaseInConfidence`,
        `metrics.IncreaseInConfidence`, `metrics.WinRate`, `metrics.TieRate`.
    """
    check_maps(eval_set, maps, reference)
    check_choice("target", target, TARGETS)
    images, model = eval_set.images, eval_set.model
    targets = eval_set.labels if target == "label" else None
    per_method = {"average_drop": metrics.AverageDrop(model),
                  "increase_in_confidence": metrics.ModifiedIncreaseInConfidence(model),
                  "increase_count": metrics.IncreaseInConfidence(model)}
    paired = {"win_rate": metrics.WinRate(model), "tie_rate": metrics.TieRate(model)}
    rows = []
    for method, heat in maps.items():
        per_image = {**{name: m.detailed_evaluate(images, heat, targets)
                        for name, m in per_method.items()},
                     **{name: m.detailed_evaluate(images, heat, maps[reference], targets)
                        for name, m in paired.items()}}
        rows.append(FaithfulnessRow(eval_set.dataset, eval_set.arch, method, reference, target,
                                    **_means(per_image), per_image=_lists(per_image)))
    return rows


def noise_robustness(eval_set: EvalSet, factories: Mapping[str, Factory],
                     amounts: Sequence[float] = NOISE_AMOUNTS, seed: int = 0,
                     classify: str = "noisy") -> tuple[list[NoiseRow], NoiseFigure]:
    """Fig. 12-13: background error of each method's maps on salt-and-pepper noisy images.

    For each amount, `metrics.salt_and_pepper(images, amount, seed)` corrupts the images; the
    noisy images are classified anew and every method explains that prediction (Sec. 4.4: "the
    degraded input images are then classified using CNNs. CGMAs were obtained ..."), or, with
    `classify="clean"`, the classes predicted on the clean images. The background error is
    measured against the clean masks; an `eval_set` without masks gives no rows (the maps of
    Fig. 12 only).

    Returns:
        (one row per amount and method, in that order, none without masks; the first
        `NOISE_FIGURE_IMAGES` noisy images and maps of each amount for Fig. 12).

    References:
        Fig. 12-13 and Eq. 9 of Guna et al., arXiv 2301.08067.
    """
    check_choice("classify", classify, ("noisy", "clean"))
    targets = predicted_classes(eval_set) if classify == "clean" else None
    explainers = {method: factory(eval_set.model) for method, factory in factories.items()}
    rows = []
    figure = NoiseFigure(list(amounts), {}, {method: {} for method in factories})
    for amount in amounts:
        noisy = metrics.salt_and_pepper(eval_set.images, amount, seed)
        figure.images[amount] = noisy[:NOISE_FIGURE_IMAGES]
        for method, explainer in explainers.items():
            heat = explainer(noisy, targets)
            figure.maps[method][amount] = heat[:NOISE_FIGURE_IMAGES]
            if eval_set.masks is None:
                continue
            per_image = {"background_error": metrics.background_error(heat, eval_set.masks,
                                                                      per_sample=True)}
            rows.append(NoiseRow(amount, method, **_means(per_image),
                                 per_image=_lists(per_image)))
    return rows, figure


def cgma_relevance(eval_set: EvalSet, gan: Factory) -> np.ndarray:
    """Section 5: the generator's mean relevance of each CGMA on this classifier, summing to 1.

    Args:
        eval_set: the classifier and its images.
        gan: model -> its `SFTGANExplainer` (e.g. `functools.partial(SFTGANExplainer,
            generator=generator)`), whose `.cgma_relevance(images) -> (N, k)` is Eq. 10.

    Returns:
        float32 (k,) shares of the total relevance, CNN order (first CGMA: shallowest layers);
        NaN when the generator ignores every CGMA (zero total relevance).

    References:
        Eq. 10 and Section 5 of Guna et al., arXiv 2301.08067; see
        `SFTGANExplainer.cgma_relevance`.
    """
    relevance = np.mean(gan(eval_set.model).cgma_relevance(eval_set.images), axis=0,
                        dtype=np.float64)
    total = relevance.sum()
    return (relevance / total if total > 0 else np.full_like(relevance, np.nan)).astype(
        np.float32)


def _means(per_image: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Each field's mean over the counted (non-NaN) images."""
    return {name: float(nan_mean(values)) for name, values in per_image.items()}


def _lists(per_image: Mapping[str, np.ndarray]) -> PerImage:
    return {name: np.asarray(values, np.float64).tolist() for name, values in per_image.items()}
