"""CGMA: one-pass intermediate Grad-CAMs, layer selection (Eq. 1-2), cumulative averages."""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.explain.base import Explainer, class_scores, normalize, resize
from cnn_explain_tf.explain.cam import gradcam_weights, weighted_cam
from cnn_explain_tf.validation import InputError, check_positive_int


def select_layers(num_layers: int, k: int = 8) -> list[int]:
    """Indices of the k conv layers whose Grad-CAMs condition the SFT-GAN (Eq. 1-2).

    skip = 100 / (k - 1); percent_i = ceil(skip * i); index_i = ceil(percent_i * (N - 1) / 100),
    computed in exact integer arithmetic, so the first (0) and last (N - 1) layers are always
    included.
    For N = 13 and k = 8 this gives [0, 2, 4, 6, 7, 9, 11, 12]. When the ceilings make two indices
    coincide (k close to N, e.g. N = k = 8), the k evenly spaced indices round(linspace(0, N-1, k))
    are used instead, so k distinct layers are always returned.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Eq. 1-2.

    Raises:
        InputError: k < 2 or k > num_layers.
    """
    num_layers = check_positive_int("num_layers", num_layers)
    k = check_positive_int("k", k, minimum=2)
    if k > num_layers:
        raise InputError(f"k: expected at most num_layers={num_layers} layers to select, "
                         f"got {k}")
    percents = [-(-100 * i // (k - 1)) for i in range(k)]
    indices = [-(-percent * (num_layers - 1) // 100) for percent in percents]
    if len(set(indices)) < k:
        indices = np.round(np.linspace(0, num_layers - 1, k)).astype(int).tolist()
    return indices


class IntermediateGradCAMs(Explainer):
    """Grad-CAMs of several conv layers from ONE forward and ONE backward pass, (B, N, H, W).

    The gradients of the target logit with respect to every tapped layer come from a single tape, so
    the cost is about one forward plus one backward pass whatever the number of layers. Each map is
    resized to the input and min-max normalised to [0, 1] on its own.

    Args:
        model: the classifier.
        layers: the layers to explain, in CNN order; None takes every convolution layer.
        **kwargs: `output`, `batch_size`.
    """

    def __init__(self, model: keras.Model, layers=None, **kwargs):
        super().__init__(model, **kwargs)
        if layers is None:
            layers = [info.layer for info in graph.conv_layers(model)]
        self.layers = layers
        if not self.layers:
            raise InputError(f"model: expected convolution layers to explain, model '{model.name}' "
                             "has none")

    def explain_batch(self, images, targets):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            activations, logits = self.forward(images, taps=self.layers)
            scores = class_scores(logits, targets)
        gradients = tape.gradient(scores, activations)
        size = tf.shape(images)[1:3]
        cams = [normalize(resize(weighted_cam(tf.cast(a, tf.float32),
                                              gradcam_weights(tf.cast(g, tf.float32))), size))
                for a, g in zip(activations, gradients)]
        return tf.stack(cams, axis=1)


_EXTRACTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _extractor(model, k: int | None, batch_size: int) -> IntermediateGradCAMs:
    """A compiled extractor per (model, k, batch size), reused across calls to avoid retracing."""
    per_model = _EXTRACTORS.setdefault(model, {})
    if (k, batch_size) not in per_model:
        layers = [info.layer for info in graph.conv_layers(model)]
        if k is not None:
            if k > len(layers):
                raise InputError(f"k: expected at most the {len(layers)} conv layers of model "
                                 f"'{model.name}', got {k}")
            layers = [layers[i] for i in select_layers(len(layers), k)]
        per_model[(k, batch_size)] = IntermediateGradCAMs(model, layers, batch_size=batch_size)
    return per_model[(k, batch_size)]


def intermediate_gradcams(model: keras.Model, images, targets=None, batch_size: int = 32
                          ) -> np.ndarray:
    """Grad-CAMs of ALL N convolution layers, in CNN order, from one forward and one backward pass.

    Args:
        model: the classifier (nested bases are entered).
        images: (B, H, W, C) floats in [0, 1].
        targets: None (predicted class), an int or B ints.
        batch_size: images per compiled step.

    Returns:
        float32 (B, N, H, W), each map in [0, 1].
    """
    return _extractor(model, None, batch_size)(images, targets)


def compute_cgma(model: keras.Model, images, targets=None, k: int = 8, batch_size: int = 32
                 ) -> np.ndarray:
    """Cumulative Grad-CAM averages of the k selected conv layers (Eq. 3-4).

    CGMA_j = mean of the Grad-CAMs of selected layers 1..j, so CGMA_1 is the first layer's map and
    CGMA_k averages all k.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Eq. 3-4.

    Returns:
        float32 (B, H, W, k) in [0, 1].

    Raises:
        InputError: k larger than the model's number of conv layers.
    """
    cams = _extractor(model, k, batch_size)(images, targets)  # (B, k, H, W)
    return cumulative_average(cams).numpy()


def cumulative_average(cams) -> tf.Tensor:
    """(B, k, H, W) maps -> (B, H, W, k) running means along k (Eq. 3-4); graph-compatible."""
    cams = tf.convert_to_tensor(cams, tf.float32)
    counts = tf.range(1, tf.shape(cams)[1] + 1, dtype=tf.float32)[None, :, None, None]
    return tf.transpose(tf.cumsum(cams, axis=1) / counts, (0, 2, 3, 1))
