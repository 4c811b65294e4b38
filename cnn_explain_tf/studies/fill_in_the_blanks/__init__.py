"""The Fill in the blanks paper's Table 1 and Figs. 2-6 (`cnn-explain fill-in-the-blanks`)."""

from cnn_explain_tf.studies.fill_in_the_blanks.config import PRESETS, StudyConfig
from cnn_explain_tf.studies.fill_in_the_blanks.study import run_study

__all__ = ["PRESETS", "StudyConfig", "run_study"]
