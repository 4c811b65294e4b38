"""The SFT-GAN as a Keras model: generator and discriminator, two optimizers, custom train_step."""

from __future__ import annotations

import keras
import tensorflow as tf

from cnn_explain_tf.training import losses
from cnn_explain_tf.validation import check_choice

__all__ = ["SFTGAN"]


class SFTGAN(keras.Model):
    """Conditional GAN that learns to turn (image, CGMAs) into the classifier's Grad-CAM.

    Each step first updates D with `losses.discriminator_loss` (BCE(D(x, target), real_label)
    + BCE(D(x, G(x, c)), fake)), then G with `losses.generator_loss` (lambda_rec * rec(G(x, c),
    target) + lambda_adv * BCE(D(x, G(x, c)), real)). Batches are `(image, cgma, target)` as
    read by `data.cgma_shards.load_cgma_shards`.

    Args:
        generator: `[image, cgma] -> heat map` (e.g. `build_lsft_generator`).
        discriminator: `[image, heat map] -> logits` (`build_discriminator`).
        lambda_rec: weight of the reconstruction loss (100, as in pix2pix).
        lambda_adv: weight of the adversarial loss (1).
        reconstruction: "mse" or "mae" (L1).
        real_label: D's target for real pairs: 1, or 0.9 for one-sided label smoothing.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3
        (which states no loss equation); the losses are pix2pix's: Isola et al.,
        "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017, Eq. 1-4.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 lambda_rec: float = 100.0, lambda_adv: float = 1.0,
                 reconstruction: str = "mse", real_label: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        check_choice("reconstruction", reconstruction, losses.RECONSTRUCTION)
        self.generator, self.discriminator = generator, discriminator
        self.lambda_rec, self.lambda_adv = float(lambda_rec), float(lambda_adv)
        self.reconstruction, self.real_label = reconstruction, float(real_label)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss", "rec_loss", "adv_loss")}

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, **kwargs):
        """Sets the two optimizers (wrapped for loss scaling under mixed_float16)."""
        super().compile(**kwargs)
        if keras.config.dtype_policy().name == "mixed_float16":
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, batch):
        """D's update on G's maps, then G's update against the updated D, from ONE forward
        pass of G (G has no batch statistics or dropout, so a second pass would give the same
        maps): the G tape records that pass, pauses for D's update and resumes for D's new
        judgement of the same maps."""
        image, cgma, target = batch
        with tf.GradientTape() as tape:
            generated = self.generator([image, cgma], training=True)
            with tape.stop_recording():
                d_loss = self._train_discriminator(image, target, generated)
            g_loss, rec_loss, adv_loss, scaled = self._generator_losses(image, target, generated)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._update({"d_loss": d_loss, "g_loss": g_loss, "rec_loss": rec_loss,
                             "adv_loss": adv_loss})

    def test_step(self, batch):
        image, cgma, target = batch
        return self._update({"rec_loss": self.reconstruction_loss(
            target, self.generator([image, cgma], training=False))})

    def reconstruction_loss(self, target, generated) -> tf.Tensor:
        """Mean MSE (or L1) between generated and target maps, in float32."""
        return losses.reconstruction_loss(target, generated, self.reconstruction)

    def _train_discriminator(self, image, target, fake):
        with tf.GradientTape() as tape:
            real_logits = self.discriminator([image, target], training=True)
            fake_logits = self.discriminator([image, tf.stop_gradient(fake)], training=True)
            loss = losses.discriminator_loss(real_logits, fake_logits, self.real_label)
            scaled = _for_gradients(self.d_optimizer, loss)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    def _generator_losses(self, image, target, generated):
        """G's total, reconstruction and adversarial losses, and the total to differentiate."""
        adv_loss = losses.generator_adversarial_loss(
            self.discriminator([image, generated], training=True))
        rec_loss = self.reconstruction_loss(target, generated)
        loss = losses.generator_loss(rec_loss, adv_loss, self.lambda_rec, self.lambda_adv)
        return loss, rec_loss, adv_loss, _for_gradients(self.g_optimizer, loss)

    def _update(self, losses: dict) -> dict:
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in losses}


def _for_gradients(optimizer: keras.optimizers.Optimizer, loss: tf.Tensor) -> tf.Tensor:
    """The loss to differentiate: divided by the replicas (whose gradients are summed) and
    scaled for mixed precision (a no-op unless the optimizer is a LossScaleOptimizer)."""
    return optimizer.scale_loss(loss / tf.distribute.get_strategy().num_replicas_in_sync)
