"""FullGrad (input- and bias-gradients of every layer) and FEM (k-sigma feature maps)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.explain.base import Explainer, normalize, register, resize, target_scores
from cnn_explain_tf.explain.cam import BaseCAM
from cnn_explain_tf.validation import InputError

__all__ = ["FEM", "FullGrad", "bias_of", "fem_map", "fullgrad_map", "scaled_channel_sum"]

BIASED = (keras.layers.Dense, keras.layers.Conv2DTranspose, *graph.CONVOLUTIONS)


def bias_of(layer: keras.layers.Layer) -> tf.Tensor | None:
    """The per-channel bias a layer adds to its output, or None: a dense or convolution layer's
    bias; for inference-mode batch normalisation, beta - gamma * mean / sqrt(var + eps).

    References: Srinivas & Fleuret, NeurIPS 2019, Sec. 3 (implicit biases, e.g. of batch
    normalisation, computed as the authors' code `tensor_extractor.py` and pytorch-grad-cam).
    """
    if isinstance(layer, keras.layers.BatchNormalization):
        scale = layer.gamma if layer.scale else 1.0
        shift = layer.beta if layer.center else 0.0
        return shift - scale * layer.moving_mean * tf.math.rsqrt(
            layer.moving_variance + layer.epsilon)
    if isinstance(layer, BIASED) and getattr(layer, "bias", None) is not None:
        return tf.convert_to_tensor(layer.bias)
    return None


def fullgrad_map(input_term: tf.Tensor, bias_terms: list[tf.Tensor]) -> tf.Tensor:
    """The FullGrad map, (B, H, W, C) and a list of (B, h, w, K) -> (B, H, W) in [0, 1].

    psi (absolute value, min-max scaling per image and channel, bilinear resize to H x W) of
    each channel of the input-gradient term x * dS/dx and of each bias-gradient b * dS/dz of
    the 4-D layers, summed over every channel and layer, then min-max scaled. Resizing is
    linear, so each layer's scaled channels are summed before their one resize.

    References: Srinivas & Fleuret, "Full-Gradient Representation for Neural Network
    Visualization", NeurIPS 2019, Sec. 4: the FullGrad aggregate S(x) = psi(dS/dx * x) +
    sum over layers l and channels c of psi(f^b(x)_c).
    """
    size = tf.shape(input_term)[1:3]
    total = scaled_channel_sum(input_term)
    for term in bias_terms:
        total += resize(scaled_channel_sum(term), size)
    return normalize(total)


def scaled_channel_sum(values: tf.Tensor) -> tf.Tensor:
    """sum_c minmax(|v_c|), (B, h, w, C) -> (B, h, w): each channel's magnitude min-max scaled
    over positions (constant channels give 0), summed; computed as one weighted channel sum
    sum_c |v_c| / span_c - low_c / span_c, without scaling every value."""
    magnitude = tf.abs(values)
    low = tf.reduce_min(magnitude, axis=(1, 2))
    span = tf.reduce_max(magnitude, axis=(1, 2)) - low
    scale = tf.math.divide_no_nan(tf.ones_like(span), tf.where(span > 1e-12, span, 0.0))
    offset = tf.reduce_sum(low * scale, axis=-1)[:, None, None]
    return tf.einsum("bhwc,bc->bhw", magnitude, scale) - offset


class _PreActivations(graph.BackwardRules):
    """Plain gradients; records (layer, pre-activation output z) of every call of `layers`
    (`affine_layer` computes each affine layer's z before its activation)."""

    changes_gradients = True

    def __init__(self, layers):
        self.wanted, self.found = {id(layer) for layer in layers}, []

    def affine_layer(self, layer, fn, x):
        z = fn(x)
        if id(layer) in self.wanted:
            self.found.append((layer, z))
        return z


@register
class FullGrad(Explainer):
    """FullGrad: the input-gradient x input plus the bias-gradients of every convolution and
    batch-normalisation layer, each post-processed and summed (`fullgrad_map`).

    The bias-gradient of a layer is b * dS/dz at its pre-activation output z (found through
    the backward rules, nested models included); everything comes from one forward and one
    backward pass. For a piecewise-linear network (ReLU, max/average pooling, inference-mode
    batch normalisation) the full-gradient decomposition is exact (Sec. 3): S(x) = sum of
    x * dS/dx + sum over every biased layer (dense included) of b * dS/dz; `contributions`
    returns those terms.

    Conventions: as pytorch-grad-cam's `FullGrad`, psi scales each channel on its own (the
    paper's aggregate), the input term included, and only 4-D layers enter the map. The authors'
    code scales each layer's (and the input's) channels jointly and resizes with
    align_corners=True; the map here resizes with half-pixel centres, as cv2 in
    pytorch-grad-cam. A softmax/sigmoid head is explained through its logits.

    Args:
        model: the classifier (without biases, the map is the input term's alone).
        **kwargs: `output`, `batch_size`.

    References: Srinivas & Fleuret, "Full-Gradient Representation for Neural Network
    Visualization", NeurIPS 2019: the full-gradient decomposition
    f(x) = dS/dx^T x + sum of the bias-gradients f^b(x) (Sec. 3) and the FullGrad aggregate
    (Sec. 4).
    """

    name = "fullgrad"

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        infos = [info for info in graph.list_layers(model) if bias_of(info.layer) is not None]
        self.bias_layers = list({id(info.layer): info.layer for info in infos}.values())
        self.bias_layer_names = [info.name for info in infos]

    def full_gradients(self, images, targets, target=None):
        """(x * dS/dx, [b * dS/dz for each call of a biased layer, in CNN order])."""
        rules = _PreActivations(self.bias_layers)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            _, logits = graph.run(self.model, images, rules=rules, output=self.output)
            scores = target_scores(logits, targets, target)
        z = [pre for _, pre in rules.found]
        gradients = tape.gradient(scores, [images, *z],
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
        bias_terms = [tf.cast(g, tf.float32) * tf.cast(bias_of(layer), tf.float32)
                      for (layer, _), g in zip(rules.found, gradients[1:])]
        return images * gradients[0], bias_terms

    def explain_batch(self, images, targets, target=None):
        input_term, bias_terms = self.full_gradients(images, targets, target)
        return fullgrad_map(input_term, [term for term in bias_terms if term.shape.rank == 4])

    def contribution_batch(self, images, targets, target=None):
        """(B, 1 + L): the input term's sum, then each biased layer call's b * dS/dz sum."""
        input_term, bias_terms = self.full_gradients(images, targets, target)
        sums = [tf.reduce_sum(term, axis=tf.range(1, tf.rank(term)))
                for term in [input_term, *bias_terms]]
        return tf.stack(sums, axis=1)

    def contributions(self, images, targets=None) -> np.ndarray:
        """(B, 1 + L) float32: column 0 sums x * dS/dx, column 1 + l sums b * dS/dz of the
        l-th call of a biased layer (`bias_layer_names[l]`). For a piecewise-linear network
        each row sums to the explained score S(x) (completeness, Sec. 3)."""
        return self.run(self.contribution_batch, images, targets)


def fem_map(activations: tf.Tensor, k: float = 2.0) -> tf.Tensor:
    """FEM map, (B, h, w, K) -> (B, h, w): sum_k mean(A_k) * [A_k > mean(A_k) + k std(A_k)].

    Each channel is binarised by its k-sigma threshold (mean and population standard
    deviation over positions) and weighted by its spatial mean.

    References: Fuad et al., "Features Understanding in 3D CNNs for Actions Recognition in
    Video", IPTA 2020 (the k-sigma binarisation and the mean-weighted sum of the binary maps,
    k = 2), as the authors' code and xplique's `FEM` compute it.
    """
    means = tf.reduce_mean(activations, axis=(1, 2), keepdims=True)
    deviations = tf.math.reduce_std(activations, axis=(1, 2), keepdims=True)
    binary = tf.cast(activations > means + k * deviations, activations.dtype)
    return tf.reduce_sum(binary * means, axis=-1)


@register
class FEM(BaseCAM):
    """FEM (Feature Explanation Method): the k-sigma binarised channels of a layer weighted by
    their mean activation (`fem_map`), ReLU, resized and min-max scaled. Gradient-free and
    class-agnostic: the map does not depend on the target. A layer of n positions has no value
    above k sigma when k >= sqrt(n - 1), the largest z-score of n values: with k = 2 a layer
    of fewer than 6 positions gives an empty (zero) map.

    Conventions: the paper, its authors' code and xplique weight the binary maps by the channel
    means; pytorch-grad-cam's `FEM` instead weights the activations by the fraction of positions
    above the threshold. A position counts when it exceeds the threshold strictly (the authors'
    code; xplique counts ties, which adds the mean of a constant channel everywhere and leaves
    the min-max scaled map unchanged). The authors divide by the maximum, xplique resizes
    bicubically; here the map is resized bilinearly and min-max scaled like every CAM.

    Args:
        model: the classifier.
        layer: see `BaseCAM` (several layers: their maps are averaged).
        k: the number of standard deviations of the threshold (the paper's 2).
        **kwargs: `output`, `batch_size`.

    References: Fuad et al., "Features Understanding in 3D CNNs for Actions Recognition in
    Video", IPTA 2020.
    """

    name = "fem"
    uses_gradients = False
    class_specific = False

    def __init__(self, model, layer=None, k: float = 2.0, **kwargs):
        super().__init__(model, layer, **kwargs)
        if not np.isfinite(float(k)):
            raise InputError(f"k: expected a finite number, got {k!r}")
        self.k = float(k)

    def cam_map(self, activations, gradients, images, targets, target=None):
        return tf.nn.relu(fem_map(activations, self.k))
