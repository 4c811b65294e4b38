"""Methods that return more than a heat map: Fill in the blanks, Perception Visualization."""

from cnn_explain_tf.probes import fill_blanks
from cnn_explain_tf.probes.base import Probe
from cnn_explain_tf.probes.fill_blanks import FillInTheBlanks, FillResult, NoMaskKeptError
from cnn_explain_tf.probes.perception import (
    PerceptionVisualization,
    PVResult,
    perception_visualization,
)

__all__ = ["FillInTheBlanks", "FillResult", "NoMaskKeptError", "PVResult",
           "PerceptionVisualization", "Probe", "fill_blanks", "perception_visualization"]
