"""LRP rules (epsilon, z+, alpha-beta, gamma, flat, z-box, pass) as per-layer backward rules.

zennit's convention: the gradient flowing backward IS the relevance. `rule(layer, fn, x)` returns
the layer's pre-activation output fn(x) (`graph.BackwardRules.affine_layer`) with a backward pass
mapping the outputs' relevance R_k to the inputs' R_j. Notation: x+ = max(x, 0), x- = min(x, 0),
the same for weights w and biases b; stab(z) = z + s sign(z), sign(0) = +1, s the stabiliser.
"""

from __future__ import annotations

import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.validation import InputError, describe

__all__ = ["AlphaBeta", "Epsilon", "Flat", "Gamma", "Pass", "Rule", "ZBox", "ZPlus",
           "relevance_through", "stabilize"]


def stabilize(z: tf.Tensor, epsilon: float) -> tf.Tensor:
    """z + epsilon * sign(z) with sign(0) = +1: the stabilised denominator of every rule."""
    epsilon = tf.cast(epsilon, z.dtype)
    return z + tf.where(z >= 0, epsilon, -epsilon)


@tf.custom_gradient
def _times_input(x):
    """Identity whose backward pass multiplies the upstream gradient by x."""
    return tf.identity(x), lambda upstream: upstream * x


def relevance_through(fn, x, backward):
    """fn(x) in the forward pass; in the backward pass the relevance R of the output becomes
    backward(x, fn(x), R) at the input, and the layer's own gradient path is not used."""
    y = fn(x)

    @tf.custom_gradient
    def swap(inputs, outputs):
        return tf.identity(outputs), lambda relevance: (backward(inputs, outputs, relevance),
                                                        None)

    return swap(x, y)


def _check_number(name: str, value, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= minimum:
        raise InputError(f"{name}: expected a number >= {minimum:g}, got {describe(value)}")
    return float(value)


class Rule:
    """An LRP rule: `rule(layer, fn, x)` returns fn(x) and propagates relevance to x."""

    def __call__(self, layer, fn, x):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class Epsilon(Rule):
    """LRP-epsilon: R_j = sum_k x_j w_jk / stab(z_k) R_k, z_k = sum_j x_j w_jk + b_k.

    Uses the layer's own gradient (no extra forward pass), so it serves every layer affine in
    its input: with a tiny epsilon it is zennit's `Norm` rule of sum and average pooling.

    References: Bach et al., PLoS ONE 2015, Eq. 58; Montavon et al., "Layer-Wise Relevance
    Propagation: An Overview", in Explainable AI, LNCS 11700, 2019, Sec. 10.2.1 (LRP-epsilon;
    epsilon = 0 is LRP-0).
    """

    def __init__(self, epsilon: float = 1e-6):
        self.epsilon = _check_number("epsilon", epsilon)

    def __call__(self, layer, fn, x):
        y = fn(tf.nest.map_structure(_times_input, x))  # the layer's gradient, times its input
        return relevance_through(tf.identity, y, lambda inputs, outputs, relevance: (
            relevance / stabilize(outputs, self.epsilon)))


class Pass(Rule):
    """Relevance passes unchanged, R_j = R_j (element-wise layers: batch normalisation, rescaling,
    activations), as zennit's `Pass`; the layer's input and output must have one shape."""

    def __call__(self, layer, fn, x):
        return relevance_through(fn, x, lambda inputs, outputs, relevance: relevance)


def _positive(w):
    return tf.maximum(w, 0.0)


def _negative(w):
    return tf.minimum(w, 0.0)


def _reweighted(layer, kernel, bias=None) -> dict:
    """The weights of `graph.call_with_weights`: a kernel function (applied to the layer's
    kernel) and a bias function (None: no bias)."""
    if bias is None or getattr(layer, "bias", None) is None:
        return {"kernel": kernel(layer.kernel), "bias": None, "use_bias": False}
    return {"kernel": kernel(layer.kernel), "bias": bias(layer.bias)}


INPUT, POSITIVE, NEGATIVE = "x", "x+", "x-"
"""The inputs a term may take besides constants: x, its positive part, its negative part."""


def _term_input(value, x):
    if isinstance(value, str):
        return {INPUT: x, POSITIVE: _positive(x), NEGATIVE: _negative(x)}[value]
    return tf.broadcast_to(tf.cast(value, x.dtype), tf.shape(x))


class Reweighting(Rule):
    """Base of the rules that recompute a layer with one `kernel` (Dense, Conv, DepthwiseConv,
    ConvTranspose) on modified inputs and weights, as zennit's `BasicHook`: `terms` gives
    (input, weights) pairs, `upstreams` the gradient into each term's output, `reduce` the
    relevance from the terms' input gradients. Terms on x- (no bias) vanish where x >= 0: a
    batch whose layer input has no negative value skips them (one branch of a `tf.cond`)."""

    def __init__(self, stabilizer: float = 1e-6):
        self.stabilizer = _check_number("stabilizer", stabilizer)

    def __call__(self, layer, fn, x):
        return relevance_through(fn, x, lambda inputs, outputs, relevance: self.relevance(
            layer, inputs, outputs, relevance))

    def relevance(self, layer, x, y, relevance):
        terms = self.terms(layer)
        if not any(value is NEGATIVE for value, _ in terms):
            return self._propagate(layer, terms, x, y, relevance)
        return tf.cond(tf.reduce_all(x >= 0),
                       lambda: self._propagate(layer, terms, x, y, relevance, True),
                       lambda: self._propagate(layer, terms, x, y, relevance))

    def _propagate(self, layer, terms, x, y, relevance, nonnegative: bool = False):
        active = [not (nonnegative and value is NEGATIVE) for value, _ in terms]
        inputs = [tf.identity(_term_input(value, x)) if on else tf.zeros_like(x)
                  for on, (value, _) in zip(active, terms)]
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([value for on, value in zip(active, inputs) if on])
            outputs = [graph.call_with_weights(layer, value, **weights) if on else tf.zeros_like(y)
                       for on, value, (_, weights) in zip(active, inputs, terms)]
        upstreams = self.upstreams(outputs, y, relevance)
        found = iter(tape.gradient(*([item for on, item in zip(active, items) if on]
                                     for items in (outputs, inputs, upstreams))))
        gradients = [next(found) if on else tf.zeros_like(x) for on in active]
        return self.reduce(inputs, gradients)

    def terms(self, layer) -> list:
        raise NotImplementedError

    def upstreams(self, outputs, y, relevance) -> list:
        raise NotImplementedError

    def reduce(self, inputs, gradients):
        return tf.add_n([value * gradient for value, gradient in zip(inputs, gradients)])

    def _divide(self, relevance, denominator):
        return relevance / stabilize(denominator, self.stabilizer)


class AlphaBeta(Reweighting):
    """LRP-alpha-beta: R_j = sum_k (alpha z+_jk / stab(z+_k) - beta z-_jk / stab(z-_k)) R_k with
    z+_jk = x+_j w+_jk + x-_j w-_jk, z+_k = sum_j z+_jk + b+_k, and z-_jk = x+_j w-_jk +
    x-_j w+_jk, z-_k = sum_j z-_jk + b-_k. alpha - beta = 1 keeps relevance conserved where
    both z+_k and z-_k are non-zero. For x >= 0 it is Bach et al.'s rule; the x- terms are
    zennit's extension to negative inputs.

    References: Bach et al., "On Pixel-Wise Explanations for Non-Linear Classifier Decisions by
    Layer-Wise Relevance Propagation", PLoS ONE 2015, Eq. 60; Montavon et al. 2019 (LRP
    overview), Sec. 10.2.1.
    """

    def __init__(self, alpha: float = 2.0, beta: float = 1.0, stabilizer: float = 1e-6):
        super().__init__(stabilizer)
        self.alpha, self.beta = _check_number("alpha", alpha), _check_number("beta", beta)
        if abs(self.alpha - self.beta - 1.0) > 1e-9:
            raise InputError(f"alpha, beta: expected alpha - beta = 1 (relevance is conserved), "
                             f"got alpha={alpha!r}, beta={beta!r}")

    def terms(self, layer):
        kept = [(POSITIVE, _reweighted(layer, _positive, _positive)),
                (NEGATIVE, _reweighted(layer, _negative))]
        if self.beta == 0.0:
            return kept
        return kept + [(POSITIVE, _reweighted(layer, _negative, _negative)),
                       (NEGATIVE, _reweighted(layer, _positive))]

    def upstreams(self, outputs, y, relevance):
        kept = self._divide(relevance, outputs[0] + outputs[1])
        if self.beta == 0.0:
            return [kept] * 2
        return [kept] * 2 + [self._divide(relevance, outputs[2] + outputs[3])] * 2

    def reduce(self, inputs, gradients):
        parts = [value * gradient for value, gradient in zip(inputs, gradients)]
        kept = self.alpha * (parts[0] + parts[1])
        return kept if self.beta == 0.0 else kept - self.beta * (parts[2] + parts[3])


class ZPlus(AlphaBeta):
    """LRP-z+: alpha-beta with alpha = 1, beta = 0, R_j = sum_k z+_jk / stab(z+_k) R_k (the
    bias b+ is in the denominator, as in zennit).

    References: Montavon et al., "Explaining nonlinear classification decisions with deep Taylor
    decomposition", Pattern Recognition 2017 (the z+ rule); Bach et al. 2015, Eq. 60.
    """

    def __init__(self, stabilizer: float = 1e-6):
        super().__init__(1.0, 0.0, stabilizer)


class Gamma(Reweighting):
    """LRP-gamma: R_j = sum_k x_j rho(w_jk) / stab(sum_j x_j rho(w_jk) + rho(b_k)) R_k with
    rho(w) = w + gamma w+, for outputs z_k > 0 and inputs x >= 0 (Montavon et al. 2019). As
    zennit's generalised rule: for z_k > 0 the x- inputs use w + gamma w-; for z_k < 0 the
    roles swap (x+ with w + gamma w-, x- with w + gamma w+); z_k = 0 passes nothing.

    References: Montavon et al., "Layer-Wise Relevance Propagation: An Overview", 2019,
    Sec. 10.2.1 (LRP-gamma); Andeol et al., "Learning domain invariant representations by joint
    Wasserstein distance minimization", 2021 (the generalisation to negative inputs).
    """

    def __init__(self, gamma: float = 0.25, stabilizer: float = 1e-6):
        super().__init__(stabilizer)
        self.gamma = _check_number("gamma", gamma)

    def terms(self, layer):
        gamma = self.gamma

        def up(w):
            return w + gamma * _positive(w)

        def down(w):
            return w + gamma * _negative(w)

        return [(POSITIVE, _reweighted(layer, up, up)), (NEGATIVE, _reweighted(layer, down)),
                (POSITIVE, _reweighted(layer, down, down)), (NEGATIVE, _reweighted(layer, up))]

    def upstreams(self, outputs, y, relevance):
        rising = tf.where(y > 0, self._divide(relevance, outputs[0] + outputs[1]), 0.0)
        falling = tf.where(y < 0, self._divide(relevance, outputs[2] + outputs[3]), 0.0)
        return [rising, rising, falling, falling]


class Flat(Reweighting):
    """LRP-flat: R_j = sum_k 1 / stab(n_k) R_k, n_k the number of inputs connected to output k:
    relevance is spread evenly over each output's receptive field, whatever the input values
    and weights (zennit's `Flat`: unit inputs and weights, no bias). Meant for the first layer.

    References: Lapuschkin et al., "Unmasking Clever Hans predictors and assessing what machines
    really learn", Nature Communications 2019 (Methods: the flat rule).
    """

    def terms(self, layer):
        return [(1.0, _reweighted(layer, tf.ones_like))]

    def upstreams(self, outputs, y, relevance):
        return [self._divide(relevance, outputs[0])]

    def reduce(self, inputs, gradients):
        return gradients[0]


class ZBox(Reweighting):
    """LRP-z^B for inputs bounded by [low, high]: R_j = sum_k (x_j w_jk - l_j w+_jk - h_j w-_jk)
    / stab(sum_j (x_j w_jk - l_j w+_jk - h_j w-_jk)) R_k (the biases cancel, as in zennit).

    Args:
        low, high: the lowest and highest input values: numbers, or arrays broadcastable to
            the layer's input (B, H, W, C), e.g. per channel.
        stabilizer: s of stab(z).

    References: Montavon et al., "Explaining nonlinear classification decisions with deep Taylor
    decomposition", Pattern Recognition 2017; Montavon et al. 2019 (LRP overview), Sec. 10.3.2.
    """

    def __init__(self, low=0.0, high=1.0, stabilizer: float = 1e-6):
        super().__init__(stabilizer)
        self.low, self.high = low, high
        if not bool(tf.reduce_all(tf.constant(low, tf.float32) <= tf.constant(high, tf.float32))):
            raise InputError(f"low, high: expected low <= high, got low={describe(low)}, "
                             f"high={describe(high)}")

    def terms(self, layer):
        return [(INPUT, _reweighted(layer, tf.identity, tf.identity)),
                (self.low, _reweighted(layer, _positive, _positive)),
                (self.high, _reweighted(layer, _negative, _negative))]

    def upstreams(self, outputs, y, relevance):
        return [self._divide(relevance, outputs[0] - outputs[1] - outputs[2])] * 3

    def reduce(self, inputs, gradients):
        parts = [value * gradient for value, gradient in zip(inputs, gradients)]
        return parts[0] - parts[1] - parts[2]
