"""LRP-epsilon: relevance is conserved layer to layer on a bias-free net with every layer type."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf import graph


def bias_free_network():
    """Conv, depthwise conv, BN (no shift), max and average pooling, a residual Add, GAP, Flatten
    and Dense, all without biases, so relevance must be conserved exactly as epsilon -> 0."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", use_bias=False, activation="relu",
                            name="conv")(inputs)
    x = keras.layers.MaxPooling2D(2, name="maxpool")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="depthwise")(x)
    y = keras.layers.BatchNormalization(center=False, name="bn")(y)
    y = keras.layers.ReLU(name="relu")(y)
    x = keras.layers.Add(name="add")([x, y])
    x = keras.layers.AveragePooling2D(2, name="avgpool")(x)
    x = keras.layers.Conv2D(8, 1, use_bias=False, activation="relu", name="pointwise")(x)
    flat = keras.layers.Flatten(name="flatten")(x)
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Concatenate(name="concat")([flat, pooled])
    outputs = keras.layers.Dense(4, use_bias=False, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs)
    bn = model.get_layer("bn")
    bn.set_weights([np.linspace(0.5, 1.5, 6, dtype=np.float32), np.zeros(6, np.float32),
                    np.linspace(0.8, 1.2, 6, dtype=np.float32)])
    return model


@pytest.fixture(scope="module")
def network():
    return bias_free_network()


def test_input_relevance_sums_to_the_target_logit(network):
    x = np.random.default_rng(0).random((3, 12, 12, 3), dtype=np.float32)
    _, logits = graph.run(network, tf.constant(x))
    targets = np.array([0, 2, 3])
    relevance = cet.explain.LRPEpsilon(network, epsilon=1e-9).attributions(x, targets)
    expected = np.take_along_axis(logits.numpy(), targets[:, None], axis=1)[:, 0]
    np.testing.assert_allclose(relevance.sum(axis=(1, 2, 3)), expected, rtol=1e-4)


def layer_relevances(network, x, names, target):
    """Relevance summed over each named layer's output: activation * LRP-modified gradient."""
    rules = cet.explain.LRPEpsilon(network, epsilon=1e-9).rules
    with tf.GradientTape() as tape:
        layers = [network.get_layer(name) for name in names]
        taps, logits = graph.run(network, tf.constant(x), taps=layers, rules=rules)
        score = tf.reduce_sum(logits[:, target])
    gradients = tape.gradient(score, taps)
    totals = {name: tf.reduce_sum(a * g, axis=list(range(1, len(a.shape)))).numpy()
              for name, a, g in zip(names, taps, gradients)}
    return totals, logits[:, target].numpy()


def test_relevance_is_conserved_from_layer_to_layer(network):
    x = np.random.default_rng(1).random((2, 12, 12, 3), dtype=np.float32)
    names = ["conv", "maxpool", "depthwise", "bn", "relu", "add", "avgpool", "pointwise", "flatten",
             "gap", "concat"]
    totals, logit = layer_relevances(network, x, names, target=1)
    for name in ["conv", "maxpool", "add", "avgpool", "pointwise", "concat"]:  # the main path
        np.testing.assert_allclose(totals[name], logit, rtol=1e-4, err_msg=name)
    for name in ["bn", "relu"]:  # inside the residual branch, conserved along the branch
        np.testing.assert_allclose(totals[name], totals["depthwise"], rtol=1e-4, err_msg=name)
    np.testing.assert_allclose(totals["flatten"] + totals["gap"], logit, rtol=1e-4)  # parallel cut
    assert not np.allclose(totals["depthwise"], logit, rtol=1e-2)  # the branch holds only a share


def test_epsilon_absorbs_relevance(network):
    x = np.random.default_rng(2).random((2, 12, 12, 3), dtype=np.float32)
    exact = np.abs(cet.explain.LRPEpsilon(network, epsilon=1e-9).attributions(x, 0).sum((1, 2, 3)))
    damped = np.abs(cet.explain.LRPEpsilon(network, epsilon=1.0).attributions(x, 0).sum((1, 2, 3)))
    assert (damped < exact).all()


def test_negative_epsilon_is_refused(network):
    with pytest.raises(ValueError, match="epsilon: expected a value >= 0, got -1"):
        cet.explain.LRPEpsilon(network, epsilon=-1)
