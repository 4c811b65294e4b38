"""Input-gradient explainers: saliency, guided backprop, deconvnet, LRP-epsilon."""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import Explainer, normalize, register, target_scores
from cnn_explain_tf.graph import BackwardRules
from cnn_explain_tf.validation import InputError


class InputGradients(Explainer):
    """Base of the input-gradient methods: d(target logit)/d(input) under `rules`, reduced over
    channels by `reduce`, normalised to [0, 1]."""

    rules: BackwardRules = BackwardRules()

    def input_gradients(self, images, targets, target=None) -> tf.Tensor:
        """(B, H, W, C) gradients of the target scores (`target_scores`: the class logits, or
        the callable `target`'s score) with respect to the images, under `rules`."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            _, logits = self.forward(images, rules=self.rules)
            scores = target_scores(logits, targets, target)
        return tape.gradient(scores, images)

    def copies_per_pass(self, images) -> tf.Tensor:
        """max(1, batch_size // B): the copies of each of the B images (noisy copies, path
        points, draws) that one gradient pass holds, about `batch_size` inputs in all."""
        return tf.maximum(1, self.batch_size // tf.shape(images)[0])

    def stacked_gradients(self, points, targets, target=None) -> tf.Tensor:
        """(n, B, H, W, C) input gradients at (n, B, H, W, C) points, n copies of a batch whose
        targets are `targets`, from ONE pass over their n x B images."""
        shape = tf.shape(points)
        flat = tf.reshape(points, tf.concat([[-1], shape[2:]], axis=0))
        return tf.reshape(self.input_gradients(flat, tf.tile(targets, [shape[0]]), target),
                          shape)

    def reduce(self, images, gradients) -> tf.Tensor:
        """(B, H, W, C) -> (B, H, W): the largest absolute gradient over channels."""
        return tf.reduce_max(tf.abs(gradients), axis=-1)

    def explain_batch(self, images, targets, target=None):
        return normalize(self.reduce(images, self.input_gradients(images, targets, target)))


@register
class VanillaGradients(InputGradients):
    """Saliency: the largest absolute input gradient over channels.

    References: Simonyan et al., "Deep Inside Convolutional Networks: Visualising Image
    Classification Models and Saliency Maps", ICLR Workshop 2014.
    """

    name = "saliency"


class _GuidedRules(BackwardRules):
    changes_gradients = True

    def activation(self, fn, x, relu_like):
        return _positive_gradient(fn(x)) if relu_like else fn(x)


@tf.custom_gradient
def _positive_gradient(y):
    """Identity whose backward pass keeps only positive gradients (the guided-backprop gate)."""
    return tf.identity(y), lambda upstream: tf.nn.relu(upstream)


class _DeconvRules(BackwardRules):
    changes_gradients = True

    def activation(self, fn, x, relu_like):
        return _deconv_relu(fn, x) if relu_like else fn(x)


def _deconv_relu(fn, x):
    """Forward `fn(x)`; backward ReLU of the upstream gradient, ignoring the forward sign of x."""

    @tf.custom_gradient
    def apply(inputs):
        return fn(inputs), lambda upstream: tf.nn.relu(upstream)

    return apply(x)


@register
class GuidedBackprop(InputGradients):
    """Guided backpropagation: at each ReLU only positive gradients flowing to positive inputs pass.

    The rule is applied on the fly while running the caller's layers (their weights, no copy); the
    caller's model is never modified.

    References: Springenberg et al., "Striving for Simplicity: The All Convolutional Net", ICLR
    Workshop 2015.
    """

    name = "guided_backprop"
    rules = _GuidedRules()


@register
class Deconvnet(InputGradients):
    """Deconvnet: each ReLU passes the ReLU of the backward signal, whatever its forward input.

    References: Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014.
    """

    name = "deconvnet"
    rules = _DeconvRules()


class _EpsilonRules(BackwardRules):
    """LRP-epsilon as a modified gradient: relevance R = x * g, so the epsilon rule of an affine
    layer y = f(x) becomes g_x = J^T (g_y * y / (y + eps * sign(y))), and activations pass
    relevance on. The ratio y / (y + eps sign(y)) = |y| / (|y| + eps) (0 where y = 0) is three
    element-wise operations in the forward pass and one product in the backward pass."""

    changes_gradients = True

    def __init__(self, epsilon: float):
        self.epsilon = epsilon

    def affine(self, y):
        epsilon = self.epsilon

        @tf.custom_gradient
        def stabilise(z):
            magnitude = tf.abs(tf.cast(z, tf.float32))  # in float32 whatever the compute dtype
            ratio = tf.math.divide_no_nan(magnitude, magnitude + epsilon)
            return tf.identity(z), lambda upstream: upstream * tf.cast(ratio, upstream.dtype)

        return stabilise(y)

    def activation(self, fn, x, relu_like):
        if relu_like:
            return fn(x)  # relu(x)/x is the ReLU gradient itself

        @tf.custom_gradient
        def pass_relevance(inputs):
            outputs = fn(inputs)
            return outputs, lambda upstream: upstream * tf.math.divide_no_nan(outputs, inputs)

        return pass_relevance(x)


@register
class LRPEpsilon(InputGradients):
    """Layer-wise relevance propagation with the epsilon rule.

    Supports Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, pooling, BatchNormalization, Add
    and other merges, Flatten and global pooling (every layer affine in its input gets the epsilon
    rule; activations pass relevance unchanged). With epsilon -> 0 and zero biases, relevance is
    conserved from layer to layer: it sums to the target logit. The map is the positive part of
    the relevance summed over channels, normalised to [0, 1]; `attributions()` returns the
    signed relevance (`relevance()` is its deprecated alias). Cost: one gradient pass, plus an
    element-wise ratio per affine layer.

    Args:
        model: the classifier.
        epsilon: the stabiliser (> 0 absorbs weak or contradictory relevance).
        **kwargs: `output`, `batch_size`.

    References: Bach et al., "On Pixel-Wise Explanations for Non-Linear Classifier Decisions by
    Layer-Wise Relevance Propagation", PLoS ONE 2015, Eq. 58.
    """

    name = "lrp_epsilon"

    def __init__(self, model, epsilon: float = 1e-2, **kwargs):
        if not float(epsilon) >= 0.0:
            raise InputError(f"epsilon: expected a value >= 0, got {epsilon!r}")
        self.rules = _EpsilonRules(float(epsilon))
        super().__init__(model, **kwargs)

    def attribution_batch(self, images, targets, target=None) -> tf.Tensor:
        """Signed input relevance x * g of one batch, inside a compiled step."""
        return images * self.input_gradients(images, targets, target)

    def attributions(self, images, targets=None) -> np.ndarray:
        """Signed input relevance (B, H, W, C), as float32 numpy; sums to about the target logit."""
        return self.run(self.attribution_batch, images, targets)

    def relevance(self, images, targets=None) -> np.ndarray:
        """Deprecated alias of `attributions` (one release)."""
        warnings.warn("LRPEpsilon.relevance is deprecated; use LRPEpsilon.attributions",
                      DeprecationWarning, stacklevel=2)
        return self.attributions(images, targets)

    def reduce(self, images, gradients):
        return tf.nn.relu(tf.reduce_sum(images * gradients, axis=-1))
