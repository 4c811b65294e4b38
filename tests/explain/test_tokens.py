"""CAMs on token layers: Grad-CAM on a ViT against numpy, the reshape argument, the layer choice."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images, weights_of
from vit_reference import DIM, GRID, SIZE, bilinear, min_max, tiny_vit

import cnn_explain_tf as cet
from cnn_explain_tf.explain import tokens
from cnn_explain_tf.models.vit import build_vit
from cnn_explain_tf.validation import InputError

PREFIX = 2  # one class token, one register token


@pytest.fixture(scope="module")
def vit():
    return tiny_vit()


def numpy_gradcam(vit, x, layer_name, targets):
    """Grad-CAM by hand: a two-output Keras model gives the layer's tokens and their
    gradients; the class and register tokens are dropped, the rest reshaped to the 4x4 grid,
    weighted by the mean gradient, ReLU, bilinear upsampling, min-max scaling."""
    extractor = keras.Model(vit.inputs, [vit.get_layer(layer_name).output, vit.output])
    with tf.GradientTape() as tape:
        activations, logits = extractor(tf.constant(x))
        scores = tf.gather(logits, targets, batch_dims=1)
    gradients = tape.gradient(scores, activations).numpy()
    a = activations.numpy()[:, PREFIX:].reshape(len(x), GRID, GRID, -1)
    g = gradients[:, PREFIX:].reshape(len(x), GRID, GRID, -1)
    cam = np.maximum(np.einsum("bhwk,bk->bhw", a, g.mean(axis=(1, 2))), 0.0)
    return min_max(bilinear(cam, SIZE))


def test_the_default_layer_of_a_vit_is_the_last_blocks_norm1(vit):
    assert cet.explain.GradCAM(vit).layer.name == "block2_norm1"
    assert tokens.default_token_layer(vit).name == "block2_norm1"
    assert tokens.default_token_layer(classifier()) is None  # a CNN keeps its last conv layer
    assert cet.explain.GradCAM(classifier()).layer.name == "conv3"


@pytest.mark.parametrize("layer", [None, "block1_add2", "block1_mlp1"])
def test_gradcam_on_tokens_matches_a_numpy_reshape_and_cam(vit, layer):
    x = images(4, size=SIZE, seed=5)
    predicted = np.argmax(np.array(vit(x)), axis=1).astype(np.int32)
    maps = cet.explain.GradCAM(vit, layer=layer)(x)
    expected = numpy_gradcam(vit, x, layer or "block2_norm1", predicted)
    assert maps.shape == (4, SIZE, SIZE)
    assert np.abs(maps - expected).max() <= 1e-5


def test_a_callable_reshape_gives_the_auto_reshape(vit):
    x = images(3, size=SIZE, seed=6)
    auto = cet.explain.GradCAM(vit)(x, targets=1)

    def reshape(tokens_):  # pytorch-grad-cam's reshape_transform, channels-last
        return tf.reshape(tokens_[:, PREFIX:], (-1, GRID, GRID, DIM))

    np.testing.assert_allclose(cet.explain.GradCAM(vit, reshape=reshape)(x, targets=1), auto,
                               atol=1e-6)


def test_after_the_last_attention_the_patch_tokens_get_no_gradient(vit):
    """Why the default stops before the last attention: the head reads the class token only."""
    x = images(2, size=SIZE, seed=7)
    assert np.all(cet.explain.GradCAM(vit, layer="final_norm")(x) == 0.0)
    assert np.all(cet.explain.GradCAM(vit, layer="block2_add2")(x) == 0.0)
    assert np.all(cet.explain.GradCAM(vit)(x).max(axis=(1, 2)) == 1.0)


def test_the_token_layout_is_read_from_the_model():
    assert tokens.token_layout(tiny_vit()) == (1, 1)
    assert tokens.token_layout(tiny_vit(pooling="mean", registers=2)) == (0, 2)
    cnn = classifier()
    assert tokens.token_layout(cnn) == (0, 0)
    cnn.num_register_tokens = 4  # DINOv2 declares registers only: one class token before them
    assert tokens.token_layout(cnn) == (1, 4) and tokens.prefix_tokens(cnn) == 5


def test_a_mean_pooled_vit_without_class_token_is_explained(vit):
    model = tiny_vit(pooling="mean", registers=2)
    maps = cet.explain.GradCAM(model)(images(2, size=SIZE))
    assert maps.shape == (2, SIZE, SIZE) and np.all(np.isfinite(maps))


@pytest.mark.parametrize("name", ["gradcam++", "hirescam", "xgradcam", "layercam", "eigencam",
                                  "scorecam", "guided_gradcam"])
def test_other_cams_run_on_the_token_layer(vit, name):
    before = weights_of(vit)
    options = {"scorecam": {"max_channels": 3}}.get(name, {})
    maps = cet.explain.get(name)(vit, **options)(images(2, size=SIZE))
    assert maps.shape == (2, SIZE, SIZE) and maps.min() >= 0.0 and maps.max() <= 1.0
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(vit)))


@pytest.mark.parametrize("reshape", ["square", 3, None])
def test_a_reshape_that_is_neither_auto_nor_callable_is_refused(vit, reshape):
    message = r"reshape: expected 'auto' or a callable mapping \(B, tokens, D\) to \(B, h, w, D\)"
    with pytest.raises(InputError, match=message):
        cet.explain.GradCAM(vit, reshape=reshape)


def test_auto_on_a_grid_that_is_not_square_names_the_layer_and_the_fix():
    model = build_vit((8, 12, 3), 3, dim=8, depth=1)  # 2 x 3 patches
    message = (r"reshape: 'auto' expects the patch tokens of 'block1_norm1' \(its tokens after "
               r"the model's 1 class/register tokens\) to form a square grid, got 7 tokens; "
               r"pass reshape=<callable")
    with pytest.raises(InputError, match=message):
        cet.explain.GradCAM(model)
    grid = cet.explain.GradCAM(model, reshape=lambda t: tf.reshape(t[:, 1:], (-1, 2, 3, 8)))
    assert grid(images(2, size=12)[:, :8]).shape == (2, 8, 12)


def test_a_callable_that_does_not_return_maps_is_refused_up_front(vit):
    with pytest.raises(InputError, match=r"reshape: expected the callable to return \(B, h, w, "
                                         r"D\) maps for 'block2_norm1', got shape \(1, 18, 8\)"):
        cet.explain.GradCAM(vit, reshape=lambda t: t)


def test_a_dense_head_is_still_refused(vit):
    with pytest.raises(InputError, match="got 'head' \\(Dense\\)"):
        cet.explain.GradCAM(vit, layer="head")
