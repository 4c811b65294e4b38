"""Metrics for heat maps: localization, faithfulness, perturbation, robustness, similarity."""

from cnn_explain_tf.metrics.localization import (
    LocalizationRates,
    background_error,
    binarize,
    dice,
    localization_rates,
    pointing_game,
)

__all__ = [
    "LocalizationRates",
    "background_error",
    "binarize",
    "dice",
    "localization_rates",
    "pointing_game",
]
