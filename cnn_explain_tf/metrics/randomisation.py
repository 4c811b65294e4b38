"""Randomisation: model parameter randomisation (cascading, independent) and the random logit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
import numpy as np
from scipy.stats import spearmanr

from cnn_explain_tf import graph
from cnn_explain_tf.metrics._checks import as_maps
from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.metrics.similarity import (
    _checkpoint_indices,
    _copy_model,
    _kernel_layers,
    _reinitialise,
    map_similarity,
)
from cnn_explain_tf.metrics.summary import MetricResult, summarise
from cnn_explain_tf.validation import check_choice, check_positive_int

__all__ = ["MODES", "SIMILARITIES", "RandomisationResult", "model_parameter_randomisation",
           "per_image_similarity", "random_logit"]

MODES = ("cascading", "independent")
SIMILARITIES = ("ssim", "spearman")


@dataclasses.dataclass(frozen=True, eq=False)
class RandomisationResult:
    """Outcome of `model_parameter_randomisation`.

    Attributes:
        layers: the randomised layers compared, output first.
        per_layer: (L, B) per-image similarity after each of them.
        result: the per-image summary (the fully randomised model for "cascading", the mean over
            the layers for "independent"); lower is better.
    """

    layers: list[str]
    per_layer: np.ndarray
    result: MetricResult


def per_image_similarity(a, b, similarity: str = "ssim") -> np.ndarray:
    """(B,) similarity of map pairs: SSIM of the maps min-max scaled to [0, 1]
    (`similarity.map_similarity`), or Spearman's rank correlation of their pixels."""
    check_choice("similarity", similarity, SIMILARITIES)
    a, b = as_maps("a", a), as_maps("b", b)
    if similarity == "spearman":
        return np.array([spearmanr(x.ravel(), y.ravel())[0] for x, y in zip(a, b)], np.float32)
    return np.asarray(map_similarity(_scaled(a), _scaled(b), per_sample=True))


def _scaled(maps: np.ndarray) -> np.ndarray:
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.maximum(span, 1e-30), 0.0).astype(np.float32)


def model_parameter_randomisation(explainer_factory: Callable[[keras.Model], Callable],
                                  model: keras.Model, images, targets=None,
                                  mode: str = "cascading", similarity: str = "ssim",
                                  seed: int = 0, checkpoints: int | None = None,
                                  ) -> RandomisationResult:
    """MPRT: how much the maps change when the learned weights are replaced by random ones.

    On a copy of `model`, the kernels of its layers (output first) are re-initialised as
    `sanity_check` does; "cascading" keeps the earlier randomisations (the sanity check's
    curve), "independent" restores the trained weights before each layer. One explainer of the
    copy (`explainer_factory(copy)`) explains the images for the original model's classes after
    each compared layer (`checkpoints` evenly spaced ones, the last included; None: all), and the
    maps are compared with the original ones per image (`per_image_similarity`). Lower is
    better: a method whose maps do not depend on the weights fails it.

    References:
        Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018, Sec. 3.1 (cascading and
        independent randomisation).
    """
    check_choice("mode", mode, MODES)
    if checkpoints is not None:
        checkpoints = check_positive_int("checkpoints", checkpoints)
    images, targets = ModelMetric(model).check_inputs(images, targets)
    reference = explainer_factory(model)(images, targets)
    copy = _copy_model(model)
    trained, layers = copy.get_weights(), _kernel_layers(copy)
    explainer, compared, rows = explainer_factory(copy), _checkpoint_indices(len(layers),
                                                                             checkpoints), []
    for index, layer in enumerate(layers):
        if mode == "independent" and index in compared:
            copy.set_weights(trained)
        if mode == "independent" and index not in compared:
            continue
        _reinitialise(layer, seed + index)
        if index in compared:
            rows.append(per_image_similarity(reference, explainer(images, targets), similarity))
    per_layer = np.stack(rows).astype(np.float32)
    scores = per_layer[-1] if mode == "cascading" else per_layer.mean(axis=0)
    return RandomisationResult([layers[i].name for i in sorted(compared)], per_layer,
                               summarise(f"mprt_{mode}", scores, False))


def random_logit(model: keras.Model, images, explainer: Callable, targets=None,
                 similarity: str = "ssim", seed: int = 0) -> MetricResult:
    """Random logit test: the similarity between the map of the target class and the map of a
    uniformly drawn other class (per image, `per_image_similarity`). Lower is better: a
    class-sensitive explanation changes with the class.

    References:
        Sixt et al., "When Explanations Lie: Why Many Modified BP Attributions Fail", ICML 2020,
        Sec. 5 (random logit test).
    """
    metric = ModelMetric(model)
    images, targets = metric.check_inputs(images, targets)
    classes = int(graph.select_output(model.outputs, None).shape[-1])
    shift = np.random.default_rng(seed).integers(1, max(classes, 2), len(images))
    others = ((targets + shift) % classes).astype(np.int32)
    scores = per_image_similarity(explainer(images, targets), explainer(images, others),
                                  similarity)
    return summarise("random_logit", scores, False)
