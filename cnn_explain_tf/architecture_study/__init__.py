"""`cnn-explain compare-architectures`: heat maps across 13 models in 6 families, cached stages."""

from cnn_explain_tf.architecture_study.cli import add_arguments, main
from cnn_explain_tf.architecture_study.config import LITE_13, PAPER_12, PRESETS, StudyConfig
from cnn_explain_tf.architecture_study.run import compare_architectures

__all__ = ["LITE_13", "PAPER_12", "PRESETS", "StudyConfig", "add_arguments",
           "compare_architectures", "main"]
