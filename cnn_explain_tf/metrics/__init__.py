"""Metrics for heat maps: localization, faithfulness, perturbation, robustness, similarity."""

from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.metrics.faithfulness import (
    AverageDrop,
    IncreaseInConfidence,
    WinRate,
    average_drop,
    increase_in_confidence,
    win_rate,
)
from cnn_explain_tf.metrics.localization import (
    LocalizationRates,
    background_error,
    binarize,
    dice,
    localization_rates,
    pointing_game,
)
from cnn_explain_tf.metrics.perturbation import (
    AOPC,
    DeletionAUC,
    InsertionAUC,
    PerturbationMetric,
    aopc,
    deletion_auc,
    insertion_auc,
)
from cnn_explain_tf.metrics.robustness import salt_and_pepper
from cnn_explain_tf.metrics.similarity import SanityCheckResult, map_similarity, sanity_check

__all__ = [
    "ModelMetric",
    "AverageDrop",
    "IncreaseInConfidence",
    "WinRate",
    "average_drop",
    "increase_in_confidence",
    "win_rate",
    "LocalizationRates",
    "background_error",
    "binarize",
    "dice",
    "localization_rates",
    "pointing_game",
    "AOPC",
    "DeletionAUC",
    "InsertionAUC",
    "PerturbationMetric",
    "aopc",
    "deletion_auc",
    "insertion_auc",
    "salt_and_pepper",
    "SanityCheckResult",
    "map_similarity",
    "sanity_check",
]
