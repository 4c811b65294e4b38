"""LRP rules and composites: hand-computed relevances (numpy, rule by rule), conservation, the
rule each composite gives each layer, and the conventions that differ from zennit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.explain import lrp_composites as composites
from cnn_explain_tf.explain import lrp_rules as rules
from cnn_explain_tf.validation import InputError

S = 1e-6  # the stabiliser of every rule below (zennit's default)


# --- numpy references: one function per rule formula, x (J,), W (J, K), b (K,), R (K,) -> (J,)

def stab(z, s=S):
    return z + s * np.where(z >= 0, 1.0, -1.0)


def np_epsilon(x, W, b, R, eps=S):
    z = x[:, None] * W
    return (z / stab(z.sum(0) + b, eps) * R).sum(1)


def np_alpha_beta(x, W, b, R, alpha, beta):
    xp, xn = np.maximum(x, 0)[:, None], np.minimum(x, 0)[:, None]
    Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
    kept, dropped = xp * Wp + xn * Wn, xp * Wn + xn * Wp
    ratio = (alpha * kept / stab(kept.sum(0) + np.maximum(b, 0))
             - beta * dropped / stab(dropped.sum(0) + np.minimum(b, 0)))
    return (ratio * R).sum(1)


def np_zplus(x, W, b, R):
    return np_alpha_beta(x, W, b, R, 1.0, 0.0)


def np_gamma(x, W, b, R, gamma=0.25):
    xp, xn = np.maximum(x, 0)[:, None], np.minimum(x, 0)[:, None]
    up, down = W + gamma * np.maximum(W, 0), W + gamma * np.minimum(W, 0)
    rise, fall = xp * up + xn * down, xp * down + xn * up
    y = x @ W + b
    ratio = np.where(y > 0, rise / stab(rise.sum(0) + b + gamma * np.maximum(b, 0)),
                     np.where(y < 0, fall / stab(fall.sum(0) + b + gamma * np.minimum(b, 0)), 0))
    return (ratio * R).sum(1)


def np_flat(connected, R):
    return (connected / stab(connected.sum(0)) * R).sum(1)


def np_zbox(x, W, R, low=0.0, high=1.0):
    z = x[:, None] * W - low * np.maximum(W, 0) - high * np.minimum(W, 0)
    return (z / stab(z.sum(0)) * R).sum(1)


# --- tiny models and their weights as numpy matrices

def dense_model():
    """(2, 2, 1) -> Flatten -> d1 (4, ReLU) -> d2 (3, linear: negative inputs for the head)
    -> head (2), all with biases of both signs."""
    rng = np.random.default_rng(7)
    inputs = keras.Input((2, 2, 1))
    x = keras.layers.Flatten()(inputs)
    for name, units, activation in (("d1", 4, "relu"), ("d2", 3, None), ("head", 2, None)):
        layer = keras.layers.Dense(units, activation=activation, name=name)
        x = layer(x)
        layer.set_weights([rng.normal(size=layer.kernel.shape).astype(np.float32),
                           rng.normal(scale=0.3, size=units).astype(np.float32)])
    return keras.Model(inputs, x)


def conv_model():
    """(4, 4, 1) -> Conv2D (2 filters, 3x3, 'same', ReLU, biases) -> Flatten -> head (2)."""
    rng = np.random.default_rng(8)
    inputs = keras.Input((4, 4, 1))
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv")
    head = keras.layers.Dense(2, name="head")
    model = keras.Model(inputs, head(keras.layers.Flatten()(conv(inputs))))
    conv.set_weights([rng.normal(size=(3, 3, 1, 2)).astype(np.float32),
                      np.array([0.2, -0.1], np.float32)])
    head.set_weights([rng.normal(size=(32, 2)).astype(np.float32),
                      np.array([0.1, -0.2], np.float32)])
    return model


def unfold(kernel, size=4):
    """The (size^2, size^2 x filters) matrix of a 'same' 3x3 one-channel convolution, outputs
    in Flatten's (row, column, filter) order."""
    filters = kernel.shape[-1]
    matrix = np.zeros((size * size, size * size * filters))
    for i in range(size):
        for j in range(size):
            for di in range(3):
                for dj in range(3):
                    r, c = i + di - 1, j + dj - 1
                    if 0 <= r < size and 0 <= c < size:
                        out = (i * size + j) * filters
                        matrix[r * size + c, out:out + filters] += kernel[di, dj, 0]
    return matrix


@pytest.fixture(scope="module")
def dense():
    """The dense model and two images; the head's input has negative values (the rules' x-
    terms run there), d1's and d2's do not (the rules skip the x- terms)."""
    model = dense_model()
    x = np.random.default_rng(0).random((2, 2, 2, 1), dtype=np.float32)
    head_input = keras.Model(model.input, model.get_layer("d2").output)(x).numpy()
    assert (head_input < 0).any() and (head_input > 0).any()
    return model, x


@pytest.fixture(scope="module")
def conv():
    model = conv_model()
    x = np.random.default_rng(1).random((2, 4, 4, 1), dtype=np.float32)
    return model, x


def ours(model, composite, x, targets):
    """Signed input relevance, flattened per image (one eager batch: no compile)."""
    explainer = composites.LRP(model, composite)
    relevance = explainer.attribution_batch(tf.constant(x), tf.constant(targets, tf.int32))
    return relevance.numpy().reshape(len(x), -1)


def weights(model, name):
    kernel, bias = model.get_layer(name).get_weights()
    return kernel.astype(np.float64), bias.astype(np.float64)


def dense_chain(model, image, target, first, middle, head, seed=None):
    """Hand LRP through dense_model: `head`, `middle` and `first` are the rules of head, d2 and
    d1, each (x, W, b, R) -> R_x; the output relevance is the target logit (or `seed`)."""
    (W1, b1), (W2, b2), (W3, b3) = (weights(model, n) for n in ("d1", "d2", "head"))
    x = image.reshape(-1).astype(np.float64)
    a1 = np.maximum(x @ W1 + b1, 0)
    a2 = a1 @ W2 + b2
    logits = a2 @ W3 + b3
    R = np.eye(len(logits))[target] * (logits[target] if seed is None else seed)
    return first(x, W1, b1, middle(a1, W2, b2, head(a2, W3, b3, R)))  # ReLU: relevance passes


UNIFORM = {  # rule -> its numpy formula, on every dense layer
    "epsilon": (rules.Epsilon(S), np_epsilon),
    "zplus": (rules.ZPlus(S), np_zplus),
    "alpha1_beta0": (rules.AlphaBeta(1.0, 0.0, S), np_zplus),
    "alpha2_beta1": (rules.AlphaBeta(2.0, 1.0, S),
                     lambda x, W, b, R: np_alpha_beta(x, W, b, R, 2.0, 1.0)),
    "gamma": (rules.Gamma(0.25, S), np_gamma),
}


@pytest.mark.parametrize("name", sorted(UNIFORM))
def test_dense_relevance_matches_the_rule_formula(dense, name):
    model, x = dense
    rule, formula = UNIFORM[name]
    targets = np.array([0, 1])
    got = ours(model, composites.uniform(rule, S), x, targets)
    for image, target, row in zip(x, targets, got):
        expected = dense_chain(model, image, target, formula, formula, formula)
        np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-6)


def test_epsilon_plus_flat_on_a_dense_net_is_flat_then_epsilon(dense):
    model, x = dense
    got = ours(model, composites.epsilon_plus_flat(S, S), x, [1, 0])

    def flat(inputs, W, b, R):
        return np_flat(np.ones_like(W), R)

    for image, target, row in zip(x, [1, 0], got):
        expected = dense_chain(model, image, target, flat, np_epsilon, np_epsilon)
        np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-6)


def conv_expected(model, image, target, first, head):
    """Hand LRP through conv_model with the conv unfolded into a matrix: `first(x, M, b,
    connected, R)` is the conv's rule, `head(x, W, b, R)` the head's."""
    kernel, bias = weights(model, "conv")
    M, connected = unfold(kernel), unfold(np.ones_like(kernel))
    b = np.tile(bias, 16)
    W, c = weights(model, "head")
    x = image.reshape(-1).astype(np.float64)
    a = np.maximum(x @ M + b, 0)
    logits = a @ W + c
    return first(x, M, b, connected, head(a, W, c, np.eye(2)[target] * logits[target]))


CONV = {  # explainer (registered name or composite) -> (conv rule, head rule) in numpy
    "lrp_zplus": (lambda x, M, b, n, R: np_zplus(x, M, b, R), np_zplus),
    "lrp_alpha_beta": (lambda x, M, b, n, R: np_alpha_beta(x, M, b, R, 2, 1),
                       lambda x, W, b, R: np_alpha_beta(x, W, b, R, 2, 1)),
    "lrp_gamma": (lambda x, M, b, n, R: np_gamma(x, M, b, R), np_gamma),
    "lrp_epsilon_plus_flat": (lambda x, M, b, n, R: np_flat(n, R), np_epsilon),
    "lrp_epsilon_gamma_box": (lambda x, M, b, n, R: np_zbox(x, M, R), np_epsilon),
    "lrp_epsilon_alpha2_beta1": (lambda x, M, b, n, R: np_alpha_beta(x, M, b, R, 2, 1),
                                 np_epsilon),
}


@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_relevance_matches_the_rule_formula(conv, name):
    """The registered explainers, compiled, on a conv net (flat counts only the in-bounds
    taps of the 'same' padding at the borders)."""
    model, x = conv
    first, head = CONV[name]
    got = cet.explain.get(name)(model).attributions(x, [0, 1]).reshape(len(x), -1)
    for image, target, row in zip(x, [0, 1], got):
        expected = conv_expected(model, image, target, first, head)
        np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-6)


def bias_free_network():
    """Conv, max pooling, depthwise conv, BN without shift, a residual Add, average pooling,
    a 1x1 conv, GAP and a dense head, all without biases."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    y = keras.layers.BatchNormalization(center=False)(y)
    x = keras.layers.Add()([x, keras.layers.ReLU()(y)])
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(6, 1, use_bias=False, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, use_bias=False, activation="softmax")(x))


CONSERVING = {"zplus": composites.uniform(rules.ZPlus(S)),
              "gamma": composites.uniform(rules.Gamma(0.25, S)),
              "epsilon_plus": composites.epsilon_plus(),
              "epsilon_plus_flat": composites.epsilon_plus_flat(),
              "epsilon_gamma_box": composites.epsilon_gamma_box()}


@pytest.mark.parametrize("name", sorted(CONSERVING))
def test_relevance_sums_to_the_logit_without_biases(name):
    model = bias_free_network()
    x = np.random.default_rng(2).random((2, 8, 8, 3), dtype=np.float32)
    logits = cet.graph.run(model, tf.constant(x))[1].numpy()
    relevance = ours(model, CONSERVING[name], x, [0, 2])
    np.testing.assert_allclose(relevance.sum(1), logits[[0, 1], [0, 2]], rtol=1e-4)


def test_alpha_beta_conserves_where_every_output_has_both_signs():
    """alpha - beta = 1 conserves relevance when every z+_k and z-_k is non-zero (mixed-sign
    weights on positive inputs); a one-signed layer keeps only alpha times it."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((2, 2, 1))
    model = keras.Model(inputs, keras.layers.Dense(3, use_bias=False)(
        keras.layers.Flatten()(inputs)))
    W = np.array([[1.0, -2, 0.5], [-1, 1, 1], [0.5, 0.5, -1], [2, -1, 1]], np.float32)
    model.layers[-1].set_weights([W])
    x = np.full((1, 2, 2, 1), 0.5, np.float32)
    logit = float((x.reshape(-1) @ W)[1])
    mixed = ours(model, composites.uniform(rules.AlphaBeta(2.0, 1.0, S)), x, [1])
    np.testing.assert_allclose(mixed.sum(), logit, rtol=1e-5)
    model.layers[-1].set_weights([np.abs(W)])
    positive = ours(model, composites.uniform(rules.AlphaBeta(2.0, 1.0, S)), x, [1])
    np.testing.assert_allclose(positive.sum(), 2 * (x.reshape(-1) @ np.abs(W))[1], rtol=1e-5)


def test_flat_and_zbox_conserve_despite_biases_zplus_does_not(conv):
    """Flat drops the biases and z-box cancels them: the first layer passes all its relevance
    down; z+ keeps the share of b+ (here on the conv alone, GAP on top)."""
    model, x = conv
    trunk = keras.Model(model.inputs, keras.layers.GlobalAveragePooling2D()(
        model.get_layer("conv").output))
    top = cet.graph.run(trunk, tf.constant(x))[1].numpy()[:, 0]
    for composite in (composites.Composite(((composites.CONVOLUTIONS, rules.Flat(S)),)),
                      composites.Composite(((composites.CONVOLUTIONS, rules.ZBox(0, 1, S)),))):
        np.testing.assert_allclose(ours(trunk, composite, x, [0, 0]).sum(1), top, rtol=1e-4)
    zplus = ours(trunk, composites.uniform(rules.ZPlus(S)), x, [0, 0]).sum(1)
    assert (zplus < top - 1e-3).all()  # filter 0 has bias +0.2, part of the relevance


def layer_zoo():
    """One layer of each kind, in this execution order."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv_a")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.MaxPooling2D(name="maxpool")(x)
    y = keras.layers.DepthwiseConv2D(1, name="depthwise")(x)
    x = keras.layers.Add(name="add")([x, y])
    x = keras.layers.AveragePooling2D(2, name="avgpool")(x)
    x = keras.layers.SeparableConv2D(4, 1, name="separable")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(5, activation="relu", name="dense_a")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(x))


ASSIGNED = {  # composite -> rule class of conv_a, depthwise, dense_a, head
    "epsilon_plus": (rules.ZPlus, rules.ZPlus, rules.Epsilon, rules.Epsilon),
    "epsilon_plus_flat": (rules.Flat, rules.ZPlus, rules.Epsilon, rules.Epsilon),
    "epsilon_alpha2_beta1": (rules.AlphaBeta, rules.AlphaBeta, rules.Epsilon, rules.Epsilon),
    "epsilon_alpha2_beta1_flat": (rules.Flat, rules.AlphaBeta, rules.Epsilon, rules.Epsilon),
    "epsilon_gamma_box": (rules.ZBox, rules.Gamma, rules.Epsilon, rules.Epsilon),
}


@pytest.mark.parametrize("name", sorted(ASSIGNED))
def test_each_layer_gets_the_rule_of_its_type_and_position(name):
    model = layer_zoo()
    composite = getattr(composites, name)()
    first = composite.first_layer(model)

    def rule(layer_name):
        layer = model.get_layer(layer_name)
        return composite.rule(layer, layer is first)

    got = tuple(type(rule(n)) for n in ("conv_a", "depthwise", "dense_a", "head"))
    assert got == ASSIGNED[name]
    if "alpha2" in name:
        assert (rule("depthwise").alpha, rule("depthwise").beta) == (2.0, 1.0)
    assert type(rule("bn")) is rules.Pass  # zennit: BatchNorm -> Pass (no canonizer)
    assert type(rule("add")) is rules.Epsilon and rule("add").epsilon == S  # zennit's Norm
    assert type(rule("avgpool")) is rules.Epsilon and rule("avgpool").epsilon == S
    assert type(rule("separable")) is rules.Epsilon  # two kernels: not reweighted
    assert rule("maxpool") is None and rule("flatten") is None  # plain gradient


def test_the_first_layer_is_the_first_matching_one_in_execution_order(dense):
    model, _ = dense
    assert composites.epsilon_plus_flat().first_layer(model) is model.get_layer("d1")
    assert composites.epsilon_gamma_box().first_layer(model) is None  # z-box: convs only
    types = [type(composites.epsilon_gamma_box().rule(model.get_layer(n))) for n in ("d1", "d2")]
    assert types == [rules.Epsilon, rules.Epsilon]


def test_uniform_epsilon_reproduces_lrp_epsilon():
    """The relevance convention (gradient = relevance) and LRPEpsilon's (relevance = input x
    gradient) give the same numbers with epsilon on every layer."""
    model = bias_free_network()
    x = np.random.default_rng(3).random((2, 8, 8, 3), dtype=np.float32)
    everything = composites.Composite((((keras.layers.Layer,), rules.Epsilon(1e-3)),))
    expected = cet.explain.LRPEpsilon(model, epsilon=1e-3).attributions(x, [1, 2])
    np.testing.assert_allclose(ours(model, everything, x, [1, 2]), expected.reshape(2, -1),
                               atol=1e-7)


def test_zennit_one_hot_relevance_is_ours_divided_by_the_logit(dense):
    """Convention: the output relevance is the target logit (as LRPEpsilon and captum); zennit
    starts from its attr_output, commonly one-hot, which scales every relevance by 1 / logit."""
    model, x = dense
    got = ours(model, composites.uniform(rules.ZPlus(S)), x, [0, 0])
    logits = model(x).numpy()[:, 0]
    for image, row, logit in zip(x, got, logits):
        zennit = dense_chain(model, image, 0, np_zplus, np_zplus, np_zplus, seed=1.0)
        np.testing.assert_allclose(row / logit, zennit, rtol=1e-4, atol=1e-6)


def test_batch_norm_passes_relevance_unlike_lrp_epsilon():
    """Convention: BN passes relevance unchanged (zennit's composites without a BN canonizer),
    so its shift absorbs nothing; LRPEpsilon gives BN the epsilon rule, and the shift takes a
    share."""
    keras.utils.set_random_seed(4)
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 3, use_bias=False, activation="relu")(inputs)
    bn = keras.layers.BatchNormalization()
    x = keras.layers.Flatten()(bn(x))
    model = keras.Model(inputs, keras.layers.Dense(2, use_bias=False)(x))
    bn.set_weights([np.ones(2), np.array([0.5, -0.3]), np.zeros(2), np.ones(2)])
    images = np.random.default_rng(4).random((1, 4, 4, 1), dtype=np.float32)
    logit = float(model(images)[0, 0])
    passing = ours(model, composites.uniform(rules.Epsilon(S)), images, [0]).sum()
    epsilon = cet.explain.LRPEpsilon(model, epsilon=S).attributions(images, 0).sum()
    np.testing.assert_allclose(passing, logit, atol=1e-4)  # conv outputs near 0 meet S
    assert abs(epsilon - logit) > 1e-2


def test_stabilizer_sign_of_zero_is_positive():
    z = tf.constant([-2.0, 0.0, -0.0, 3.0, -1e-30])
    np.testing.assert_array_equal(rules.stabilize(z, 0.5).numpy(), [-2.5, 0.5, 0.5, 3.5, -0.5])


def test_explainer_maps_are_the_positive_relevance(conv):
    model, x = conv
    explainer = cet.explain.get("lrp_epsilon_plus_flat")(model)
    relevance = explainer.attributions(x, [0, 1]).sum(-1)
    positive = np.maximum(relevance, 0)
    expected = positive / positive.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(explainer(x, [0, 1]), expected, atol=1e-5)


@pytest.mark.parametrize("build, message", [
    (lambda: rules.AlphaBeta(1.0, 1.0), "alpha, beta: expected alpha - beta = 1"),
    (lambda: rules.AlphaBeta(-1.0, -2.0), "alpha: expected a number >= 0, got -1.0"),
    (lambda: rules.Gamma(-0.5), "gamma: expected a number >= 0, got -0.5"),
    (lambda: rules.Epsilon("big"), "epsilon: expected a number >= 0, got 'big'"),
    (lambda: rules.ZBox(1.0, 0.0), "low, high: expected low <= high"),
])
def test_bad_rule_parameters_are_refused(build, message):
    with pytest.raises(InputError, match=message):
        build()
