"""The SFT-GAN paper's evaluation protocols (Tables 1-3, noise, CGMA relevance) as table rows."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
from tqdm.auto import tqdm

from cnn_explain_tf import graph, metrics
from cnn_explain_tf.explain.sft_gan import SFTGANExplainer
from cnn_explain_tf.metrics._checks import nan_mean
from cnn_explain_tf.validation import InputError, check_images, describe

__all__ = ["DISPLAY_NAMES", "EvalSet", "Factory", "NOISE_AMOUNTS", "PATCH_GRID",
           "PERTURBATION_STEPS",
           "average_rows", "cgma_relevance", "dice_rows", "explain_all", "faithfulness_rows",
           "leaderboard_rows", "localization_rows", "noise_robustness", "sanity_rows"]

Factory = Callable[[keras.Model], Callable]
"""model -> explainer called as `explainer(images, targets)` -> (B, H, W) maps in [0, 1]."""

NOISE_AMOUNTS = tuple(round(0.05 * step, 2) for step in range(1, 11))
"""Salt-and-pepper amounts of Fig. 12-13 of arXiv 2301.08067: 0.05 to 0.5."""

PATCH_GRID = 8
"""The perturbation metrics cut each image into about PATCH_GRID x PATCH_GRID square patches of
side min(H, W) // PATCH_GRID: 4 pixels on 32x32 images, 8 on 64x64 (Samek et al.'s 9x9 patches
form a 25x25 grid on 224x224 ImageNet images)."""

PERTURBATION_STEPS = 8
"""Default steps of the perturbation curves: AOPC removes the 8 most relevant of the 64 patches
one by one (an eighth of the image); deletion and insertion cover all patches in 8 equal steps."""

NOISE_FIGURE_IMAGES = 3
"""Noisy images and maps per amount that `noise_robustness` keeps for a figure."""

DISPLAY_NAMES = {"gradcam": "Grad-CAM", "gsft": "GSFT", "lsft": "LSFT"}
"""How reports and column names spell the methods whose registry name is not readable."""


@dataclasses.dataclass(frozen=True)
class EvalSet:
    """A trained classifier with the evaluation images of its dataset.

    Attributes:
        dataset: dataset name, e.g. "digits".
        arch: classifier architecture, e.g. "vgg_lite".
        model: the classifier, returning class probabilities.
        images: (N, H, W, C) float32 in [0, 1] at the classifier's input size, N >= 1.
        labels: (N,) int class labels.
        masks: (N, H, W) float32 in {0, 1}: ground-truth foreground.

    Raises:
        InputError: no images, or labels or masks that do not match the images.
    """

    dataset: str
    arch: str
    model: keras.Model
    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray

    def __post_init__(self):
        if np.shape(self.images)[:1] == (0,):
            raise InputError(f"images: expected at least one evaluation image for {self.name}, "
                             f"got an empty set {describe(self.images)}")
        images = check_images(self.images, graph.input_shape(self.model))
        expected = {"labels": images.shape[:1], "masks": images.shape[:3]}
        for field, shape in expected.items():
            if np.shape(getattr(self, field)) != shape:
                raise InputError(f"{field}: expected shape {shape} for the {len(images)} images "
                                 f"of {self.name}, got {describe(getattr(self, field))}")

    @property
    def name(self) -> str:
        """"dataset__arch", unique per evaluated classifier."""
        return f"{self.dataset}__{self.arch}"


def explain_all(eval_set: EvalSet, factories: Mapping[str, Factory], verbose: int = 0
                ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Maps of every method for the classes the classifier predicts, and their cost.

    Each explainer is built once; one warm-up image traces its compiled step, so the timing is
    the steady cost of explaining the whole set.

    Args:
        eval_set: the classifier and its images.
        factories: method name -> factory (model -> explainer).
        verbose: 1 shows a progress bar over the methods.

    Returns:
        (method -> (N, H, W) float32 maps, method -> seconds per image).
    """
    maps, seconds = {}, {}
    for method, factory in tqdm(factories.items(), desc=eval_set.name, unit="method",
                                disable=not verbose):
        explainer = factory(eval_set.model)
        explainer(eval_set.images[:1])
        start = time.perf_counter()
        maps[method] = np.asarray(explainer(eval_set.images), np.float32)
        seconds[method] = (time.perf_counter() - start) / len(eval_set.images)
    return maps, seconds


def localization_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray]) -> list[dict]:
    """Table 1: TP, FP, TN and FN rates in % of each method's binarised maps against the masks.

    References:
        Table 1 of Guna et al., arXiv 2301.08067; see `metrics.localization_rates`.
    """
    _check_maps(eval_set, maps)
    rows = []
    for method, heat in maps.items():
        rates = metrics.localization_rates(heat, eval_set.masks)
        rows.append({**_header(eval_set), "method": method, "TP %": 100 * rates.tp,
                     "FP %": 100 * rates.fp, "TN %": 100 * rates.tn, "FN %": 100 * rates.fn})
    return rows


def dice_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
              reference: str = "gradcam") -> list[dict]:
    """Table 2: one row with the Dice of each method's binarised maps against the reference's.

    The reference's own column is 1.

    References:
        Table 2 of Guna et al., arXiv 2301.08067; see `metrics.dice`.
    """
    _check_maps(eval_set, maps, reference)
    return [{**_header(eval_set), **{f"Dice {method}": metrics.dice(heat, maps[reference])
                                     for method, heat in maps.items()}}]


def faithfulness_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                      reference: str = "gradcam") -> list[dict]:
    """Table 3: average drop, increase in confidence and win rate against the reference, in %.

    The reference's win rate against itself is 50 (every sample ties).

    References:
        Table 3 of Guna et al., arXiv 2301.08067; see `metrics.AverageDrop`,
        `metrics.IncreaseInConfidence`, `metrics.WinRate`.
    """
    _check_maps(eval_set, maps, reference)
    images, model = eval_set.images, eval_set.model
    drop, increase = metrics.AverageDrop(model), metrics.IncreaseInConfidence(model)
    win = metrics.WinRate(model)
    win_column = f"win % vs {DISPLAY_NAMES.get(reference, reference)}"
    return [{**_header(eval_set), "method": method,
             "average drop %": drop.evaluate(images, heat),
             "increase in confidence %": increase.evaluate(images, heat),
             win_column: win.evaluate(images, heat, maps[reference])}
            for method, heat in maps.items()]


def average_rows(rows: Sequence[Mapping], group_keys: Sequence[str] = ("method",)) -> list[dict]:
    """Means over the rows that share the values of `group_keys`, e.g. over dataset x arch pairs.

    A column is averaged (ignoring NaN; NaN when every value is NaN) when all its values are
    numbers (bool excluded); other columns outside `group_keys` are dropped. Groups keep the order
    in which they first appear; each row ends with "pairs", the number of rows averaged.

    Args:
        rows: flat dicts column -> value.
        group_keys: the columns that identify a group; () averages all rows into one.

    Returns:
        One row per group: the group's keys, the numeric columns' means, "pairs".

    Raises:
        InputError: a row without one of the `group_keys`.
    """
    for key in group_keys:
        if any(key not in row for row in rows):
            raise InputError(f"group_keys: expected columns that every row has, got {key!r}")
    columns = [column for column in dict.fromkeys(key for row in rows for key in row)
               if column not in group_keys
               and all(_is_number(row[column]) for row in rows if column in row)]
    groups: dict[tuple, list[Mapping]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in group_keys), []).append(row)
    return [{**dict(zip(group_keys, values)),
             **{column: float(nan_mean([row[column] for row in members if column in row]))
                for column in columns},
             "pairs": len(members)}
            for values, members in groups.items()]


def noise_robustness(eval_set: EvalSet, factories: Mapping[str, Factory],
                     amounts: Sequence[float] = NOISE_AMOUNTS, seed: int = 0
                     ) -> tuple[list[dict], dict]:
    """Fig. 12-13: background error of each method's maps on salt-and-pepper noisy images.

    For each amount, `metrics.salt_and_pepper(images, amount, seed)` corrupts the images; every
    method explains them for the classes predicted on the clean images (the noise should not move
    the heat), and the background error is measured against the clean masks.

    Returns:
        (rows: amount, method, "background error"; the figure's data: {"amounts": [...],
        "images": {amount: first 3 noisy images}, "maps": {method: {amount: first 3 maps}}}).

    References:
        Fig. 12-13 and Eq. 9 of Guna et al., arXiv 2301.08067.
    """
    targets = _predicted_classes(eval_set)
    explainers = {method: factory(eval_set.model) for method, factory in factories.items()}
    rows = []
    figure = {"amounts": list(amounts), "images": {}, "maps": {method: {} for method in factories}}
    for amount in amounts:
        noisy = metrics.salt_and_pepper(eval_set.images, amount, seed)
        figure["images"][amount] = noisy[:NOISE_FIGURE_IMAGES]
        for method, explainer in explainers.items():
            heat = explainer(noisy, targets)
            figure["maps"][method][amount] = heat[:NOISE_FIGURE_IMAGES]
            rows.append({"amount": amount, "method": method,
                         "background error": metrics.background_error(heat, eval_set.masks)})
    return rows, figure


def cgma_relevance(eval_set: EvalSet, gan: SFTGANExplainer) -> np.ndarray:
    """Section 5: the generator's mean relevance of each CGMA on this classifier, summing to 1.

    Returns:
        float32 (k,) shares of the total relevance, CNN order (first CGMA: shallowest layers);
        NaN when the generator ignores every CGMA (zero total relevance).

    References:
        Eq. 10 and Section 5 of Guna et al., arXiv 2301.08067; see `SFTGANExplainer.relevance`.
    """
    relevance = np.mean(gan.relevance(eval_set.model, eval_set.images), axis=0, dtype=np.float64)
    total = relevance.sum()
    return (relevance / total if total > 0 else np.full_like(relevance, np.nan)).astype(
        np.float32)


def leaderboard_rows(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                     seconds: Mapping[str, float], steps: int | None = PERTURBATION_STEPS
                     ) -> list[dict]:
    """Every metric of the library for each method, one row per method.

    Columns: Dice of the binarised map vs the mask, pointing game %, background error, average
    drop %, increase in confidence %, AOPC, deletion and insertion AUC (a `PATCH_GRID` grid of
    patches; AOPC on uniform noise, deletion/insertion on black) and seconds per image (NaN
    where `seconds` has no timing for the method).

    Args:
        eval_set: the classifier, its images and masks.
        maps: method -> (N, H, W) maps.
        seconds: method -> seconds per image, e.g. from `explain_all`.
        steps: steps of the perturbation curves; None: one per patch (slower, finer).
    """
    _check_maps(eval_set, maps)
    images, masks, model = eval_set.images, eval_set.masks, eval_set.model
    patch_size = max(1, min(np.shape(masks)[1:]) // PATCH_GRID)
    scores = {"average drop %": metrics.AverageDrop(model),
              "increase in confidence %": metrics.IncreaseInConfidence(model),
              **{column: metric(model, patch_size=patch_size, steps=steps)
                 for column, metric in (("AOPC", metrics.AOPC),
                                        ("deletion AUC", metrics.DeletionAUC),
                                        ("insertion AUC", metrics.InsertionAUC))}}
    return [{**_header(eval_set), "method": method,
             "Dice vs mask": metrics.dice(heat, masks),
             "pointing game %": 100 * metrics.pointing_game(heat, masks),
             "background error": metrics.background_error(heat, masks),
             **{column: metric.evaluate(images, heat) for column, metric in scores.items()},
             "seconds / image": float(seconds.get(method, np.nan))}
            for method, heat in maps.items()]


def sanity_rows(eval_set: EvalSet, factories: Mapping[str, Factory], count: int = 8,
                seed: int = 0, checkpoints: int | None = 3
                ) -> tuple[list[dict], dict[str, metrics.SanityCheckResult]]:
    """Cascading randomisation sanity check of each method on the first `count` images.

    Args:
        eval_set: the classifier and its images.
        factories: method name -> factory (model -> explainer).
        count: number of images.
        seed: seed of the re-initialisation.
        checkpoints: maps are compared after this many evenly spaced layers of the cascade (the
            last included), None after every layer; each comparison builds an explainer anew.

    Returns:
        (rows: dataset, arch, method, "sanity SSIM" (similarity once every layer is randomised),
        "sanity passed"; method -> its `metrics.SanityCheckResult`: the checkpoint layers and
        the similarity curve at them, output side first).

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
        rows.append({**_header(eval_set), "method": method,
                     "sanity SSIM": float(result.similarity[-1]), "sanity passed": result.passed})
    return rows, curves


def _header(eval_set: EvalSet) -> dict:
    return {"dataset": eval_set.dataset, "arch": eval_set.arch}


def _check_maps(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
                reference: str | None = None) -> None:
    """Raises InputError unless every method's maps have the masks' shape (and `reference` is
    among the methods)."""
    if reference is not None and reference not in maps:
        raise InputError(f"reference: expected one of the methods {list(maps)}, got {reference!r}")
    for method, heat in maps.items():
        if np.shape(heat) != np.shape(eval_set.masks):
            raise InputError(f"maps[{method!r}]: expected the shape of the masks of "
                             f"{eval_set.name} {np.shape(eval_set.masks)}, got {describe(heat)}")


def _predicted_classes(eval_set: EvalSet) -> np.ndarray:
    probabilities = eval_set.model.predict(eval_set.images, verbose=0)
    return np.argmax(probabilities, axis=-1).astype(np.int32)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))
