"""Heat maps across 13 models in 6 families, cached stages (`cnn-explain compare-architectures`)."""

from cnn_explain_tf.studies.architectures.config import LITE_13, PAPER_12, PRESETS, StudyConfig
from cnn_explain_tf.studies.architectures.run import compare_architectures

__all__ = ["LITE_13", "PAPER_12", "PRESETS", "StudyConfig", "compare_architectures"]
