"""Library side of training: classifier training, mixed precision, distribution."""

from cnn_explain_tf.training import classifiers, precision, strategy

__all__ = ["classifiers", "precision", "strategy"]
