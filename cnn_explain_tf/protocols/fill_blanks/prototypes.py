"""Table 1: prototype sets of a classifier's images and their consistency rows with intervals."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence

import keras
import numpy as np
from tqdm.auto import tqdm

from cnn_explain_tf.metrics.intervals import resample_indices
from cnn_explain_tf.probes.fill_blanks import (
    MODES,
    FillInTheBlanks,
    FillResult,
    NoMaskKeptError,
)

__all__ = ["CLASSIFIED", "ConsistencyRow", "PrototypeSet", "bootstrap_interval", "consistency",
           "consistency_rows", "image_seed", "prototype_set"]


CLASSIFIED = {"random": {"M(x) + T(E[dx])": "filled", "T(E[dx])": "prototypes"},
              "progressive": {"x after k fills": "prototypes"}}
"""Mode -> {name: `FillResult` field} of the images Table 1 classifies, the paper's first.
Random: M(x) + T(E[dx]) (Eq. 3 with Eq. 5's expectation, "given by M(x) + T(mean dx)", what
Figs. 1-2 show: x with the fill in one kept mask's blanks), or the fill T(E[dx]) of every pixel
alone (stricter: no pixel of x is left). Progressive: the image after the k-th fill."""


@dataclasses.dataclass(frozen=True)
class PrototypeSet:
    """One mode's prototypes of N images and the classes the model gives them (Table 1's data).

    Attributes:
        mode: "random" or "progressive".
        labels: (N,) int, ŷ: the class the model predicts for each image's masked input.
        truth: (N,) int ground-truth labels, or None.
        classified: `CLASSIFIED[mode]` name -> (N,) int class the model gives that image of each
            test image's prototype; -1 where the image has no prototype (no mask kept).
        images: name -> (N, H, W, C) float32 those images (NaN without a prototype).
        kept: (N,) int, masks (random) or sequences (progressive) kept per image.
    """

    mode: str
    labels: np.ndarray
    truth: np.ndarray | None
    classified: dict[str, np.ndarray]
    images: dict[str, np.ndarray]
    kept: np.ndarray

    @property
    def without_prototype(self) -> np.ndarray:
        """(N,) bool: no mask of the image was kept, so it has no prototype."""
        return self.kept == 0


@dataclasses.dataclass(frozen=True)
class ConsistencyRow:
    """One row of Table 1: the model's scores on its own prototypes, with bootstrap 95 % CIs.

    Attributes:
        mode: "random" (Section 4.1) or "progressive" (Section 4.2).
        classified: which image was classified (see `CLASSIFIED`).
        images: test images N.
        accuracy, macro_f1, weighted_f1: scores of the prototypes' classes against ŷ; an image
            without a prototype counts as misclassified. Each has `_low` / `_high`: the
            bootstrap 95 % interval over the N images.
        without_prototype: fraction of images with no kept mask, with its interval.
        without_prototype_images: their indices.
        label_is_truth: fraction of images whose ŷ is the ground truth (None without truth).
    """

    mode: str
    classified: str
    images: int
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    macro_f1: float
    macro_f1_low: float
    macro_f1_high: float
    weighted_f1: float
    weighted_f1_low: float
    weighted_f1_high: float
    without_prototype: float
    without_prototype_low: float
    without_prototype_high: float
    without_prototype_images: tuple[int, ...]
    label_is_truth: float | None


def bootstrap_interval(statistic: Callable[..., float], arrays: Sequence[np.ndarray],
                       resamples: int = 1000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """The percentile bootstrap interval of any `statistic` (F1 is no mean) over N rows.

    The resamples are `metrics.intervals.resample_indices` (one stratum of the N rows, the same
    rows from every array); the bounds are the (1 - level) / 2 and (1 + level) / 2 quantiles
    (numpy's linear interpolation) of the statistic over them, as in
    `metrics.intervals.bootstrap_interval`, which handles means only. Example: the mean of
    [0, 1] takes 0, 0.5 and 1 with probabilities 1/4, 1/2, 1/4, so its 95 % interval is (0, 1).

    Args:
        statistic: (*resampled arrays) -> a float.
        arrays: N-row arrays resampled together.
        resamples: bootstrap resamples.
        level: the interval's coverage in (0, 1).
        seed: seeds the resampling.

    References: Efron & Tibshirani, "An Introduction to the Bootstrap" (1993), Section 13.3.
    """
    draws = resample_indices([len(arrays[0])], resamples, seed)[0]
    values = [statistic(*(np.asarray(a)[draw] for a in arrays)) for draw in draws]
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def prototype_set(model: keras.Model, images, mode: str, truth=None, verbose: int = 1,
                  **options) -> PrototypeSet:
    """Builds one mode's prototype of every image for ŷ and classifies it with the same model.

    The label of each image is ŷ, the model's class for its masked input (Section 4.3:
    `FillInTheBlanks.masked_labels`); its blanks are filled for ŷ. Each image is probed alone,
    seeded by `SeedSequence([seed, index])` (31 bits): ŷ comes from the masks that fill it
    (random: the expectation's first batch; progressive: M_1 of the filled sequence). An image
    whose masks are never classified as ŷ (too few masks kept) has no prototype: class -1, NaN.

    Args:
        model: the classifier.
        images: (N, H, W, C) test images in [0, 1].
        mode: "random" or "progressive".
        truth: (N,) ground-truth labels, only reported (`ConsistencyRow.label_is_truth`).
        verbose: 0 silences the progress bar.
        **options: other `FillInTheBlanks` arguments (mask_ratio, patch_size, num_masks, seed).
    """
    seed = options.pop("seed", 0)
    names = CLASSIFIED[mode]
    shown = {name: np.full(np.shape(images), np.nan, np.float32) for name in names}
    labels, kept = np.zeros(len(images), np.int32), np.zeros(len(images), np.int64)
    for index in tqdm(range(len(images)), desc=f"prototypes ({mode})", disable=not verbose):
        probe = FillInTheBlanks(model, mode=mode, verbose=0, seed=image_seed(seed, index),
                                **options)
        labels[index] = probe.masked_labels(images[index:index + 1])[0]
        result = _fill_one(probe, images[index], labels[index])
        if result is not None:
            kept[index] = result.kept[0]
            for name, field in names.items():
                shown[name][index] = getattr(result, field)[0]
    classified = {name: np.where(kept > 0, probe.predict(np.nan_to_num(shown[name])), -1)
                  for name in names}
    return PrototypeSet(mode, labels, None if truth is None else np.asarray(truth, np.int32),
                        classified, shown, kept)


def image_seed(seed: int, index: int) -> int:
    """The probe seed of test image `index` in `prototype_set`: 31 bits of SeedSequence."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0] >> 1)


def _fill_one(probe: FillInTheBlanks, image, label) -> FillResult | None:
    """The probe's result for one image, or None when no mask was kept."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return probe(image[None], int(label))
    except NoMaskKeptError:
        return None


def consistency_rows(prototypes: PrototypeSet, resamples: int = 1000,
                     seed: int = 0) -> list[ConsistencyRow]:
    """Table 1's rows of one mode, one per classified image (see `CLASSIFIED`).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Sec. 4.3, Table 1.
    """
    labels, missing = prototypes.labels, prototypes.without_prototype.astype(np.float64)
    classes = np.unique(labels)

    scores = {"accuracy": lambda y, p: float(np.mean(y == p)),
              **{f"{average}_f1": functools.partial(_f1, classes=classes, average=average)
                 for average in ("macro", "weighted")}}

    rows = []
    for name, predicted in prototypes.classified.items():
        fields = {}
        for metric, score in scores.items():
            fields[metric] = score(labels, predicted)
            fields[f"{metric}_low"], fields[f"{metric}_high"] = bootstrap_interval(
                score, (labels, predicted), resamples, seed=seed)
        low, high = bootstrap_interval(np.mean, (missing,), resamples, seed=seed)
        truth = prototypes.truth
        rows.append(ConsistencyRow(
            prototypes.mode, name, len(labels), **fields, without_prototype=float(missing.mean()),
            without_prototype_low=low, without_prototype_high=high,
            without_prototype_images=tuple(int(i) for i in np.flatnonzero(missing)),
            label_is_truth=None if truth is None else float(np.mean(truth == labels))))
    return rows


def _f1(labels: np.ndarray, predicted: np.ndarray, classes: np.ndarray, average: str) -> float:
    """sklearn's F1 averaged over `classes` (a missing prototype's -1 is a wrong class)."""
    from sklearn.metrics import f1_score

    return float(f1_score(labels, predicted, labels=classes, average=average, zero_division=0))


def consistency(model: keras.Model, images, modes: Sequence[str] = tuple(MODES), truth=None,
                verbose: int = 1, resamples: int = 1000, **options) -> list[ConsistencyRow]:
    """The prototype consistency test (Table 1): the model classifies its own prototypes.

    For each mode: each test image's prototype is built for ŷ, the model's class for the masked
    input (`prototype_set`), then classified by the same model and scored against ŷ
    (`consistency_rows`).

    Args:
        model: the classifier.
        images: (N, H, W, C) test images in [0, 1].
        modes: the `FillInTheBlanks` modes to evaluate.
        truth: (N,) ground-truth labels, only for `label_is_truth`.
        verbose: 0 silences the progress bars.
        resamples: bootstrap resamples of each interval.
        **options: other `FillInTheBlanks` arguments (mask_ratio, patch_size, num_masks, ...).

    Returns:
        The rows of Table 1, modes in order.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Sec. 4.3, Table 1.
    """
    return [row for mode in modes
            for row in consistency_rows(prototype_set(model, images, mode, truth, verbose,
                                                      **options), resamples)]
