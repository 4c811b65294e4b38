"""Robustness: max / average sensitivity, local Lipschitz estimate, salt-and-pepper noise."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from cnn_explain_tf.metrics._checks import as_maps, check_fraction
from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.metrics.summary import MetricResult, summarise
from cnn_explain_tf.validation import InputError, check_images, check_positive_int

__all__ = ["explanation_changes", "local_lipschitz_estimate", "max_sensitivity",
           "average_sensitivity", "robustness_family", "salt_and_pepper"]


def salt_and_pepper(images, amount: float, seed: int = 0) -> np.ndarray:
    """Sets exactly round(amount * H * W) pixel positions of each image to 0 or 1 (all channels).

    Positions are drawn without replacement, independently per image; half of them (rounded
    down) become pepper (0), the rest salt (1). The input is not modified.

    Args:
        images: (B, H, W, C) floats in [0, 1].
        amount: fraction of pixel positions to corrupt, in [0, 1].
        seed: same seed, same noise.

    Returns:
        float32 (B, H, W, C) noisy copy.

    References:
        Fig. 12-13 of Guna et al., arXiv 2301.08067 (amounts 0.05 to 0.5).
    """
    images = check_images(images, (None, None, None)).copy()
    amount = check_fraction("amount", amount)
    batch, height, width, _ = images.shape
    count = int(round(amount * height * width))
    rng = np.random.default_rng(seed)
    positions = np.argsort(rng.random((batch, height * width)), axis=1)[:, :count]
    values = np.where(np.arange(count) < count // 2, 0.0, 1.0).astype(np.float32)
    flat = images.reshape(batch, height * width, -1)
    np.put_along_axis(flat, positions[..., None], values[None, :, None], axis=1)
    return flat.reshape(images.shape)




def explanation_changes(model: keras.Model, images, explainer: Callable, targets=None,
                        radius: float = 0.02, num_samples: int = 8, seed: int = 0,
                        batch_size: int = 32) -> dict[str, np.ndarray]:
    """How much maps move when the images move: the explainer re-run on perturbed copies.

    Each of `num_samples` copies of the images gets uniform noise in [-radius, radius] (clipped
    to [0, 1]); the explainer explains all copies in one call for the classes of the unperturbed
    images (`targets`, default the predicted ones).

    Returns:
        (num_samples, B) arrays: "relative" ||g(x') - g(x)|| / ||g(x)||, "absolute" ||g(x') -
        g(x)||, "input" ||x' - x|| (Frobenius norms).
    """
    if not float(radius) > 0:
        raise InputError(f"radius: expected a noise radius > 0, got {radius!r}")
    num_samples = check_positive_int("num_samples", num_samples)
    images, targets = ModelMetric(model, batch_size).check_inputs(images, targets)
    reference = as_maps("explainer output", explainer(images, targets)).astype(np.float64)
    rng = np.random.default_rng(seed)
    noise = rng.uniform(-radius, radius, (num_samples, *images.shape)).astype(np.float32)
    perturbed = np.clip(images[None] + noise, 0.0, 1.0)
    maps = as_maps("explainer output", explainer(perturbed.reshape(-1, *images.shape[1:]),
                                                  np.tile(targets, num_samples)))
    change = np.linalg.norm((maps.reshape(num_samples, *reference.shape) - reference[None]
                             ).reshape(num_samples, len(images), -1), axis=2)
    scale = np.linalg.norm(reference.reshape(len(images), -1), axis=1)
    moved = np.linalg.norm((perturbed - images[None]).reshape(num_samples, len(images), -1),
                           axis=2)
    return {"relative": np.where(scale > 0, change / np.maximum(scale, 1e-30), np.nan),
            "absolute": change, "input": moved}


def robustness_family(changes: dict[str, np.ndarray]) -> dict[str, MetricResult]:
    """The three robustness metrics of one `explanation_changes` run, by name."""
    lipschitz = np.max(changes["absolute"] / np.maximum(changes["input"], 1e-12), axis=0)
    return {"max_sensitivity": summarise("max_sensitivity", changes["relative"].max(axis=0),
                                         False),
            "average_sensitivity": summarise("average_sensitivity",
                                             changes["relative"].mean(axis=0), False),
            "local_lipschitz_estimate": summarise("local_lipschitz_estimate", lipschitz, False)}


def max_sensitivity(model: keras.Model, images, explainer: Callable, targets=None,
                    **options) -> MetricResult:
    """Max-sensitivity: per image, max over perturbations x' with ||x' - x||_inf <= radius of
    ||g(x') - g(x)|| / ||g(x)|| (relative, so that the map's units do not matter), by Monte
    Carlo over `num_samples` draws (`explanation_changes` options). Lower is better.

    References:
        Yeh et al., "On the (In)fidelity and Sensitivity of Explanations", NeurIPS 2019, Eq. 3.
    """
    return robustness_family(explanation_changes(model, images, explainer, targets, **options)
                             )["max_sensitivity"]


def average_sensitivity(model: keras.Model, images, explainer: Callable, targets=None,
                        **options) -> MetricResult:
    """Average sensitivity: as `max_sensitivity`, the mean over the perturbations instead of
    the max. Lower is better.

    References:
        Yeh et al., "On the (In)fidelity and Sensitivity of Explanations", NeurIPS 2019, Sec. 4
        (the expected sensitivity, SENS_AVG).
    """
    return robustness_family(explanation_changes(model, images, explainer, targets, **options)
                             )["average_sensitivity"]


def local_lipschitz_estimate(model: keras.Model, images, explainer: Callable, targets=None,
                             **options) -> MetricResult:
    """Local Lipschitz estimate: per image, max over the perturbations of ||g(x') - g(x)|| /
    ||x' - x|| (Monte Carlo over `num_samples` draws in the radius ball rather than the paper's
    optimiser; `explanation_changes` options). Lower is better.

    References:
        Alvarez-Melis & Jaakkola, "On the Robustness of Interpretability Methods", ICML workshop
        2018, Eq. 1.
    """
    return robustness_family(explanation_changes(model, images, explainer, targets, **options)
                             )["local_lipschitz_estimate"]
