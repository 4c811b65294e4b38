"""Tests for the PV decoder, its truncated-classifier encoder and the PV losses."""

import helpers
import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.models import pv_decoder
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize(("latent", "output", "blocks"), [
    ((2, 2, 2048), (64, 64, 3), 5),    # ResNet50 conv5_block3_out at 64x64
    ((7, 7, 16), (224, 224, 3), 5),    # ResNet50 at 224x224 (channels cut to keep the test light)
    ((1, 1, 8), (28, 28, 1), 5),       # stride that is not a power of two: resized to 28x28
    ((8, 8, 4), (8, 8, 1), 0),         # no upsampling at all
    ((4, 2, 8), (32, 16, 3), 3),       # non-square
])
def test_decoder_output_shape_and_block_count(latent, output, blocks):
    decoder = cet.models.build_pv_decoder(latent, output, width=8)
    transposed = [layer for layer in decoder.layers
                  if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert decoder.output_shape == (None, *output)
    assert len(transposed) == blocks == pv_decoder.upsampling_blocks(latent[:2], output[:2])
    assert not any(isinstance(layer, (keras.layers.Add, keras.layers.Concatenate))
                   for layer in decoder.layers)  # no skip connections
    images = decoder(np.random.default_rng(0).random((2, *latent), np.float32)).numpy()
    assert images.min() >= 0 and images.max() <= 1


def test_decoder_blocks_follow_the_paper_layout():
    decoder = cet.models.build_pv_decoder((2, 2, 32), (8, 8, 3), width=16, min_width=4,
                                         convs_per_block=2)
    kinds = [type(layer).__name__ for layer in decoder.layers[1:7]]
    assert kinds == ["Conv2DTranspose", "BatchNormalization", "Conv2D", "LeakyReLU", "Conv2D",
                     "LeakyReLU"]
    assert decoder.get_layer("block1_upsample").activation is keras.activations.linear
    assert decoder.get_layer("block1_lrelu1").negative_slope == pytest.approx(0.2)
    assert decoder.get_layer("block2_upsample").filters == 8


@pytest.mark.parametrize(("nested", "layer", "latent"), [
    (False, "conv1", (16, 16, 6)), (True, "conv3", (8, 8, 8)), (True, "add", (8, 8, 6))])
def test_encoder_truncates_flat_and_nested_models(nested, layer, latent):
    model = helpers.classifier(16, nested=nested)
    encoder = cet.models.ClassifierEncoder(model, layer)
    assert encoder.latent_shape == latent
    decoder = cet.models.build_pv_decoder(encoder.latent_shape, (16, 16, 3), width=8)
    assert decoder(encoder(tf.constant(helpers.images(3, 16)))).shape == (3, 16, 16, 3)


def test_encoder_of_nested_zoo_resnet50_uses_conv5_block3_out():
    model = cet.models.zoo.build("resnet50", (32, 32, 3), num_classes=3)
    encoder = cet.models.ClassifierEncoder(model)
    assert encoder.layer.name == "conv5_block3_out"
    assert encoder.latent_shape == (1, 1, 2048)


def test_ssim_matches_tf_image_ssim_and_is_minimal_for_identical_images():
    x = helpers.images(4, 16, seed=1)
    noisy = np.clip(x + np.random.default_rng(2).normal(0, 0.2, x.shape), 0, 1).astype("float32")
    ours = cet.models.ssim_per_channel(x, noisy).numpy().mean(axis=1)
    np.testing.assert_allclose(ours, tf.image.ssim(x, noisy, max_val=1.0).numpy(), atol=1e-5)
    assert np.allclose(cet.models.ssim_loss(x, x).numpy(), 0.0, atol=1e-6)
    assert np.all(cet.models.ssim_loss(x, noisy).numpy() > 0.1)
    assert cet.models.ssim_per_channel(x[:, :6, :6], noisy[:, :6, :6]).shape == (4, 3)


def test_loss_terms_vanish_when_the_reconstruction_is_the_input():
    model = helpers.classifier(16, nested=True)
    encoder = cet.models.ClassifierEncoder(model, "conv3")
    x = tf.constant(helpers.images(3, 16))
    terms = cet.models.perception_loss(encoder, x, x, encoder(x))
    for name in ("loss", "mse", "ssim_loss", "dsim"):
        np.testing.assert_allclose(terms[name].numpy(), 0.0, atol=1e-6)
    other = cet.models.perception_loss(encoder, x, tf.reverse(x, [1]), encoder(x))
    assert np.all(other["dsim"].numpy() > 0)
    expected = 0.2 * other["mse"] + 0.4 * other["ssim_loss"] + 0.4 * other["dsim"]
    np.testing.assert_allclose(other["loss"].numpy(), expected.numpy(), rtol=1e-6)


def test_bad_shapes_and_layers_are_refused_with_the_argument_named():
    with pytest.raises(InputError, match=r"latent_shape: expected \(height, width, channels\)"):
        cet.models.build_pv_decoder((2, 2), (8, 8, 3))
    with pytest.raises(InputError, match="width: expected an int >= 1, got 0"):
        cet.models.build_pv_decoder((2, 2, 4), (8, 8, 3), width=0)
    model = helpers.classifier(16, nested=True)
    with pytest.raises(InputError, match="layer: expected the name of a layer.*candidates.*conv3"):
        cet.models.ClassifierEncoder(model, "conv5_block3_out")
    with pytest.raises(InputError, match="layer: expected a layer with a 4-D output"):
        cet.models.ClassifierEncoder(model, "gap")
