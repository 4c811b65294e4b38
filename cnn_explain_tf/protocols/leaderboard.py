"""The cross-method leaderboard: every explainer on the same metrics, and the sanity check rows.

| protocol                                      | function                                   |
| --------------------------------------------- | ------------------------------------------ |
| localization: Dice vs mask, pointing game     | `leaderboard_rows` (`metrics.dice`,        |
| (Zhang et al. 2018), background error (Eq. 9  | `metrics.pointing_game`,                   |
| of arXiv 2301.08067)                          | `metrics.background_error`)                |
| faithfulness: average drop, increase in       | `leaderboard_rows` (`metrics.AverageDrop`, |
| confidence (Eq. 7-8 of arXiv 2301.08067),     | `metrics.IncreaseInConfidence`,            |
| AOPC, deletion / insertion AUC (Samek et al.  | `metrics.AOPC`, `metrics.DeletionAUC`,     |
| 2017; Petsiuk et al. 2018)                    | `metrics.InsertionAUC`)                    |
| cascading randomisation (Adebayo et al. 2018) | `sanity_rows` (`metrics.sanity_check`)     |

Every protocol returns typed rows (frozen dataclasses); the report layer names their columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from cnn_explain_tf import metrics
from cnn_explain_tf.protocols.common import EvalSet, Factory, check_maps

__all__ = ["PATCH_GRID", "PERTURBATION_STEPS", "LeaderboardRow", "SanityRow",
           "leaderboard_rows", "sanity_rows"]

PATCH_GRID = 8
"""The perturbation metrics cut each image into about PATCH_GRID x PATCH_GRID square patches of
side min(H, W) // PATCH_GRID: 4 pixels on 32x32 images, 8 on 64x64 (Samek et al.'s 9x9 patches
form a 25x25 grid on 224x224 ImageNet images)."""

PERTURBATION_STEPS = 8
"""Default steps of the perturbation curves: AOPC removes the 8 most relevant of the 64 patches
one by one (an eighth of the image); deletion and insertion cover all patches in 8 equal steps."""


@dataclasses.dataclass(frozen=True)
class LeaderboardRow:
    """Every metric of the library for one method on one classifier.

    Attributes:
        dataset, arch, method: what was explained, and how.
        dice_vs_mask: Dice of the binarised map with the foreground mask (higher is better).
        pointing_game: % of maps whose maximum falls on the foreground (higher is better).
        background_error: mean heat on the background, Eq. 9 (lower is better).
            These three are NaN for a dataset without masks (`EvalSet.masks` None).
        average_drop, increase_in_confidence: Eq. 7-8, in % (lower, higher is better).
        aopc: area over the perturbation curve (higher is better).
        deletion_auc, insertion_auc: lower, higher is better.
        seconds_per_image: the explainer's steady cost; NaN when it was not timed.
    """

    dataset: str
    arch: str
    method: str
    dice_vs_mask: float
    pointing_game: float
    background_error: float
    average_drop: float
    increase_in_confidence: float
    aopc: float
    deletion_auc: float
    insertion_auc: float
    seconds_per_image: float


@dataclasses.dataclass(frozen=True)
class SanityRow:
    """One method's cascading-randomisation result: SSIM once every layer is randomised."""

    dataset: str
    arch: str
    method: str
    ssim: float
    passed: bool


def leaderboard_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                     seconds: Mapping[str, float], steps: int | None = PERTURBATION_STEPS
                     ) -> list[LeaderboardRow]:
    """Every metric of the library for each method, one row per method.

    The perturbation metrics use a `PATCH_GRID` grid of patches; AOPC perturbs with uniform
    noise, deletion and insertion with black.

    Args:
        eval_set: the classifier, its images and masks (without masks, the three mask-based
            columns are NaN).
        maps: method -> (N, H, W) maps.
        seconds: method -> seconds per image, e.g. from `explain_all`; a method without a
            timing gets NaN.
        steps: steps of the perturbation curves; None: one per patch (slower, finer).

    References:
        Eq. 7-9 of Guna et al., arXiv 2301.08067; Samek et al., "Evaluating the visualization of
        what a deep neural network has learned", IEEE TNNLS 2017 (AOPC); Petsiuk et al., "RISE",
        BMVC 2018 (deletion, insertion); Zhang et al., "Top-down neural attention by excitation
        backprop", IJCV 2018 (pointing game).
    """
    check_maps(eval_set, maps)
    images, model = eval_set.images, eval_set.model
    patch_size = max(1, min(np.shape(images)[1:3]) // PATCH_GRID)
    drop, increase = metrics.AverageDrop(model), metrics.IncreaseInConfidence(model)
    aopc, deletion, insertion = (metric(model, patch_size=patch_size, steps=steps)
                                 for metric in (metrics.AOPC, metrics.DeletionAUC,
                                                metrics.InsertionAUC))
    return [LeaderboardRow(eval_set.dataset, eval_set.arch, method,
                           **_against_masks(heat, eval_set.masks),
                           average_drop=drop.evaluate(images, heat),
                           increase_in_confidence=increase.evaluate(images, heat),
                           aopc=aopc.evaluate(images, heat),
                           deletion_auc=deletion.evaluate(images, heat),
                           insertion_auc=insertion.evaluate(images, heat),
                           seconds_per_image=float(seconds.get(method, np.nan)))
            for method, heat in maps.items()]


def _against_masks(heat: np.ndarray, masks: np.ndarray | None) -> dict[str, float]:
    """The leaderboard's mask-based columns of one method's maps; NaN without masks."""
    if masks is None:
        return dict.fromkeys(("dice_vs_mask", "pointing_game", "background_error"), np.nan)
    return {"dice_vs_mask": metrics.dice(heat, masks),
            "pointing_game": 100 * metrics.pointing_game(heat, masks),
            "background_error": metrics.background_error(heat, masks)}


def sanity_rows(eval_set: EvalSet, factories: Mapping[str, Factory], count: int = 8,
                seed: int = 0, checkpoints: int | None = 3
                ) -> tuple[list[SanityRow], dict[str, metrics.SanityCheckResult]]:
    """Cascading randomisation sanity check of each method on the first `count` images.

    Args:
        eval_set: the classifier and its images.
        factories: method name -> factory (model -> explainer).
        count: number of images.
        seed: seed of the re-initialisation.
        checkpoints: maps are compared after this many evenly spaced layers of the cascade (the
            last included), None after every layer; each comparison builds an explainer anew.

    Returns:
        (one row per method: the SSIM once every layer is randomised and whether it passed;
        method -> its `metrics.SanityCheckResult`: the checkpoint layers and the similarity
        curve at them, output side first).

    References:
        Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018; see
        `metrics.sanity_check`.
    """
    images = eval_set.images[:count]
    rows, curves = [], {}
    for method, factory in factories.items():
        result = metrics.sanity_check(factory, eval_set.model, images, seed=seed,
                                      checkpoints=checkpoints)
        curves[method] = result
        rows.append(SanityRow(eval_set.dataset, eval_set.arch, method,
                              float(result.similarity[-1]), bool(result.passed)))
    return rows, curves
