"""Faithfulness: does removing what a map calls relevant change the model's output? One engine."""

from cnn_explain_tf.metrics.faithfulness.confidence import (
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
from cnn_explain_tf.metrics.faithfulness.curves import (
    AOPC,
    DeletionAUC,
    InsertionAUC,
    PerturbationMetric,
    aopc,
    deletion_auc,
    insertion_auc,
    patch_ranks,
)
from cnn_explain_tf.metrics.faithfulness.engine import (
    BASELINES,
    Perturber,
    baseline_images,
    ranks_of,
)
from cnn_explain_tf.metrics.faithfulness.imputation import noisy_linear_imputation
from cnn_explain_tf.metrics.faithfulness.ordered import (
    ROAD_PERCENTAGES,
    irof,
    pixel_flipping,
    region_perturbation,
    road,
    segment_ranks,
)
from cnn_explain_tf.metrics.faithfulness.sampled import (
    faithfulness_correlation,
    infidelity,
    random_subsets,
)

__all__ = [
    "TIES", "AverageDrop", "IncreaseInConfidence", "ModifiedIncreaseInConfidence", "TieRate",
    "WinRate", "average_drop", "increase_in_confidence", "modified_increase_in_confidence",
    "win_rate", "AOPC", "DeletionAUC", "InsertionAUC", "PerturbationMetric", "aopc",
    "deletion_auc", "insertion_auc", "patch_ranks", "BASELINES", "Perturber", "baseline_images",
    "ranks_of", "noisy_linear_imputation", "ROAD_PERCENTAGES", "irof", "pixel_flipping",
    "region_perturbation", "road", "segment_ranks", "faithfulness_correlation", "infidelity",
    "random_subsets",
]
