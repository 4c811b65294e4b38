"""Energy-map faithfulness: average drop, increase in confidence and win rate (SFT-GAN paper)."""

from __future__ import annotations

import keras
import numpy as np

from cnn_explain_tf.metrics.base import ModelMetric, energy_images
from cnn_explain_tf.validation import InputError, check_choice


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
    """Chattopadhyay et al.'s increase in confidence in %: the share of more confident energy maps.

    Per sample, 100 * [O > Y] (100 or 0) with Y, O as in `AverageDrop`. Higher is better. This is
    the original count; the SFT-GAN paper's Eq. 8 is `ModifiedIncreaseInConfidence`.

    References:
        Chattopadhyay et al., "Grad-CAM++", WACV 2018, Sec. 6.1.
    """

    def detailed_evaluate(self, images, maps, targets=None) -> np.ndarray:
        """(B,) 100 where the energy map raises the target probability, else 0."""
        original, energy = self.original_and_energy(images, maps, targets)
        return np.where(energy > original, 100.0, 0.0).astype(np.float32)


class ModifiedIncreaseInConfidence(AverageDrop):
    """The SFT-GAN paper's modified increase in confidence in % (Eq. 8): how much confidence the
    energy maps that are more confident gain.

    Per sample, 100 * (O - Y) / Y where O > Y, and NaN (not counted) elsewhere; `evaluate` is the
    mean over the counted samples, NaN when no energy map is more confident. Higher is better.

    Reconstruction: the extracted Eq. 8 keeps only "(%) = sum(... - ...) / ... * 100". Section
    4.2.3 says Eq. 7 (average drop) ignores "the cases in which confidence of energy maps were
    greater than original images as opposed to Chattopadhyay et al." and that the increase "was
    modified to gauge these cases", so Eq. 8 is read as Eq. 7 mirrored on exactly those cases:
    sum over them of (C_energy - C_original) / C_original, averaged, times 100 (the count of such
    cases is Chattopadhyay's original, `IncreaseInConfidence`).

    References:
        Eq. 7-8 and Sec. 4.2.3 of Guna et al., arXiv 2301.08067.
    """

    def detailed_evaluate(self, images, maps, targets=None) -> np.ndarray:
        """(B,) relative gains in % where the energy map is more confident, else NaN."""
        original, energy = self.original_and_energy(images, maps, targets)
        gain = 100.0 * (energy - original) / np.maximum(original, 1e-12)
        return np.where(energy > original, gain, np.nan).astype(np.float32)


TIES = ("not_win", "half")
"""How `WinRate` counts a tie: "not_win" (0, the paper's definition) or "half" (50)."""


class WinRate(ModelMetric):
    """Win rate in % of maps_a over maps_b: how often a's energy map keeps more confidence.

    Per sample, a wins (100) when its energy-map probability O_a exceeds O_b by more than
    `tolerance`, which is the same as a lower drop (Y - O) / Y; it loses (0) when O_b exceeds O_a
    by more than `tolerance`; otherwise it is a tie. The paper counts "the number of occurrences
    in which the confidence of M1 is greater than M2", so by default (`ties="not_win"`) a tie
    scores 0 like a loss: win_rate(a, b) + win_rate(b, a) = 100 - tie %, and identical maps score
    0 (`TieRate` gives the tie %). `ties="half"` scores a tie 50 (then the two sum to 100 and
    identical maps score 50).

    Args:
        model: a classifier returning probabilities.
        batch_size: images per compiled model call.
        tolerance: absolute probability difference at or below which two maps tie.
        ties: one of `TIES`.

    References:
        Table 3 ("win %") and Sec. 4.2.3 of Guna et al., arXiv 2301.08067.
    """

    def __init__(self, model: keras.Model, batch_size: int = 32, tolerance: float = 1e-6,
                 ties: str = "not_win"):
        super().__init__(model, batch_size)
        if not float(tolerance) >= 0.0:
            raise InputError(f"tolerance: expected a probability difference >= 0, "
                             f"got {tolerance!r}")
        self.tolerance = float(tolerance)
        self.tie_score = {"not_win": 0.0, "half": 50.0}[check_choice("ties", ties, TIES)]

    def detailed_evaluate(self, images, maps_a, maps_b, targets=None) -> np.ndarray:
        """(B,) 100 (a wins), the tie score (tie) or 0 (b wins)."""
        outcome = self.outcomes(images, maps_a, maps_b, targets)
        return np.select([outcome > 0, outcome == 0], [100.0, self.tie_score], 0.0).astype(
            np.float32)

    def outcomes(self, images, maps_a, maps_b, targets=None) -> np.ndarray:
        """(B,) +1 where a wins, 0 for a tie, -1 where b wins."""
        images, targets, maps_a, maps_b = self.check_inputs(images, targets, maps_a=maps_a,
                                                            maps_b=maps_b)
        margin = (self.confidences(energy_images(images, maps_a), targets)
                  - self.confidences(energy_images(images, maps_b), targets))
        return np.sign(np.where(np.abs(margin) <= self.tolerance, 0.0, margin)).astype(np.int8)


class TieRate(WinRate):
    """Tie rate in %: how often the energy maps of a and b are equally confident (within
    `tolerance`); see `WinRate`."""

    def detailed_evaluate(self, images, maps_a, maps_b, targets=None) -> np.ndarray:
        """(B,) 100 where a and b tie, else 0."""
        outcome = self.outcomes(images, maps_a, maps_b, targets)
        return np.where(outcome == 0, 100.0, 0.0).astype(np.float32)


def average_drop(model: keras.Model, images, maps, targets=None, batch_size: int = 32) -> float:
    """Average drop in % (Eq. 7 of arXiv 2301.08067); see `AverageDrop`."""
    return AverageDrop(model, batch_size).evaluate(images, maps, targets)


def increase_in_confidence(model: keras.Model, images, maps, targets=None,
                           batch_size: int = 32) -> float:
    """Chattopadhyay et al.'s increase in confidence in %; see `IncreaseInConfidence`."""
    return IncreaseInConfidence(model, batch_size).evaluate(images, maps, targets)


def modified_increase_in_confidence(model: keras.Model, images, maps, targets=None,
                                    batch_size: int = 32) -> float:
    """The paper's modified increase in confidence in % (Eq. 8 of arXiv 2301.08067); see
    `ModifiedIncreaseInConfidence`."""
    return ModifiedIncreaseInConfidence(model, batch_size).evaluate(images, maps, targets)


def win_rate(model: keras.Model, images, maps_a, maps_b, targets=None, batch_size: int = 32,
             tolerance: float = 1e-6, ties: str = "not_win") -> float:
    """Win rate in % of maps_a over maps_b (a tie is not a win by default); see `WinRate`."""
    return WinRate(model, batch_size, tolerance, ties).evaluate(images, maps_a, maps_b, targets)
