"""Training jobs (classifiers, PV decoder, SFT-GAN) and what they share: options, precision."""

from cnn_explain_tf.training import (
    checkpoints,
    classifiers,
    losses,
    options,
    precision,
    progress,
    strategy,
)
from cnn_explain_tf.training.options import RunOptions

__all__ = ["RunOptions", "checkpoints", "classifiers", "losses", "options", "precision",
           "progress", "strategy"]
