"""Randomisation: MPRT (cascading, independent, smooth, efficient) and the random logit test."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
import numpy as np
from scipy.stats import entropy, spearmanr

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

__all__ = ["MODES", "SIMILARITIES", "RandomisationResult", "efficient_mprt", "histogram_entropy",
           "model_parameter_randomisation", "per_image_similarity", "random_logit",
           "smooth_mprt", "smoothed_explainer"]

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


def smoothed_explainer(explainer_factory: Callable[[keras.Model], Callable], samples: int = 50,
                       noise: float = 0.1, seed: int = 0) -> Callable[[keras.Model], Callable]:
    """A factory whose explainer averages `explainer_factory`'s maps over `samples` noisy copies
    of each image: e_bar(x) = 1/N * sum_{i=1..N} e(x + delta_i), delta_i ~ N(0, noise^2 I).

    The same draws delta_i (one `numpy.random.default_rng(seed)` per call) serve every model, so
    the trained and the randomised model explain the same noisy images. The noisy copies are
    clipped to [0, 1], the range this library's explainers accept (Quantus's SmoothMPRT adds the
    noise unclipped).

    References:
        Hedstrom et al., "Sanity Checks Revisited: An Exploration to Repair the Model Parameter
        Randomisation Test", XAI in Action workshop, NeurIPS 2023, Sec. 4.1 (sMPRT's denoised
        explanation, the mean over N noisy inputs).
    """
    samples = check_positive_int("samples", samples)

    def factory(model: keras.Model) -> Callable:
        explainer = explainer_factory(model)

        def explain(images, targets):
            images, rng, total = np.asarray(images, np.float32), np.random.default_rng(seed), 0.0
            for _ in range(samples):
                delta = rng.normal(0.0, noise, images.shape).astype(np.float32)
                total = total + as_maps("maps", explainer(np.clip(images + delta, 0.0, 1.0),
                                                          targets)).astype(np.float64)
            return (total / samples).astype(np.float32)
        return explain
    return factory


def smooth_mprt(explainer_factory: Callable[[keras.Model], Callable], model: keras.Model,
                images, targets=None, mode: str = "cascading", similarity: str = "spearman",
                samples: int = 50, noise: float = 0.1, seed: int = 0,
                checkpoints: int | None = None) -> RandomisationResult:
    """Smooth MPRT (sMPRT): `model_parameter_randomisation` on denoised maps
    (`smoothed_explainer`), so that noise in the maps, which lowers any similarity, no longer
    passes for a dependence on the weights. Lower is better.

    Per image, rho(e_bar(x; f), e_bar(x; f_hat_l)) after each compared layer l, rho the
    similarity (Spearman's rank correlation by default, as the paper and Quantus use; Quantus
    also takes absolute values and normalises the maps first, which this function does not).
    `noise` is the standard deviation of the input noise in the images' units (Quantus's
    noise_magnitude, 0.1 by default); the paper tunes N and the noise per dataset.

    References:
        Hedstrom et al., "Sanity Checks Revisited: An Exploration to Repair the Model Parameter
        Randomisation Test", XAI in Action workshop, NeurIPS 2023, Sec. 4.1 (sMPRT).
    """
    result = model_parameter_randomisation(
        smoothed_explainer(explainer_factory, samples, noise, seed), model, images, targets,
        mode, similarity, seed, checkpoints)
    return dataclasses.replace(result, result=summarise(
        f"smooth_mprt_{mode}", result.result.scores, False))


def histogram_entropy(maps, bins: int = 100) -> np.ndarray:
    """(B,) Shannon entropy (natural log) of each map's values in a `bins`-bin histogram over the
    map's own range: H(e) = -sum_k p_k log p_k, p_k the share of pixels in bin k (Quantus's
    discrete_entropy). A constant map has entropy 0."""
    bins = check_positive_int("bins", bins)
    maps = as_maps("maps", maps)
    return np.array([entropy(np.histogram(m, bins=bins)[0]) for m in maps], np.float64)


def efficient_mprt(explainer_factory: Callable[[keras.Model], Callable], model: keras.Model,
                   images, targets=None, bins: int = 100, seed: int = 0) -> RandomisationResult:
    """Efficient MPRT (eMPRT): the relative rise in map complexity from the trained model f to
    the fully randomised one f_hat (every kernel re-initialised, as "cascading" MPRT ends).

    Per image, eMPRT = (H(e(x; f_hat)) - H(e(x; f))) / H(e(x; f)), H the histogram entropy
    (`histogram_entropy`); NaN where the trained map is constant. Higher is better: a map that
    reflects what the model learned becomes noisier once the weights are random; a map that does
    not depend on the weights scores 0. Two explainer runs instead of one per layer. The
    result's `per_layer` holds the (2, B) entropies, trained then randomised.

    References:
        Hedstrom et al., "Sanity Checks Revisited: An Exploration to Repair the Model Parameter
        Randomisation Test", XAI in Action workshop, NeurIPS 2023, Sec. 4.2 (eMPRT, the
        relative rise in explanation complexity between the two model states).
    """
    images, targets = ModelMetric(model).check_inputs(images, targets)
    before = histogram_entropy(explainer_factory(model)(images, targets), bins)
    copy = _copy_model(model)
    layers = _kernel_layers(copy)
    for index, layer in enumerate(layers):
        _reinitialise(layer, seed + index)
    after = histogram_entropy(explainer_factory(copy)(images, targets), bins)
    scores = np.where(before > 0, (after - before) / np.where(before > 0, before, 1.0), np.nan)
    return RandomisationResult([layers[-1].name], np.stack([before, after]).astype(np.float32),
                               summarise("efficient_mprt", scores, True))
