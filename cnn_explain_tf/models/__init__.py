"""Keras model builders: classifier zoo, SFT layers and generators, discriminator, PV decoder."""

from cnn_explain_tf.models import zoo
from cnn_explain_tf.models.pv_decoder import (
    ClassifierEncoder,
    build_pv_decoder,
    dsim,
    perception_loss,
    ssim_loss,
    ssim_per_channel,
)
from cnn_explain_tf.models.sft import (
    ConditionNetwork,
    GeneratorSize,
    SFTLayer,
    build_discriminator,
    build_gsft_generator,
    build_lsft_generator,
)

__all__: list[str] = ["ConditionNetwork", "GeneratorSize", "SFTLayer", "build_discriminator",
                      "build_gsft_generator", "build_lsft_generator", "zoo"]
__all__ += ["ClassifierEncoder", "build_pv_decoder", "dsim", "perception_loss", "ssim_loss",
            "ssim_per_channel"]
