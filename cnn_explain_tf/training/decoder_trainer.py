"""The PV decoder's trainer: a Keras model that fits D so that D(E(x)) reconstructs x."""

from __future__ import annotations

import keras
import tensorflow as tf

from cnn_explain_tf.models.pv_decoder import LOSS_WEIGHTS, ClassifierEncoder, perception_loss

__all__ = ["LOSS_TERMS", "DecoderTrainer"]

LOSS_TERMS = ("loss", "mse", "ssim_loss", "dsim")


class DecoderTrainer(keras.Model):
    """Trains `decoder` so that D(E(x)) reconstructs x; the encoder E stays frozen.

    Each step computes the latents z = E(x) of the batch on the fly, y = D(z), and minimises
    a1 * MSE + a2 * SSIM loss + a3 * ||E(y) - z||^2 over the decoder's weights.

    Args:
        encoder: the truncated classifier.
        decoder: the model to train, latents -> images.
        loss_weights: (a1, a2, a3).

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        arXiv 2204.09920, Eq. 6-9.
    """

    def __init__(self, encoder: ClassifierEncoder, decoder: keras.Model,
                 loss_weights=LOSS_WEIGHTS, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.loss_weights = encoder, decoder, tuple(loss_weights)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (*LOSS_TERMS, "ssim")}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def call(self, images, training=False):
        return self.decoder(self.encoder(images), training=training)

    def train_step(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        latents = tf.stop_gradient(self.encoder(images))
        with tf.GradientTape() as tape:
            terms = self._terms(images, latents, training=True)
            # Replicas' gradients are summed, so each replica's mean is divided by their count.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = self.optimizer.scale_loss(tf.reduce_mean(terms["loss"]) / replicas)
        variables = self.decoder.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return self._track(terms, images)

    def test_step(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._track(self._terms(images, self.encoder(images), training=False), images)

    def _terms(self, images, latents, training: bool) -> dict:
        reconstructions = self.decoder(latents, training=training)
        return perception_loss(self.encoder, images, reconstructions, latents, self.loss_weights)

    def _track(self, terms: dict, images) -> dict:
        for name in LOSS_TERMS:
            self.trackers[name].update_state(terms[name])
        channels = tf.cast(tf.shape(images)[-1], tf.float32)
        self.trackers["ssim"].update_state(1.0 - terms["ssim_loss"] / channels)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
