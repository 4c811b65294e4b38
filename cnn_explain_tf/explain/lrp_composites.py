"""LRP composites (a rule per layer type, as zennit's) and the LRP explainers built on them."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.explain.attributions import SignedAttributions
from cnn_explain_tf.explain.base import normalize, register, target_scores
from cnn_explain_tf.explain.gradients import InputGradients
from cnn_explain_tf.explain.lrp_rules import (
    AlphaBeta,
    Epsilon,
    Flat,
    Gamma,
    Pass,
    Rule,
    ZBox,
    ZPlus,
    relevance_through,
)

__all__ = ["CONVOLUTIONS", "DENSE", "LRP", "Composite", "CompositeRules", "LRPAlphaBeta",
           "LRPEpsilonAlpha2Beta1", "LRPEpsilonGammaBox", "LRPEpsilonPlusFlat", "LRPGamma",
           "LRPZPlus", "epsilon_alpha2_beta1", "epsilon_alpha2_beta1_flat", "epsilon_gamma_box",
           "epsilon_plus", "epsilon_plus_flat", "uniform"]

DENSE = (keras.layers.Dense,)
CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
                keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
                keras.layers.Conv3DTranspose, keras.layers.DepthwiseConv1D,
                keras.layers.DepthwiseConv2D)
"""Layers with one kernel, which the reweighting rules recompute (zennit's `Convolution`)."""
SUM_POOLING = (keras.layers.AveragePooling1D, keras.layers.AveragePooling2D,
               keras.layers.AveragePooling3D, keras.layers.GlobalAveragePooling1D,
               keras.layers.GlobalAveragePooling2D, keras.layers.GlobalAveragePooling3D,
               keras.layers.Add, keras.layers.Average)
ELEMENT_WISE = (keras.layers.BatchNormalization, keras.layers.Rescaling,
                keras.layers.Normalization)
SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)


@dataclass(frozen=True)
class Composite:
    """Assigns an LRP rule to each layer: the first entry of `first_map` whose types match
    the first such layer in execution order, else the first matching entry of `layer_map`.

    Layers without a rule (max pooling, concatenation, reshapes, resizing) pass relevance by
    their plain gradient; activations pass it unchanged (zennit's `Pass`).

    Args:
        layer_map: ((layer types, rule), ...), the first match wins.
        first_map: the same, for the first layer matching one of its types (zennit's
            `SpecialFirstLayerMapComposite`).
    """

    layer_map: tuple[tuple[tuple[type, ...], Rule], ...]
    first_map: tuple[tuple[tuple[type, ...], Rule], ...] = ()

    def first_layer(self, model) -> keras.layers.Layer | None:
        """The layer `first_map` applies to: the first in execution order matching its types."""
        types = tuple(kind for kinds, _ in self.first_map for kind in kinds)
        return next((info.layer for info in graph.list_layers(model)
                     if types and isinstance(info.layer, types)), None)

    def rule(self, layer, first: bool = False) -> Rule | None:
        """The rule of `layer` (`first`: it is the `first_layer`), or None (plain gradient)."""
        for kinds, rule in (self.first_map if first else ()) + self.layer_map:
            if isinstance(layer, kinds):
                return rule
        return None


def base_map(stabilizer: float = 1e-6) -> tuple:
    """The entries every composite shares (zennit's `layer_map_base`): average pooling and sums
    get epsilon with the stabiliser (zennit's `Norm`), element-wise layers pass relevance, and
    separable convolutions (two kernels, which the reweighting rules cannot recompute) get
    epsilon with the stabiliser."""
    return ((SUM_POOLING, Epsilon(stabilizer)), (ELEMENT_WISE, Pass()),
            (SEPARABLE, Epsilon(stabilizer)))


def uniform(rule: Rule, stabilizer: float = 1e-6) -> Composite:
    """`rule` on every dense and convolution layer, the `base_map` on the others."""
    return Composite(base_map(stabilizer) + ((DENSE + CONVOLUTIONS, rule),))


def _composite(conv: Rule, epsilon: float, stabilizer: float, first: Rule | None = None,
               first_types: tuple = DENSE + CONVOLUTIONS) -> Composite:
    layer_map = base_map(stabilizer) + ((CONVOLUTIONS, conv), (DENSE, Epsilon(epsilon)))
    return Composite(layer_map, () if first is None else ((first_types, first),))


def epsilon_plus(epsilon: float = 1e-6, stabilizer: float = 1e-6) -> Composite:
    """z+ on convolutions, epsilon on dense layers (zennit `EpsilonPlus`)."""
    return _composite(ZPlus(stabilizer), epsilon, stabilizer)


def epsilon_plus_flat(epsilon: float = 1e-6, stabilizer: float = 1e-6) -> Composite:
    """Flat on the first dense or convolution layer, z+ on the other convolutions, epsilon on
    the other dense layers (zennit `EpsilonPlusFlat`)."""
    return _composite(ZPlus(stabilizer), epsilon, stabilizer, Flat(stabilizer))


def epsilon_alpha2_beta1(epsilon: float = 1e-6, stabilizer: float = 1e-6) -> Composite:
    """alpha = 2, beta = 1 on convolutions, epsilon on dense layers (zennit
    `EpsilonAlpha2Beta1`)."""
    return _composite(AlphaBeta(2.0, 1.0, stabilizer), epsilon, stabilizer)


def epsilon_alpha2_beta1_flat(epsilon: float = 1e-6, stabilizer: float = 1e-6) -> Composite:
    """Flat on the first dense or convolution layer, then as `epsilon_alpha2_beta1` (zennit
    `EpsilonAlpha2Beta1Flat`)."""
    return _composite(AlphaBeta(2.0, 1.0, stabilizer), epsilon, stabilizer, Flat(stabilizer))


def epsilon_gamma_box(low=0.0, high=1.0, epsilon: float = 1e-6, gamma: float = 0.25,
                      stabilizer: float = 1e-6) -> Composite:
    """z-box (inputs in [low, high]) on the first convolution, gamma on the other convolutions,
    epsilon on dense layers (zennit `EpsilonGammaBox`)."""
    return _composite(Gamma(gamma, stabilizer), epsilon, stabilizer,
                      ZBox(low, high, stabilizer), CONVOLUTIONS)


class CompositeRules(graph.BackwardRules):
    """The backward rules of a composite: each affine layer's rule, activations pass relevance.

    The gradient that reaches the input is the relevance (zennit's convention), not relevance
    divided by the input as in `LRPEpsilon`'s rules.
    """

    changes_gradients = True

    def __init__(self, composite: Composite, first_layer=None):
        self.composite, self.first = composite, first_layer

    def activation(self, fn, x, relu_like):
        return relevance_through(fn, x, lambda inputs, outputs, relevance: relevance)

    def affine_layer(self, layer, fn, x):
        rule = self.composite.rule(layer, layer is self.first)
        return fn(x) if rule is None else rule(layer, fn, x)


class LRP(SignedAttributions, InputGradients):
    """Layer-wise relevance propagation with a composite: a rule per layer (see `Composite`).

    The relevance of the output is the target score (the class logit, as `LRPEpsilon` and
    captum); zennit starts from its `attr_output` (commonly a one-hot vector), so zennit's
    relevance with a one-hot start is this one divided by the target logit. `attributions()`
    returns the signed input relevance (B, H, W, C); the map is its positive part summed over
    channels, normalised to [0, 1], as `LRPEpsilon`'s. The costs stated by the registered
    explainers count gradient passes (a forward and a backward pass through the layers) for
    layer inputs >= 0 (images, ReLU outputs); a layer input with negative values doubles that
    layer's reweighted passes (`lrp_rules.Reweighting`).

    Args:
        model: the classifier.
        composite: the rule assignment, e.g. `epsilon_plus_flat()`.
        **kwargs: `output`, `batch_size`.

    References: Bach et al., PLoS ONE 2015; Montavon et al., "Layer-Wise Relevance
    Propagation: An Overview", 2019, Sec. 10.3 (different rules in different layers); Anders
    et al., "Software for Dataset-wide XAI: From Local Explanations to Global Insights with
    Zennit, CoRelAy, and ViRelAy", arXiv 2106.13200, 2021 (composites).
    """

    name = "lrp"

    def __init__(self, model, composite: Composite, **kwargs):
        super().__init__(model, **kwargs)
        self.composite = composite
        self.rules = CompositeRules(composite, composite.first_layer(model))

    def attribution_batch(self, images, targets, target=None):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            _, output = self.forward(images, rules=self.rules)
            scores = target_scores(output, targets, target)
        return tape.gradient(scores, images, output_gradients=tf.stop_gradient(scores))

    def explain_batch(self, images, targets, target=None):
        relevance = tf.reduce_sum(self.attribution_batch(images, targets, target), axis=-1)
        return normalize(tf.nn.relu(relevance))


@register
class LRPZPlus(LRP):
    """LRP with the z+ rule on every dense and convolution layer (`lrp_rules.ZPlus`).

    Cost: 1.5 gradient passes (per layer a forward pass for z+ and a backward pass through w+;
    `benchmarks/lrp.py` measures it)."""

    name = "lrp_zplus"

    def __init__(self, model, stabilizer: float = 1e-6, **kwargs):
        super().__init__(model, uniform(ZPlus(stabilizer), stabilizer), **kwargs)


@register
class LRPAlphaBeta(LRP):
    """LRP with the alpha-beta rule on every dense and convolution layer (`lrp_rules.AlphaBeta`;
    alpha = 1, beta = 0 is z+).

    Cost: 2.5 gradient passes (per layer forward passes for z+ and z-, backward passes through
    w+ and w-)."""

    name = "lrp_alpha_beta"

    def __init__(self, model, alpha: float = 2.0, beta: float = 1.0, stabilizer: float = 1e-6,
                 **kwargs):
        super().__init__(model, uniform(AlphaBeta(alpha, beta, stabilizer), stabilizer),
                         **kwargs)


@register
class LRPGamma(LRP):
    """LRP with the gamma rule on every dense and convolution layer (`lrp_rules.Gamma`).

    Cost: 2 gradient passes (per layer a forward pass for z+ and backward passes through
    w + gamma w+ and w + gamma w-)."""

    name = "lrp_gamma"

    def __init__(self, model, gamma: float = 0.25, stabilizer: float = 1e-6, **kwargs):
        super().__init__(model, uniform(Gamma(gamma, stabilizer), stabilizer), **kwargs)


@register
class LRPEpsilonPlusFlat(LRP):
    """LRP with the `epsilon_plus_flat` composite (zennit `EpsilonPlusFlat`); cost: 1.5 gradient
    passes, as z+."""

    name = "lrp_epsilon_plus_flat"

    def __init__(self, model, epsilon: float = 1e-6, stabilizer: float = 1e-6, **kwargs):
        super().__init__(model, epsilon_plus_flat(epsilon, stabilizer), **kwargs)


@register
class LRPEpsilonAlpha2Beta1(LRP):
    """LRP with the `epsilon_alpha2_beta1` composite (zennit `EpsilonAlpha2Beta1`); cost: 2.5
    gradient passes on a convolutional net, as alpha-beta."""

    name = "lrp_epsilon_alpha2_beta1"

    def __init__(self, model, epsilon: float = 1e-6, stabilizer: float = 1e-6, **kwargs):
        super().__init__(model, epsilon_alpha2_beta1(epsilon, stabilizer), **kwargs)


@register
class LRPEpsilonGammaBox(LRP):
    """LRP with the `epsilon_gamma_box` composite (zennit `EpsilonGammaBox`); `low`, `high`
    bound the first convolution's input (default: the image range [0, 1]). Cost: about 2
    gradient passes on a convolutional net, as gamma (z-box adds two on the first layer)."""

    name = "lrp_epsilon_gamma_box"

    def __init__(self, model, low=0.0, high=1.0, epsilon: float = 1e-6, gamma: float = 0.25,
                 stabilizer: float = 1e-6, **kwargs):
        super().__init__(model, epsilon_gamma_box(low, high, epsilon, gamma, stabilizer),
                         **kwargs)
