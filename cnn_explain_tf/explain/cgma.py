"""CGMA: one-pass intermediate Grad-CAMs, layer selection (Eq. 1-2), cumulative averages (Eq. 3-4).

Every CGMA array is channels-last, (B, H, W, N) or (B, H, W, k): a layer's map is a channel, as
in the images and in the generator's condition input and the CGMA shards, so the maps go to
the generator and to disk without a transpose. Public path: `cnn_explain_tf.cgma`.

| arXiv 2301.08067 | function |
| --- | --- |
| Eq. 1-2 (layer selection) | `select_layers` |
| Sec. 3.1 (the CGMA layers; the last is Grad-CAM's) | `cgma_layers` |
| Eq. 3-4 (cumulative Grad-CAM averages) | `compute_cgma`, `cumulative_average` |
| intermediate Grad-CAMs (one pass) | `intermediate_gradcams`, `IntermediateGradCAMs` |
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.explain.cam import GradCAM
from cnn_explain_tf.validation import InputError, check_positive_int


def select_layers(num_layers: int, k: int = 8) -> list[int]:
    """Indices of the k conv layers whose Grad-CAMs condition the SFT-GAN (Eq. 1-2).

    skip = 100 / (k - 1); percent_i = ceil(skip * i); index_i = ceil(percent_i * (N - 1) / 100),
    computed in exact integer arithmetic, so the first (0) and last (N - 1) layers are always
    included. For N = 13 and k = 8 this gives [0, 2, 4, 6, 7, 9, 11, 12]. When the ceilings make
    two indices coincide (k close to N, e.g. N = k = 8), the k evenly spaced indices
    round(linspace(0, N-1, k)) are used instead, so k distinct layers are always returned.

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


class IntermediateGradCAMs(GradCAM):
    """Grad-CAM of several conv layers from ONE forward and ONE backward pass: a multi-layer CAM.

    The gradients of the target logit with respect to every tapped layer come from a single tape
    (`BaseCAM.layer_cams`), so the cost is about one forward plus one backward pass whatever the
    number of layers. Each map is resized to the input and min-max normalised to [0, 1] on its
    own. `cams(images, targets)` returns them per layer, channels-last (B, H, W, N); called like
    every explainer, it returns their normalised mean (`BaseCAM.aggregate`), (B, H, W).

    Args:
        model: the classifier.
        layers: the layers to explain, in CNN order; None takes every convolution layer.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: a model without convolution layers.
    """

    name = "intermediate_gradcams"

    def __init__(self, model: keras.Model, layers=None, **kwargs):
        if layers is None:
            layers = [info.layer for info in graph.conv_layers(model)]
        if not layers:
            raise InputError(f"model: expected convolution layers to explain, model '{model.name}' "
                             "has none")
        super().__init__(model, list(layers), **kwargs)

    @classmethod
    def for_model(cls, model: keras.Model, k: int | None = None, batch_size: int = 32
                  ) -> IntermediateGradCAMs:
        """The extractor of the k layers of Eq. 1-2 (every conv layer for k=None), built once per
        (model, k, batch size) and reused, so repeated calls do not retrace. It is an entry of
        `cache.MODEL_CACHE` that holds the model weakly (`detached`): it goes with the model.

        Raises:
            InputError: k larger than the model's number of conv layers.
        """
        def build():
            return cls(model, cgma_layers(model, k), batch_size=batch_size).detached()

        return MODEL_CACHE.get(model, ("cgma.extractor", cls, k, batch_size), build)

    def stacked_cams(self, images: tf.Tensor, targets: tf.Tensor, target=None) -> tf.Tensor:
        """(B, H, W, N) per-layer maps of one batch, inside a compiled step; `target`: see
        `Explainer.explain_batch`."""
        return tf.stack(self.layer_cams(images, targets, target), axis=-1)

    def cams(self, images, targets=None) -> np.ndarray:
        """float32 (B, H, W, N) per-layer Grad-CAMs in [0, 1], in batches of `batch_size`."""
        return self.run(self.stacked_cams, images, targets)


def cgma_layers(model: keras.Model, k: int | None) -> list:
    """Every conv layer of `model` (k=None), or the k layers whose Grad-CAMs make its CGMAs: the
    conv layers chosen by `select_layers`, the last replaced by Grad-CAM's own layer
    (`graph.find_layer(model, None)`, the last 4-D layer, after the last convolution's
    normalisation, activation or merge). The paper's last CGMA layer is "the last convolutional
    layer" Grad-CAM reads (Sec. 3.1); its Keras models' Conv2D layers hold their ReLU, so for
    them both are one layer. Where a convolution is followed by batch normalisation, a separate
    activation or a merge (a residual sum, an Inception concatenation), the raw last
    convolution differs from Grad-CAM's layer.

    Raises:
        InputError: k larger than the model's number of conv layers.
    """
    layers = [info.layer for info in graph.conv_layers(model)]
    if k is None:
        return layers
    if k > len(layers):
        raise InputError(f"k: expected at most the {len(layers)} conv layers of model "
                         f"'{model.name}', got {k}")
    chosen = [layers[i] for i in select_layers(len(layers), k)]
    last = graph.find_layer(model, None)
    if all(layer is not last for layer in chosen[:-1]):
        chosen[-1] = last
    return chosen


def intermediate_gradcams(model: keras.Model, images, targets=None, batch_size: int = 32
                          ) -> np.ndarray:
    """Grad-CAMs of ALL N convolution layers, in CNN order, from one forward and one backward pass.

    Args:
        model: the classifier (nested bases are entered).
        images: (B, H, W, C) floats in [0, 1].
        targets: None (predicted class), an int or B ints.
        batch_size: images per compiled step.

    Returns:
        float32 (B, H, W, N), channels-last like every CGMA array; each map in [0, 1].
    """
    return IntermediateGradCAMs.for_model(model, None, batch_size).cams(images, targets)


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
    cams = IntermediateGradCAMs.for_model(model, k, batch_size).cams(images, targets)
    return cumulative_average(cams).numpy()


def cumulative_average(cams) -> tf.Tensor:
    """(B, H, W, k) maps -> (B, H, W, k) running means along k (Eq. 3-4); graph-compatible."""
    cams = tf.convert_to_tensor(cams, tf.float32)
    counts = tf.range(1, tf.shape(cams)[-1] + 1, dtype=tf.float32)
    return tf.cumsum(cams, axis=-1) / counts


__all__ = ["IntermediateGradCAMs", "cgma_layers", "compute_cgma", "cumulative_average",
           "intermediate_gradcams",
           "select_layers"]
