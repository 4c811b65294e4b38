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
    """z + epsilon * sign(z), sign(0) = +1 (as sign(sign(z) + 1/2): a select is slow on CPU)."""
    return z + tf.cast(epsilon, z.dtype) * tf.sign(tf.sign(z) + 0.5)


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


def _call(layer, x, kernel, bias=None):
    """The layer's pre-activation output on x with the weights kernel(layer.kernel) and
    bias(layer.bias) (`graph.call_with_weights`); bias None: no bias."""
    biased = bias is not None and getattr(layer, "bias", None) is not None
    weights = {"bias": bias(layer.bias)} if biased else {"bias": None, "use_bias": False}
    return graph.call_with_weights(layer, x, kernel=kernel(layer.kernel), **weights)


def _input_relevance(tape, terms, inputs, upstreams):
    """sum_i inputs[i] * d(sum_t terms[t] * upstreams[t]) / d inputs[i]: one backward pass per
    term, summed per input (`tape` watched the inputs while the terms were computed)."""
    gradients = tape.gradient(terms, inputs, output_gradients=upstreams)
    return tf.add_n([value * gradient for value, gradient in zip(inputs, gradients)])


class Reweighting(Rule):
    """Base of the rules that recompute a layer with one `kernel` (Dense, Conv, DepthwiseConv,
    ConvTranspose) on modified inputs and weights, as zennit's `BasicHook`: `relevance(layer,
    x, y, R)` maps the output relevance R to the input x, given the layer's output y. The rules
    on x+ and x- implement `propagate(layer, x+, x-, y, R)`; a batch whose layer input has no
    negative value (images, inputs after a ReLU) gets x+ = x and x- = None: the terms on x- (no
    bias) vanish there and are not computed (one branch of a `tf.cond`).

    Work: a term is a backward pass with its own weights (its forward output, unused, is pruned);
    a forward pass with modified weights runs only for a denominator that y does not give. Each
    rule states its count for x >= 0; the terms on x- double it.
    """

    def __init__(self, stabilizer: float = 1e-6):
        self.stabilizer = _check_number("stabilizer", stabilizer)

    def __call__(self, layer, fn, x):
        return relevance_through(fn, x, lambda inputs, outputs, relevance: self.relevance(
            layer, inputs, outputs, relevance))

    def relevance(self, layer, x, y, relevance):
        return tf.cond(tf.reduce_min(x) >= 0,
                       lambda: self.propagate(layer, x, None, y, relevance),
                       lambda: self.propagate(layer, _positive(x), _negative(x), y, relevance))

    def propagate(self, layer, positive, negative, y, relevance):
        raise NotImplementedError

    def _divide(self, relevance, denominator, scale: float = 1.0, sign=None):
        """scale * R / stab(denominator); `sign`: the denominator's sign, where it is known
        (z+ >= 0, z- <= 0), which stab(z) = z + s sign(z) then need not compute."""
        if sign is None:
            denominator = stabilize(denominator, self.stabilizer)
        else:
            denominator = denominator + sign * self.stabilizer
        share = relevance / denominator
        return share if scale == 1.0 else scale * share


class AlphaBeta(Reweighting):
    """LRP-alpha-beta: R_j = sum_k (alpha z+_jk / stab(z+_k) - beta z-_jk / stab(z-_k)) R_k with
    z+_jk = x+_j w+_jk + x-_j w-_jk, z+_k = sum_j z+_jk + b+_k, and z-_jk = x+_j w-_jk +
    x-_j w+_jk, z-_k = sum_j z-_jk + b-_k. alpha - beta = 1 keeps relevance conserved where
    both z+_k and z-_k are non-zero. For x >= 0 it is Bach et al.'s rule; the x- terms are
    zennit's extension to negative inputs.

    Work per layer (x >= 0): forward passes for z+ (w+, b+) and z- (w-, b-), backward passes
    through w+ and w- (beta = 0: one of each); z - z+ would lose z-'s precision where |z-| << z+.

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

    def propagate(self, layer, positive, negative, y, relevance):
        inputs = [positive] if negative is None else [positive, negative]
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(inputs)
            kept = [_call(layer, positive, _positive, _positive)]
            dropped = [_call(layer, positive, _negative, _negative)] if self.beta else []
            if negative is not None:
                kept.append(_call(layer, negative, _negative))
                dropped += [_call(layer, negative, _positive)] if self.beta else []
        upstreams = [self._divide(relevance, tf.add_n(kept), self.alpha, 1.0)] * len(kept)
        if dropped:  # z+ >= 0, z- <= 0
            minus = self._divide(relevance, tf.add_n(dropped), -self.beta, -1.0)
            upstreams += [minus] * len(dropped)
        return _input_relevance(tape, kept + dropped, inputs, upstreams)


class ZPlus(AlphaBeta):
    """LRP-z+: alpha-beta with alpha = 1, beta = 0, R_j = sum_k z+_jk / stab(z+_k) R_k (the
    bias b+ is in the denominator, as in zennit).

    Work per layer (x >= 0): a forward pass for z+ (w+, b+), a backward pass through w+.

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

    Work per layer (x >= 0): a forward pass for z+ of alpha-beta, backward passes through
    w + gamma w+ and w + gamma w-. The denominators, sums of one sign, come from the layer's
    output z without loss: z + gamma z+ where z_k > 0, z + gamma (z - z+) where z_k < 0.

    References: Montavon et al., "Layer-Wise Relevance Propagation: An Overview", 2019,
    Sec. 10.2.1 (LRP-gamma); Andeol et al., "Learning domain invariant representations by joint
    Wasserstein distance minimization", 2021 (the generalisation to negative inputs).
    """

    def __init__(self, gamma: float = 0.25, stabilizer: float = 1e-6):
        super().__init__(stabilizer)
        self.gamma = _check_number("gamma", gamma)

    def propagate(self, layer, positive, negative, y, relevance):
        up, down = self._rho(_positive), self._rho(_negative)
        inputs = [positive] if negative is None else [positive, negative]
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(inputs)
            terms = [_call(layer, positive, up), _call(layer, positive, down)]
            if negative is not None:
                terms += [_call(layer, negative, down), _call(layer, negative, up)]
        plus = _call(layer, positive, _positive, _positive)
        if negative is not None:
            plus += _call(layer, negative, _negative)
        return _input_relevance(tape, terms, inputs, self._upstreams(y, plus, relevance) * (
            len(terms) // 2))

    def _rho(self, part):  # w -> w + gamma part(w)
        return lambda w: w + self.gamma * part(w)

    def _upstreams(self, y, plus, relevance) -> list:
        """[R / stab(z + gamma z+) where z > 0, R / stab(z + gamma (z - z+)) where z < 0]."""
        sign = tf.sign(y)
        falling = tf.minimum(y, 0.0)  # z where z < 0
        share = self._divide(relevance, y + self.gamma * (sign * plus + falling), sign=sign)
        return [tf.math.multiply_no_nan(share, tf.nn.relu(sign)),
                tf.math.multiply_no_nan(share, tf.nn.relu(-sign))]


class Flat(Reweighting):
    """LRP-flat: R_j = sum_k 1 / stab(n_k) R_k, n_k the number of inputs connected to output k:
    relevance is spread evenly over each output's receptive field, whatever the input values
    and weights (zennit's `Flat`: unit inputs and weights, no bias). Meant for the first layer.

    Work per layer: one backward pass through unit weights; n_k is counted on one image.

    References: Lapuschkin et al., "Unmasking Clever Hans predictors and assessing what machines
    really learn", Nature Communications 2019 (Methods: the flat rule).
    """

    def relevance(self, layer, x, y, relevance):
        ones = tf.ones_like(x)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(ones)
            spread = _call(layer, ones, tf.ones_like)
        count = _call(layer, ones[:1], tf.ones_like)  # the same for every image, >= 0
        return tape.gradient(spread, ones, self._divide(relevance, count, sign=1.0))


class ZBox(Reweighting):
    """LRP-z^B for inputs bounded by [low, high]: R_j = sum_k (x_j w_jk - l_j w+_jk - h_j w-_jk)
    / stab(sum_j (x_j w_jk - l_j w+_jk - h_j w-_jk)) R_k (the biases cancel, as in zennit).

    Work per layer: forward passes on the bounds (the x term's is the layer's output z),
    backward passes through w, w+ and w-.

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

    def relevance(self, layer, x, y, relevance):
        low, high = (tf.broadcast_to(tf.cast(bound, x.dtype), tf.shape(x))
                     for bound in (self.low, self.high))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([x, low, high])
            terms = [_call(layer, x, tf.identity), _call(layer, low, _positive, _positive),
                     _call(layer, high, _negative, _negative)]
        upstream = self._divide(relevance, y - terms[1] - terms[2])
        return _input_relevance(tape, terms, [x, low, high], [upstream, -upstream, -upstream])
