"""DeepLIFT with the Rescale rule, as a backward rule set over the caller's layers."""

from __future__ import annotations

import tensorflow as tf

from cnn_explain_tf.explain.attributions import SignedAttributions, check_baseline
from cnn_explain_tf.explain.base import Explainer, register, target_scores
from cnn_explain_tf.graph import BackwardRules

__all__ = ["DeepLIFT", "RescaleRules"]

class RescaleRules(BackwardRules):
    """The Rescale rule of DeepLIFT as backward rules, in two runs of the same model.

    Without `references` the rules record, in call order, the input and output of every
    element-wise activation (the run on the baseline). With the records of that run, each
    activation y = f(x) keeps its forward value but back-propagates the multiplier
    m = (f(x) - f(x0)) / (x - x0) instead of f'(x), or f'(x) itself where x = x0.
    Affine layers (dense, conv, BN, pooling, merges) keep their gradients, which are their
    multipliers (the linear rule).
    """

    changes_gradients = True

    def __init__(self, references: list | None = None):
        self.references = references
        self.records = []

    def activation(self, fn, x, relu_like):
        y = fn(x)
        if self.references is None:
            self.records.append((x, y))
            return y
        x0, y0 = self.references[len(self.records)]
        self.records.append((x, y))
        return rescale(x, y, x0, y0)

    def check_complete(self) -> None:
        """Both runs met the same number of activations (they run the same graph)."""
        if self.references is not None and len(self.records) != len(self.references):
            raise RuntimeError(f"DeepLIFT: the image run met {len(self.records)} activations, "
                               f"the baseline run {len(self.references)}")


def rescale(x: tf.Tensor, y: tf.Tensor, x0: tf.Tensor, y0: tf.Tensor) -> tf.Tensor:
    """`y` (= f(x)) whose gradient with respect to `x` is (y - y0) / (x - x0), element-wise;
    where x = x0 the upstream gradient goes on through `y` instead, so that f'(x) applies.

    References: Shrikumar et al., ICML 2017, Sec. 3.5.2 (the Rescale rule, m = dy / dx).
    """

    @tf.custom_gradient
    def apply(inputs, outputs):
        def backward(upstream):
            delta = inputs - tf.cast(x0, inputs.dtype)
            multiplier = tf.math.divide_no_nan(outputs - tf.cast(y0, outputs.dtype), delta)
            return upstream * multiplier, tf.where(delta == 0.0, upstream, tf.zeros_like(upstream))

        return tf.identity(outputs), backward

    return apply(x, y)


@register
class DeepLIFT(SignedAttributions, Explainer):
    """DeepLIFT (Rescale rule): contributions (x - x0) * m of each input to f(x) - f(x0).

    The multipliers m are back-propagated by the chain rule of multipliers (Eq. 3): affine
    layers pass them as gradients do (the linear rule), element-wise activations use
    m = (f(x) - f(x0)) / (x - x0) (the Rescale rule, `rescale`). The reference activations come
    from one run of the model on the baseline inside the same compiled step, so a batch of B
    images costs one forward and backward pass of B images plus a forward pass of one image.
    Summation-to-delta (Eq. 1): the attributions of an image sum to f(x) - f(x0) for networks
    whose nonlinearities are element-wise activations (ReLU, sigmoid, tanh, ...) between affine
    layers (dense, convolutions, inference-mode batch normalisation, average pooling, Add).

    Compared with captum's `DeepLift` (the same Rescale multipliers, baseline zeros by default,
    attributions (x - x0) * m; captum falls back to the gradient where |x - x0| < 1e-10, here
    where x = x0):
    - max pooling passes the multipliers to the image's maximum, as a gradient does: the
      DeepLIFT authors' code (deeplift's only `MaxPoolDeepLiftMode`, `gradient`). captum's
      max-pool rule also routes the reference's share to the reference's maximum, so its sums
      stay equal to f(x) - f(x0) where the image and the baseline peak at different positions;
      these sums then differ from it;
    - a softmax or sigmoid head is explained through its logits (captum applies a softmax
      rule); other layers that are not element-wise (Multiply, an inner softmax) keep their
      gradients;
    - one baseline serves every image (captum also takes one baseline per image).

    Args:
        model: the classifier.
        baseline: x0, a number (every pixel, default 0: black) or an array of the input shape.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: a baseline of another shape, or non-finite.

    References: Shrikumar et al., "Learning Important Features Through Propagating Activation
    Differences", ICML 2017: summation-to-delta (Eq. 1), multipliers (Eq. 2), the chain rule
    (Eq. 3), the Linear rule (Sec. 3.5.1) and the Rescale rule (Sec. 3.5.2).
    """

    name = "deeplift"

    def __init__(self, model, baseline=0.0, **kwargs):
        super().__init__(model, **kwargs)
        self.baseline = check_baseline(baseline, self.input_shape)

    def attribution_batch(self, images, targets, target=None):
        baseline = tf.broadcast_to(tf.constant(self.baseline), self.input_shape)[None]
        recorded = RescaleRules()
        self.forward(baseline, rules=recorded)
        rules = RescaleRules(recorded.records)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            _, logits = self.forward(images, rules=rules)
            scores = target_scores(logits, targets, target)
        rules.check_complete()
        return (images - baseline) * tape.gradient(scores, images)
