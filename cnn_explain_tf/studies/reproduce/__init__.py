"""The SFT-GAN paper's experiments end to end, cached stage by stage (`cnn-explain reproduce`)."""

from cnn_explain_tf.studies.reproduce.config import PRESETS, ReproduceConfig
from cnn_explain_tf.studies.reproduce.seeds import reproduce_seeds
from cnn_explain_tf.studies.reproduce.stages import reproduce

__all__ = ["PRESETS", "ReproduceConfig", "reproduce", "reproduce_seeds"]
