"""Faithfulness of heat maps: average drop, increase in confidence and win rate on energy maps."""

from __future__ import annotations

import keras
import numpy as np

from cnn_explain_tf.metrics.base import ModelMetric, energy_images
from cnn_explain_tf.validation import InputError


class AverageDrop(ModelMetric):
    """Average drop in %: how much confidence the energy map image * map loses.

    Per sample, 100 * (Y - O) / Y with Y the model's probability of the target class on the image
    and O its probability on the energy map. Samples whose energy map is more confident (O > Y) are
    excluded (NaN per sample, skipped by `evaluate`), as in the SFT-GAN paper's modification of
    Chattopadhyay et al.'s max(0, Y - O) / Y; `evaluate` is NaN when every sample is excluded.
    Lower is better.

    References:
        Eq. 7 of Guna et al., arXiv 2301.08067; Chattopadhyay et al., "Grad-CAM++", WACV 2018.
    """

    def detailed_evaluate(self, images, maps, targets=None) -> np.ndarray:
        """(B,) drops in % (NaN where excluded); targets default to the predicted classes."""
        original, energy = self.original_and_energy(images, maps, targets)
        drop = 100.0 * (original - energy) / np.maximum(original, 1e-12)
        return np.where(energy > original, np.nan, drop).astype(np.float32)

    def original_and_energy(self, images, maps, targets=None) -> tuple[np.ndarray, np.ndarray]:
        """(Y, O): target-class probabilities on the images and on their energy maps."""
        images, targets, maps = self.check_inputs(images, targets, maps=maps)
        return (self.confidences(images, targets),
                self.confidences(energy_images(images, maps), targets))


class IncreaseInConfidence(AverageDrop):
    """Increase in confidence in %: the share of samples whose energy map is more confident.

    Per sample, 100 * [O > Y] (100 or 0) with Y, O as in `AverageDrop`. Higher is better.

    References:
        Eq. 8 of Guna et al., arXiv 2301.08067; Chattopadhyay et al., "Grad-CAM++", WACV 2018.
    """

    def detailed_evaluate(self, images, maps, targets=None) -> np.ndarray:
        """(B,) 100 where the energy map raises the target probability, else 0."""
        original, energy = self.original_and_energy(images, maps, targets)
        return np.where(energy > original, 100.0, 0.0).astype(np.float32)


class WinRate(ModelMetric):
    """Win rate in % of maps_a over maps_b: how often a's energy map keeps more confidence.

    Per sample, a wins (100) when its energy-map probability O_a exceeds O_b by more than
    `tolerance`, which is the same as a lower drop (Y - O) / Y; it loses (0) when O_b exceeds O_a
    by more than `tolerance`; otherwise it is a tie and counts half (50). So
    win_rate(a, b) + win_rate(b, a) = 100, and identical maps score 50.

    Args:
        model: a classifier returning probabilities.
        batch_size: images per compiled model call.
        tolerance: absolute probability difference at or below which two maps tie.

    References:
        Table 3 ("win %") of Guna et al., arXiv 2301.08067; Chattopadhyay et al., WACV 2018.
    """

    def __init__(self, model: keras.Model, batch_size: int = 32, tolerance: float = 1e-6):
        super().__init__(model, batch_size)
        if not float(tolerance) >= 0.0:
            raise InputError(f"tolerance: expected a probability difference >= 0, "
                             f"got {tolerance!r}")
        self.tolerance = float(tolerance)

    def detailed_evaluate(self, images, maps_a, maps_b, targets=None) -> np.ndarray:
        """(B,) 100 (a wins), 50 (tie) or 0 (b wins)."""
        images, targets, maps_a, maps_b = self.check_inputs(images, targets, maps_a=maps_a,
                                                            maps_b=maps_b)
        margin = (self.confidences(energy_images(images, maps_a), targets)
                  - self.confidences(energy_images(images, maps_b), targets))
        return (50.0 + 50.0 * np.sign(np.where(np.abs(margin) <= self.tolerance, 0.0, margin))
                ).astype(np.float32)


def average_drop(model: keras.Model, images, maps, targets=None, batch_size: int = 32) -> float:
    """Average drop in % (Eq. 7 of arXiv 2301.08067); see `AverageDrop`."""
    return AverageDrop(model, batch_size).evaluate(images, maps, targets)


def increase_in_confidence(model: keras.Model, images, maps, targets=None,
                           batch_size: int = 32) -> float:
    """Increase in confidence in % (Eq. 8 of arXiv 2301.08067); see `IncreaseInConfidence`."""
    return IncreaseInConfidence(model, batch_size).evaluate(images, maps, targets)


def win_rate(model: keras.Model, images, maps_a, maps_b, targets=None, batch_size: int = 32,
             tolerance: float = 1e-6) -> float:
    """Win rate in % of maps_a over maps_b, ties counting half; see `WinRate`."""
    return WinRate(model, batch_size, tolerance).evaluate(images, maps_a, maps_b, targets)
