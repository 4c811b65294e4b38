"""Perception Visualization: what the classifier sees (decoded latent) where it looks (saliency)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import viz
from cnn_explain_tf.explain.base import Explainer
from cnn_explain_tf.models.pv_decoder import ClassifierEncoder, ssim_per_channel
from cnn_explain_tf.validation import InputError, check_images, describe

SaliencyStep = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


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


class PerceptionVisualization(Explainer):
    """Perception Visualization: the decoded latent y of the truncated classifier, shown through
    the saliency map m of the explained class, p = (1 - m) + m * y.

    Usage:
        pv, reconstructions = PerceptionVisualization(model, decoder)(images, targets=None)

    Args:
        model: the classifier; it is not retrained or modified.
        decoder: a Keras model (B, h, w, c) latents -> (B, H, W, C) images in [0, 1], trained to
            invert `model` truncated at `layer` (see `build_pv_decoder` and `cnn-explain
            train-decoder`).
        layer: the truncation layer, also inside nested models (default: ResNet50's last block).
        saliency: an explainer name from `cet.explain.names()` (built with `saliency_layer`), an
            `Explainer` instance for the same model, or a graph-compatible callable
            (images (B, H, W, C) float32, targets (B,) int32) -> (B, H, W) maps in [0, 1].
        saliency_layer: the CAM layer of a named saliency method (None: the last conv-like one).
        output: output index for multi-output models.
        batch_size: images per compiled step.

    Raises:
        InputError: unknown layer (candidates listed), a decoder whose input does not match the
            latent or whose output does not match the images, or an unknown saliency name.

    References: Giulivi et al., "Perception Visualization: Seeing Through the Eyes of a DNN",
        BMVC 2021, arXiv 2204.09920, Section 3 and Eq. 2.
    """

    def __init__(self, model: keras.Model, decoder: keras.Model,
                 layer: str | keras.layers.Layer = "conv5_block3_out",
                 saliency: str | Explainer | SaliencyStep = "gradcam", *,
                 saliency_layer: str | None = None, output: int | None = None,
                 batch_size: int = 32):
        self.encoder = ClassifierEncoder(model, layer, output)
        self.decoder = decoder
        _check_decoder(decoder, self.encoder)
        self.saliency = _saliency_step(saliency, model, saliency_layer, output, batch_size)
        super().__init__(model, output=output, batch_size=batch_size)

    def __call__(self, images, targets=None) -> tuple[np.ndarray, np.ndarray]:
        """Explains a batch.

        Args:
            images: (B, H, W, C) floats in [0, 1].
            targets: None (the predicted class), an int, or B ints: the class of the saliency.

        Returns:
            (pv, reconstructions): float32 arrays (B, H, W, C) in [0, 1].
        """
        both = self.run_batched(self._step, images, targets)
        return both[:, 0], both[:, 1]

    def explain_batch(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """(B, 2, H, W, C): the PV images and the reconstructions, stacked."""
        reconstructions = tf.cast(self.decoder(self.encoder(images), training=False), tf.float32)
        maps = self.saliency(images, targets)
        return tf.stack([perception_visualization(maps, reconstructions), reconstructions], 1)


def _saliency_step(saliency, model, layer, output, batch_size) -> SaliencyStep:
    """The (images, targets) -> (B, H, W) graph function behind a saliency argument."""
    if isinstance(saliency, str):
        from cnn_explain_tf import explain

        explainer_class = explain.get(saliency)
        options = {"layer": layer} if layer is not None else {}
        saliency = explainer_class(model, output=output, batch_size=batch_size, **options)
    if isinstance(saliency, Explainer):
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
    return len(actual) == len(expected) and all(
        a is None or e is None or a == e for a, e in zip(actual, expected))


def reconstruction_figure(model: keras.Model, decoder: keras.Model, images, labels,
                          path: str | os.PathLike, *,
                          layer: str | keras.layers.Layer = "conv5_block3_out",
                          per_group: int = 4, batch_size: int = 32) -> dict[str, float | None]:
    """Fig. 2: correctly and incorrectly classified images side by side with their Grad-CAM, the
    reconstruction y and the PV image; also scores the reconstructions of both groups.

    Args:
        model: the classifier.
        decoder: its decoder at `layer`.
        images: (N, H, W, C) test images in [0, 1].
        labels: (N,) int labels.
        path: the PNG to write (atomically).
        layer: the truncation layer.
        per_group: rows shown per group (correct, incorrect).
        batch_size: images per compiled step.

    Returns:
        {"accuracy", "ssim_correct", "ssim_incorrect" (mean reconstruction SSIM, None for an
        empty group), "correct", "incorrect" (counts)}.

    References: Giulivi et al., arXiv 2204.09920, Fig. 2.
    """
    explainer = PerceptionVisualization(model, decoder, layer, batch_size=batch_size)
    images = check_images(images, explainer.input_shape)
    predicted = np.argmax(model.predict(images, batch_size=batch_size, verbose=0), -1)
    predicted = predicted.astype(np.int32)
    pv, reconstructions = explainer(images, predicted)
    correct = predicted == np.asarray(labels)
    rows = np.r_[np.flatnonzero(correct)[:per_group], np.flatnonzero(~correct)[:per_group]]
    maps = explainer.saliency(tf.constant(images[rows]), tf.constant(predicted[rows])).numpy()
    columns = {"image": images[rows], "Grad-CAM": [viz.overlay(images[i], m)
                                                   for i, m in zip(rows, maps)],
               "reconstruction": reconstructions[rows], "PV": pv[rows]}
    row_labels = [f"{'right' if correct[i] else 'wrong'}: {labels[i]} -> {predicted[i]}"
                  for i in rows]
    viz.image_grid(columns, path, row_labels, "Perception Visualization")
    similarity = ssim_per_channel(images, reconstructions).numpy().mean(axis=1)
    return {"accuracy": float(correct.mean()), "correct": int(correct.sum()),
            "incorrect": int((~correct).sum()),
            "ssim_correct": float(similarity[correct].mean()) if correct.any() else None,
            "ssim_incorrect": float(similarity[~correct].mean()) if (~correct).any() else None}


def compare_decoders(model: keras.Model, decoders: Mapping[str, keras.Model], images,
                     layer: str | keras.layers.Layer = "conv5_block3_out"
                     ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The invariance experiment: decoders trained on different datasets, one encoder.

    Args:
        model: the classifier all decoders invert.
        decoders: name -> decoder for `model` truncated at `layer`.
        images: (N, H, W, C) images in [0, 1].
        layer: the truncation layer.

    Returns:
        (reconstructions {name: (N, H, W, C)}, mean SSIM {"a vs input", "a vs b", ...}): similar
        reconstructions (a high "a vs b") mean the decoders show what the encoder keeps rather
        than what their training data looked like.

    References: Giulivi et al., arXiv 2204.09920, Section 4.4 and Fig. 7.
    """
    encoder = ClassifierEncoder(model, layer)
    images = check_images(images, encoder.image_shape)
    latents = encoder(tf.constant(images))
    outputs = {name: decoder(latents, training=False).numpy() for name, decoder in decoders.items()}
    scores = {f"{name} vs input": _mean_ssim(images, y) for name, y in outputs.items()}
    names = list(outputs)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            scores[f"{first} vs {second}"] = _mean_ssim(outputs[first], outputs[second])
    return outputs, scores


def _mean_ssim(first: np.ndarray, second: np.ndarray) -> float:
    return float(tf.reduce_mean(ssim_per_channel(first, second)))
