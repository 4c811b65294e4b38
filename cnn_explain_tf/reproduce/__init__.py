"""`cnn-explain reproduce`: the SFT-GAN paper's experiments end to end, cached stage by stage."""

from cnn_explain_tf.reproduce.cli import add_arguments, main
from cnn_explain_tf.reproduce.config import PRESETS, ReproduceConfig
from cnn_explain_tf.reproduce.seeds import reproduce_seeds
from cnn_explain_tf.reproduce.stages import reproduce

__all__ = ["PRESETS", "ReproduceConfig", "add_arguments", "main", "reproduce", "reproduce_seeds"]
