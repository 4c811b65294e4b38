"""Metrics for heat maps: localization, faithfulness, perturbation, robustness, similarity."""

from cnn_explain_tf.metrics.base import ModelMetric
from cnn_explain_tf.metrics.faithfulness import (
    TIES,
    AverageDrop,
    IncreaseInConfidence,
    ModifiedIncreaseInConfidence,
    TieRate,
    WinRate,
    average_drop,
    increase_in_confidence,
    modified_increase_in_confidence,
    win_rate,
)
from cnn_explain_tf.metrics.intervals import (
    VERDICTS,
    Interval,
    bootstrap_interval,
    difference_interval,
    mean_interval,
    resample_indices,
    verdict,
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
    "TIES",
    "IncreaseInConfidence",
    "ModifiedIncreaseInConfidence",
    "TieRate",
    "WinRate",
    "average_drop",
    "increase_in_confidence",
    "modified_increase_in_confidence",
    "win_rate",
    "VERDICTS",
    "Interval",
    "bootstrap_interval",
    "difference_interval",
    "mean_interval",
    "resample_indices",
    "verdict",
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
