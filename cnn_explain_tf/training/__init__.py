"""Training jobs (classifiers, PV decoder, SFT-GAN, CGMA shards) and the fit and options."""

from cnn_explain_tf.training import (
    checkpoints,
    classifiers,
    fitting,
    losses,
    options,
    precision,
    progress,
    strategy,
)
from cnn_explain_tf.training.options import RunOptions

__all__ = ["RunOptions", "checkpoints", "classifiers", "fitting", "losses", "options",
           "precision", "progress", "strategy"]
