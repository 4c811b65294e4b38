"""Library side of training: classifier training, mixed precision, distribution, artifacts."""

from cnn_explain_tf.training import artifacts, classifiers, precision, strategy

__all__ = ["artifacts", "classifiers", "precision", "strategy"]
