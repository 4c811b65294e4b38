"""The SFT-GAN's losses as pure tensor functions: pix2pix's conditional GAN and L1/MSE terms.

The SFT-GAN paper (arXiv 2301.08067) states no loss equation; it trains with the conditional-GAN
objective of pix2pix, which this module writes out:

| pix2pix (Isola et al., CVPR 2017)                        | function                         |
| -------------------------------------------------------- | -------------------------------- |
| Eq. 1, D's side: max log D(x, y) + log(1 - D(x, G(x)))   | `discriminator_loss`             |
| Eq. 1, G's side (non-saturating, Sec. 3.3)               | `generator_adversarial_loss`     |
| Eq. 3, L1 distance to the target (or MSE)                | `reconstruction_loss`            |
| Eq. 4, G* = arg min L_cGAN + lambda L_L1                 | `generator_loss`                 |

All losses are computed in float32 (mixed-precision logits are cast first).
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["RECONSTRUCTION", "discriminator_loss", "generator_adversarial_loss",
           "generator_loss", "reconstruction_loss", "sigmoid_cross_entropy"]

RECONSTRUCTION = {"mse": keras.losses.mean_squared_error, "mae": keras.losses.mean_absolute_error}
"""Reconstruction distances by name: "mae" is pix2pix's L1 (Eq. 3), "mse" its squared cousin."""


def sigmoid_cross_entropy(logits, label: float) -> tf.Tensor:
    """Mean binary cross-entropy of logits against a constant label (1 real, 0 fake).

    For a logit l and label t: max(l, 0) - l * t + log(1 + exp(-|l|)), averaged over all logits
    (TensorFlow's numerically stable form of -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l))).
    """
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), label), logits=logits))


def discriminator_loss(real_logits, fake_logits, real_label: float = 1.0) -> tf.Tensor:
    """D's loss: BCE(D(x, y), real_label) + BCE(D(x, G(x, c)), 0), to minimise.

    This is the negated discriminator side of the conditional GAN objective (not halved). A
    `real_label` below 1 (0.9) is one-sided label smoothing: D's targets for real pairs are
    softened, those for generated ones stay 0, so D is penalised for over-confidence on real
    pairs; the loss then cannot fall below the entropy of `real_label` (0.325 for 0.9).

    References: Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", CVPR 2017, Eq. 1; Salimans et al., "Improved Techniques for Training GANs",
        NeurIPS 2016, Sec. 3.4 (one-sided label smoothing).
    """
    return (sigmoid_cross_entropy(real_logits, real_label)
            + sigmoid_cross_entropy(fake_logits, 0.0))


def generator_adversarial_loss(fake_logits) -> tf.Tensor:
    """G's adversarial loss BCE(D(x, G(x, c)), real) = -log D(x, G(x, c)), averaged.

    The non-saturating form: G maximises log D(x, G(x)) rather than minimising
    log(1 - D(x, G(x))).

    References: Isola et al., CVPR 2017, Eq. 1 and Sec. 3.3 (after Goodfellow et al., 2014).
    """
    return sigmoid_cross_entropy(fake_logits, 1.0)


def reconstruction_loss(target, generated, kind: str = "mse") -> tf.Tensor:
    """Mean distance between generated and target maps, in float32.

    Args:
        target, generated: maps of the same shape, e.g. (B, H, W, 1).
        kind: "mae" (pix2pix's L1) or "mse" (the default of the SFT-GAN jobs).

    References: Isola et al., CVPR 2017, Eq. 3.
    """
    loss = RECONSTRUCTION[kind](tf.cast(target, tf.float32), tf.cast(generated, tf.float32))
    return tf.reduce_mean(loss)


def generator_loss(rec_loss, adv_loss, lambda_rec: float, lambda_adv: float) -> tf.Tensor:
    """G's total loss lambda_rec * reconstruction + lambda_adv * adversarial.

    References: Isola et al., CVPR 2017, Eq. 4 (lambda_rec = 100 as there, lambda_adv = 1).
    """
    return lambda_rec * rec_loss + lambda_adv * adv_loss
