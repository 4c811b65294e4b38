"""keras-hub ViT, DeiT, DINOv2 encoders entered by graph.run: same outputs, token/attention taps."""

import numpy as np
import pytest
import tensorflow as tf

keras_hub = pytest.importorskip("keras_hub")

import cnn_explain_tf as cet  # noqa: E402
from cnn_explain_tf import graph  # noqa: E402
from cnn_explain_tf.explain.tokens import default_token_layer, prefix_tokens  # noqa: E402

SHAPE = (32, 32, 3)
M = keras_hub.models


@pytest.fixture(scope="module")
def vit():
    tf.keras.utils.set_random_seed(0)
    backbone = M.ViTBackbone(image_shape=SHAPE, patch_size=8, num_layers=2, num_heads=2,
                             hidden_dim=16, mlp_dim=32)
    return M.ViTImageClassifier(backbone=backbone, num_classes=3)


@pytest.fixture(scope="module")
def dinov2():
    tf.keras.utils.set_random_seed(0)
    return M.DINOV2Backbone(patch_size=8, num_layers=2, hidden_dim=16, num_heads=2,
                            intermediate_dim=32, num_register_tokens=2, image_shape=SHAPE,
                            position_embedding_shape=SHAPE)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).random((2, *SHAPE), dtype=np.float32)


def test_run_through_the_vit_encoder_gives_the_model_output(vit, x):
    _, out = graph.run(vit, tf.constant(x), linearize=False)
    np.testing.assert_allclose(out.numpy(), vit(x).numpy(), atol=1e-5)
    names = [info.name for info in graph.list_layers(vit)]
    assert names.count("ln_1") == 2 and names.count("mha") == 2 and names.count("dense_1") == 2
    assert graph.list_layers(vit)[-3].name == "vit_encoder"  # the encoder itself, after its blocks


def test_attention_tap_gives_the_attention_probabilities(vit, x):
    mha = vit.backbone.get_layer("vit_encoder").encoder_layers[0].mha
    (tapped,), _ = graph.run(vit, tf.constant(x), taps=[mha])
    output, scores = tapped
    assert output.shape == (2, 17, 16) and scores.shape == (2, 2, 17, 17)
    np.testing.assert_allclose(scores.numpy().sum(axis=-1), 1.0, atol=1e-5)


def test_token_layer_reaches_the_patch_tokens(vit, x):
    """The class token alone feeds the head, so the last block's output has zero gradient on the
    16 patch tokens; its first layer norm (the default token layer) has not."""
    token_layer = default_token_layer(vit)
    assert token_layer is vit.backbone.get_layer("vit_encoder").encoder_layers[-1].layer_norm_1
    assert prefix_tokens(vit) == 1
    last = vit.backbone.get_layer("vit_encoder").layer_norm
    with tf.GradientTape() as tape:
        (tokens, final), logits = graph.run(vit, tf.constant(x), taps=[token_layer, last])
        score = tf.reduce_sum(logits[:, 0])
    token_gradients, final_gradients = tape.gradient(score, [tokens, final])
    assert np.abs(final_gradients[:, 1:].numpy()).max() == 0.0
    assert (np.abs(token_gradients[:, 1:].numpy()).sum(axis=-1) > 0).all()


@pytest.mark.parametrize("method", ["saliency", "guided_backprop", "integrated_gradients",
                                    "occlusion"])
def test_gradient_and_perturbation_methods_on_vit(vit, method, x):
    maps = cet.explain.get(method)(vit)(x)
    assert maps.shape == (2, 32, 32) and np.isfinite(maps).all()
    assert maps.min() >= 0.0 and maps.max() <= 1.0


def test_dinov2_with_registers(dinov2, x):
    _, out = graph.run(dinov2, tf.constant(x), linearize=False)
    np.testing.assert_allclose(out.numpy(), dinov2({"images": x}).numpy(), atol=1e-5)
    assert out.shape == (2, 1 + 2 + 16, 16) and prefix_tokens(dinov2) == 3
    assert default_token_layer(dinov2) is dinov2.encoder.layers[-1].norm1
    layer = default_token_layer(dinov2)
    assert any(info.layer is layer for info in graph.list_layers(dinov2))
    maps = cet.explain.get("saliency")(dinov2)(x, targets=lambda out: tf.reduce_sum(out[:, 0], 1))
    assert maps.shape == (2, 32, 32) and np.isfinite(maps).all()


def test_deit_classifier_with_its_distillation_token(x):
    tf.keras.utils.set_random_seed(0)
    backbone = M.DeiTBackbone(image_shape=SHAPE, patch_size=8, num_layers=2, num_heads=2,
                              hidden_dim=16, intermediate_dim=32)
    model = M.DeiTImageClassifier(backbone=backbone, num_classes=3)
    _, out = graph.run(model, tf.constant(x), linearize=False)
    np.testing.assert_allclose(out.numpy(), model(x).numpy(), atol=1e-5)
    assert prefix_tokens(model) == 2
    token_layer = default_token_layer(model)
    assert token_layer is backbone.get_layer("deit_encoder").encoder_layers[-1].layer_norm_1
    (tokens,), _ = graph.run(model, tf.constant(x), taps=[token_layer])
    assert tokens.shape == (2, 2 + 16, 16)
    maps = cet.explain.get("guided_backprop")(model)(x)
    assert maps.shape == (2, 32, 32) and np.isfinite(maps).all()
