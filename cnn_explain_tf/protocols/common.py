"""What every protocol shares: the evaluated classifier and its images, explaining, averaging."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
from tqdm.auto import tqdm

from cnn_explain_tf import graph
from cnn_explain_tf.metrics._checks import nan_mean
from cnn_explain_tf.validation import InputError, check_images, describe

__all__ = ["EvalSet", "Factory", "average_rows", "check_maps", "check_masks", "explain_all", "head",
           "predicted_classes"]

Factory = Callable[[keras.Model], Callable]
"""model -> explainer called as `explainer(images, targets)` -> (B, H, W) maps in [0, 1]: an
explainer class, `functools.partial(SFTGANExplainer, generator=...)` or any such callable."""


@dataclasses.dataclass(frozen=True)
class EvalSet:
    """A trained classifier with the evaluation images of its dataset.

    Attributes:
        dataset: dataset name, e.g. "digits".
        arch: classifier architecture, e.g. "vgg_lite".
        model: the classifier, returning class probabilities.
        images: (N, H, W, C) float32 in [0, 1] at the classifier's input size, N >= 1.
        labels: (N,) int class labels.
        masks: (N, H, W) float32 in {0, 1}: ground-truth foreground; None for a dataset without
            masks (`data.info(name).has_masks` False), whose mask-based protocols are skipped.

    Raises:
        InputError: no images, or labels or masks that do not match the images.
    """

    dataset: str
    arch: str
    model: keras.Model
    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray | None = None

    def __post_init__(self):
        if np.shape(self.images)[:1] == (0,):
            raise InputError(f"images: expected at least one evaluation image for {self.name}, "
                             f"got an empty set {describe(self.images)}")
        images = check_images(self.images, graph.input_shape(self.model))
        expected = {"labels": images.shape[:1]}
        if self.masks is not None:
            expected["masks"] = images.shape[:3]
        for field, shape in expected.items():
            if np.shape(getattr(self, field)) != shape:
                raise InputError(f"{field}: expected shape {shape} for the {len(images)} images "
                                 f"of {self.name}, got {describe(getattr(self, field))}")

    @property
    def name(self) -> str:
        """"dataset__arch", unique per evaluated classifier."""
        return f"{self.dataset}__{self.arch}"


def head(eval_set: EvalSet, count: int) -> EvalSet:
    """The first `count` images of `eval_set` (with their labels and masks, if any)."""
    masks = None if eval_set.masks is None else eval_set.masks[:count]
    return dataclasses.replace(eval_set, images=eval_set.images[:count],
                               labels=eval_set.labels[:count], masks=masks)


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


def check_maps(eval_set: EvalSet, maps: Mapping[str, np.ndarray],
               reference: str | None = None) -> None:
    """Raises InputError unless every method's maps have the images' (N, H, W) shape (and
    `reference` is among the methods)."""
    if reference is not None and reference not in maps:
        raise InputError(f"reference: expected one of the methods {list(maps)}, got {reference!r}")
    shape = np.shape(eval_set.images)[:3]
    for method, heat in maps.items():
        if np.shape(heat) != shape:
            raise InputError(f"maps[{method!r}]: expected the shape of the masks, (N, H, W) of "
                             f"the images of {eval_set.name} {shape}, got {describe(heat)}")


def check_masks(eval_set: EvalSet, protocol: str) -> np.ndarray:
    """`eval_set.masks`; InputError when the dataset has no ground-truth masks."""
    if eval_set.masks is None:
        raise InputError(f"eval_set: {protocol} needs ground-truth masks; {eval_set.name} has "
                         f"none (masks=None)")
    return eval_set.masks


def predicted_classes(eval_set: EvalSet) -> np.ndarray:
    """(N,) int32: the class the classifier predicts for each image."""
    probabilities = eval_set.model.predict(eval_set.images, verbose=0)
    return np.argmax(probabilities, axis=-1).astype(np.int32)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))
