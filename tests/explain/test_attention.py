"""Attention rollout and gradient x attention: hand-computed cases, numpy references, contract."""

import numpy as np
import pytest
from helpers import classifier, images, weights_of
from vit_reference import SIZE, grid_map, manual_forward, tiny_vit

import cnn_explain_tf as cet
from cnn_explain_tf.explain import attention
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def vit():
    return tiny_vit()


def numpy_rollout(attentions):
    rollout = None
    for weights in attentions:
        mixed = 0.5 * weights.mean(axis=1) + 0.5 * np.eye(weights.shape[-1])
        mixed /= mixed.sum(axis=-1, keepdims=True)
        rollout = mixed if rollout is None else mixed @ rollout
    return rollout


def numpy_gradient_rollout(attentions, gradients):
    relevance = np.broadcast_to(np.eye(attentions[0].shape[-1]), attentions[0].shape[:1] +
                                attentions[0].shape[2:])
    for weights, grads in zip(attentions, gradients):
        relevance = relevance + np.maximum(grads * weights, 0.0).mean(axis=1) @ relevance
    return relevance


def test_rollout_of_a_hand_made_layer_adds_the_residual_identity():
    swap = np.array([[[[0.0, 1.0], [1.0, 0.0]]]], np.float32)  # (B=1, heads=1, 2, 2)
    np.testing.assert_allclose(attention.attention_rollout([swap]), [[[0.5, 0.5], [0.5, 0.5]]])
    # two layers: (0.5 I + 0.5 S)(0.5 I + 0.5 S) = 0.5 I + 0.5 S again, since S S = I
    np.testing.assert_allclose(attention.attention_rollout([swap, swap]), [[[0.5, 0.5],
                                                                            [0.5, 0.5]]])
    heads = np.array([[np.eye(2), [[0.0, 1.0], [1.0, 0.0]]]], np.float32)  # averaged: 0.5 each
    np.testing.assert_allclose(attention.attention_rollout([heads]), [[[0.75, 0.25],
                                                                       [0.25, 0.75]]])


def test_gradient_rollout_of_a_hand_made_layer():
    weights = np.full((1, 1, 2, 2), 0.5, np.float32)
    grads = np.array([[[[2.0, -2.0], [0.0, 4.0]]]], np.float32)
    # A_bar = relu(g * A) = [[1, 0], [0, 2]]; R = I + A_bar I
    np.testing.assert_allclose(attention.gradient_attention_rollout([weights], [grads]),
                               [[[2.0, 0.0], [0.0, 3.0]]])


@pytest.mark.parametrize("pooling, registers", [("class", 1), ("mean", 2)])
def test_both_methods_match_numpy_on_the_same_attention_matrices(pooling, registers):
    model = tiny_vit(pooling, registers)
    prefix = registers + (pooling == "class")
    x = images(4, size=SIZE, seed=8)
    targets = np.array([0, 1, 2, 3], np.int32)
    attentions, gradients, logits = manual_forward(model, x, targets, prefix, pooling)
    np.testing.assert_allclose(logits, np.array(model(x)), atol=1e-5)

    def row(relations):
        return relations[:, 0] if pooling == "class" else relations[:, prefix:].mean(axis=1)

    rollout = attention.AttentionRollout(model)(x)
    assert np.abs(rollout - grid_map(row(numpy_rollout(attentions)), prefix)).max() <= 1e-5
    weighted = attention.GradientAttention(model)(x, targets)
    expected = grid_map(row(numpy_gradient_rollout(attentions, gradients)), prefix)
    # Mean pooling: each patch column gets 1/16 from the identity and only ~4e-4 of spread from
    # the gradients, so min-max scaling magnifies float32 rounding about 150 times.
    assert np.abs(weighted - expected).max() <= (1e-5 if pooling == "class" else 2e-4)


def test_the_capture_returns_the_models_own_output_and_leaves_it_unchanged(vit):
    before = weights_of(vit)
    x = images(3, size=SIZE)
    capture = attention.AttentionCapture(vit)
    weights, logits = capture.forward(vit, x)
    np.testing.assert_allclose(np.array(logits), np.array(vit(x)), atol=1e-5)
    assert [w.shape for w in weights] == [(3, 2, 18, 18)] * 2
    np.testing.assert_allclose(np.array(weights[0]).sum(axis=-1), 1.0, atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(vit)))


@pytest.mark.parametrize("name", ["attention_rollout", "gradient_attention"])
def test_the_contract_on_a_vit(vit, name):
    explainer = cet.explain.base.REGISTRY[name](vit, batch_size=2)
    x = images(5, size=SIZE)
    maps = explainer(x)
    assert maps.shape == (5, SIZE, SIZE) and maps.dtype == np.float32
    assert np.all(np.isfinite(maps)) and maps.min() >= 0.0 and maps.max() <= 1.0
    np.testing.assert_allclose(explainer(x[:1]), maps[:1], atol=1e-6)


def test_rollout_ignores_the_class_and_gradient_attention_follows_it(vit):
    x = images(2, size=SIZE, seed=9)
    rollout = attention.AttentionRollout(vit)
    np.testing.assert_array_equal(rollout(x, targets=0), rollout(x, targets=3))
    weighted = attention.GradientAttention(vit)
    assert np.abs(weighted(x, targets=0) - weighted(x, targets=3)).max() > 0.05


def test_a_model_without_attention_is_refused():
    with pytest.raises(InputError, match="model: expected a transformer with "
                                         "keras.layers.MultiHeadAttention layers, model 'flat'"):
        attention.AttentionRollout(classifier())


def test_a_keras_hub_vit_is_read_through_its_expanded_blocks():
    keras_hub = pytest.importorskip("keras_hub")
    pytest.importorskip("cnn_explain_tf.models.hub")  # expands the ViT blocks for graph.run
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(4)
    backbone = keras_hub.models.ViTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=2,
                                            num_heads=2, hidden_dim=16, mlp_dim=32)
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras_hub.models.ViTImageClassifier(
        backbone=backbone, num_classes=3, preprocessor=None)(inputs))
    assert cet.explain.GradCAM(model).layer.path.endswith("transformer_block_2/ln_1")
    x = images(2, size=32)
    layers = attention.AttentionCapture(model).layers
    tapped, _ = cet.graph.run(model, tf.constant(x), taps=layers)  # (output, weights) pairs
    expected = numpy_rollout([np.array(pair[1]) for pair in tapped])[:, 0, 1:]
    expected = tf.image.resize(expected.reshape(2, 4, 4, 1), (32, 32))[..., 0].numpy()
    low, high = expected.min(axis=(1, 2), keepdims=True), expected.max(axis=(1, 2), keepdims=True)
    maps = attention.AttentionRollout(model)(x)
    assert np.abs(maps - (expected - low) / (high - low)).max() <= 1e-5
