"""Keras model builders: classifier zoo, Fill in the blanks' CNNs, SFT-GAN nets, PV decoder."""

from cnn_explain_tf.models import fill_blanks, hub, zoo
from cnn_explain_tf.models.pv_decoder import (
    ClassifierEncoder,
    build_pv_decoder,
    dsim,
    perception_loss,
    ssim_loss,
    ssim_per_channel,
)
from cnn_explain_tf.models.sft import (
    GeneratorSize,
    build_discriminator,
    build_gsft_generator,
    build_lsft_generator,
)
from cnn_explain_tf.models.sft_layers import ConditionNetwork, SFTLayer

__all__: list[str] = ["ConditionNetwork", "GeneratorSize", "SFTLayer", "build_discriminator",
                      "build_gsft_generator", "build_lsft_generator", "fill_blanks", "hub", "zoo"]
__all__ += ["ClassifierEncoder", "build_pv_decoder", "dsim", "perception_loss", "ssim_loss",
            "ssim_per_channel"]
