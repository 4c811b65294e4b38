"""The patch-perturbation curves' former module: the names of `metrics.faithfulness.curves`."""

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

__all__ = ["AOPC", "DeletionAUC", "InsertionAUC", "PerturbationMetric", "aopc", "deletion_auc",
           "insertion_auc", "patch_ranks"]
