"""`cnn-explain fill-in-the-blanks`: the Fill in the blanks paper's Table 1 and Figs. 2-6."""

from cnn_explain_tf.fill_blanks_study.cli import add_arguments, main
from cnn_explain_tf.fill_blanks_study.config import PRESETS, StudyConfig
from cnn_explain_tf.fill_blanks_study.study import run_study

__all__ = ["PRESETS", "StudyConfig", "add_arguments", "main", "run_study"]
