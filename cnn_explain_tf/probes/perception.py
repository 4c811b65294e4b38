"""Perception Visualization: what the classifier sees (decoded latent) where it looks (saliency)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import explain
from cnn_explain_tf.models.pv_decoder import ClassifierEncoder
from cnn_explain_tf.probes.base import Probe
from cnn_explain_tf.validation import InputError, describe

__all__ = ["PVResult", "PerceptionVisualization", "SaliencyStep", "perception_visualization"]

SaliencyStep = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""(images (B, H, W, C) float32, targets (B,) int32, -1 = predicted) -> (B, H, W) maps in [0, 1]."""


@dataclass(frozen=True)
class PVResult:
    """What `PerceptionVisualization` returns for B images; `pv, reconstructions = result`.

    Attributes:
        pv: (B, H, W, C) float32 PV images p_c in [0, 1] (Eq. 2).
        reconstructions: (B, H, W, C) float32 decoded latents y = D(E(x)) in [0, 1] (Eq. 5).
    """

    pv: np.ndarray
    reconstructions: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        """Unpacking, `pv, reconstructions = result`, as before (it was a NamedTuple)."""
        return iter((self.pv, self.reconstructions))


def perception_visualization(saliency: tf.Tensor, reconstructions: tf.Tensor) -> tf.Tensor:
    """PV images p = (1 - m) + m * y: white where the model does not look, y where it does.

    Args:
        saliency: (B, H, W) maps m in [0, 1].
        reconstructions: (B, H, W, C) decoded images y in [0, 1].

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        arXiv 2204.09920, Eq. 2.
    """
    weights = tf.cast(saliency, tf.float32)[..., None]
    return (1.0 - weights) + weights * tf.cast(reconstructions, tf.float32)


class PerceptionVisualization(Probe):
    """Perception Visualization: the decoded latent y of the truncated classifier, shown through
    the saliency map m of the explained class, p = (1 - m) + m * y.

    Usage:
        pv, reconstructions = PerceptionVisualization(model, decoder)(images, targets=None)

    Args:
        model: the classifier; it is not retrained or modified.
        decoder: a Keras model (B, h, w, c) latents -> (B, H, W, C) images in [0, 1], trained to
            invert `model` truncated at `layer` (see `build_pv_decoder` and `cnn-explain
            train-decoder`).
        layer: the truncation layer (the encoder E of Eq. 3), also inside nested models
            (default: ResNet50's last block, the paper's choice).
        saliency: an explainer name from `cet.explain.names()` (built with `saliency_layer`), an
            `Explainer` instance for the same model, or a graph-compatible `SaliencyStep`.
        saliency_layer: the CAM layer of a named saliency method (None: the last conv-like one).
        output: output index for multi-output models.
        batch_size: images per compiled step.

    Raises:
        InputError: unknown layer (candidates listed), a decoder whose input does not match the
            latent or whose output does not match the images, or an unknown saliency name.

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        BMVC 2021, arXiv 2204.09920, Section 3, Eqs. 2-5.
    """

    def __init__(self, model: keras.Model, decoder: keras.Model,
                 layer: str | keras.layers.Layer = "conv5_block3_out",
                 saliency: str | explain.Explainer | SaliencyStep = "gradcam", *,
                 saliency_layer: str | None = None, output: int | None = None,
                 batch_size: int = 32):
        self.encoder = ClassifierEncoder(model, layer, output)
        self.decoder = decoder
        _check_decoder(decoder, self.encoder)
        self.saliency = _saliency_step(saliency, model, saliency_layer, output, batch_size)
        super().__init__(model, output=output, batch_size=batch_size)

    def __call__(self, images, targets=None) -> PVResult:
        """Explains a batch.

        Args:
            images: (B, H, W, C) floats in [0, 1].
            targets: None (the predicted class), an int, or B ints: the class of the saliency.

        Returns:
            A `PVResult` (pv, reconstructions) of float32 arrays (B, H, W, C) in [0, 1].
        """
        both = self.run(self.pv_batch, images, targets)
        return PVResult(both[:, 0], both[:, 1])

    def pv_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """(B, 2, H, W, C): the PV images and the reconstructions, stacked (graph-compatible)."""
        reconstructions = tf.cast(self.decoder(self.encoder(images), training=False), tf.float32)
        maps = self.saliency(images, targets)
        return tf.stack([perception_visualization(maps, reconstructions), reconstructions], 1)


def _saliency_step(saliency, model, layer, output, batch_size) -> SaliencyStep:
    """The (images, targets) -> (B, H, W) graph function behind a saliency argument."""
    if isinstance(saliency, str):
        explainer_class = explain.get(saliency)
        options = {"layer": layer} if layer is not None else {}
        saliency = explainer_class(model, output=output, batch_size=batch_size, **options)
    if isinstance(saliency, explain.Explainer):
        return saliency.explain_batch
    if callable(saliency):
        return saliency
    raise InputError(f"saliency: expected an explainer name, an Explainer or a callable, got "
                     f"{describe(saliency)}")


def _check_decoder(decoder: keras.Model, encoder: ClassifierEncoder) -> None:
    """The decoder must read the encoder's latent and write images of the classifier's shape."""
    latent, image = encoder.latent_shape, encoder.image_shape
    takes = tuple(decoder.inputs[0].shape[1:]) if getattr(decoder, "inputs", None) else None
    gives = tuple(decoder.outputs[0].shape[1:]) if getattr(decoder, "outputs", None) else None
    if takes is None or not _compatible(takes, latent):
        raise InputError(f"decoder: expected a model taking latents of shape {latent} (layer "
                         f"'{encoder.layer.name}'), got input shape {takes}")
    if gives is None or not _compatible(gives, image):
        raise InputError(f"decoder: expected a model whose output matches the images "
                         f"{image}, got output shape {gives}")


def _compatible(actual: tuple, expected: tuple) -> bool:
    """Shapes agree wherever both are known."""
    return len(actual) == len(expected) and all(
        a is None or e is None or a == e for a, e in zip(actual, expected))
