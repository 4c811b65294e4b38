"""Tests for the Perception Visualization probe: Eq. 2, the Grad-CAM default, nested models."""

import helpers
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.probes import perception_visualization
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def nested():
    """A nested classifier and a decoder that inverts it at the inner layer 'conv3' (8x8x8)."""
    model = helpers.classifier(16, nested=True)
    return model, cet.models.build_pv_decoder((8, 8, 8), (16, 16, 3), width=8)


def left_half(images, targets):
    """A saliency map that is 1 on the left half of the image and 0 on the right half."""
    columns = tf.range(tf.shape(images)[2]) < tf.shape(images)[2] // 2
    return tf.broadcast_to(tf.cast(columns, tf.float32), tf.shape(images)[:3])


def test_pv_is_white_where_m_is_0_and_the_reconstruction_where_m_is_1(nested):
    model, decoder = nested
    pv, reconstructions = cet.probes.PerceptionVisualization(
        model, decoder, layer="conv3", saliency=left_half)(helpers.images(3, 16))
    np.testing.assert_allclose(pv[:, :, :8], reconstructions[:, :, :8], atol=1e-6)
    np.testing.assert_allclose(pv[:, :, 8:], 1.0)


def test_eq2_blends_linearly():
    maps = np.array([[[0.0, 0.25], [0.5, 1.0]]], np.float32)
    y = np.full((1, 2, 2, 3), 0.2, np.float32)
    pv = perception_visualization(maps, y).numpy()
    np.testing.assert_allclose(pv[0, :, :, 0], [[1.0, 0.8], [0.6, 0.2]], atol=1e-6)


def test_default_gradcam_saliency_on_a_nested_model(nested):
    model, decoder = nested
    images = helpers.images(5, 16)
    explainer = cet.probes.PerceptionVisualization(model, decoder, layer="conv3", batch_size=2)
    pv, reconstructions = explainer(images, targets=1)
    expected = decoder(cet.models.ClassifierEncoder(model, "conv3")(images)).numpy()
    np.testing.assert_allclose(reconstructions, expected, atol=1e-5)
    maps = cet.explain.GradCAM(model)(images, targets=1)[..., None]
    np.testing.assert_allclose(pv, (1 - maps) + maps * expected, atol=1e-5)
    assert pv.shape == (5, 16, 16, 3) and pv.min() >= 0 and pv.max() <= 1


def test_pv_is_not_a_registered_heat_map_explainer():
    assert not {"perception", "perception_visualization", "fill_in_the_blanks"} & set(
        cet.explain.names())


def test_decoder_that_does_not_match_is_refused(nested):
    model, _ = nested
    wrong_size = cet.models.build_pv_decoder((8, 8, 8), (32, 32, 3), width=8)
    with pytest.raises(InputError, match=r"decoder: expected a model whose output matches the "
                                         r"images \(16, 16, 3\), got output shape \(32, 32, 3\)"):
        cet.probes.PerceptionVisualization(model, wrong_size, layer="conv3")
    wrong_latent = cet.models.build_pv_decoder((4, 4, 8), (16, 16, 3), width=8)
    with pytest.raises(InputError, match=r"decoder: expected a model taking latents of shape "
                                         r"\(8, 8, 8\)"):
        cet.probes.PerceptionVisualization(model, wrong_latent, layer="conv3")


def test_missing_truncation_layer_lists_candidates(nested):
    model, decoder = nested
    with pytest.raises(InputError, match="layer: .*'conv5_block3_out'.*candidates are: .*conv3"):
        cet.probes.PerceptionVisualization(model, decoder)
