"""Keras model builders: classifier zoo, Fill in the blanks' CNNs, SFT-GAN nets, PV decoder."""

from cnn_explain_tf.models import detection, fill_blanks, hub, zoo
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
from cnn_explain_tf.models.vit import TokenEmbedding, build_vit

__all__: list[str] = ["ConditionNetwork", "GeneratorSize", "SFTLayer", "build_discriminator",
                      "build_gsft_generator", "build_lsft_generator", "detection",
                      "fill_blanks", "hub", "zoo"]
__all__ += ["TokenEmbedding", "build_vit"]
__all__ += ["ClassifierEncoder", "build_pv_decoder", "dsim", "perception_loss", "ssim_loss",
            "ssim_per_channel"]
