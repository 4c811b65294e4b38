"""BaseCAM layers: several layers with an aggregation hook, typed errors for non-4-D layers."""

import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


@pytest.fixture(scope="module")
def model():
    return classifier(head="softmax", nested=True)


def test_several_layers_average_their_maps_by_default(model):
    x = images(3)
    singles = [cet.explain.GradCAM(model, layer=name)(x) for name in ("conv1", "conv3")]
    both = cet.explain.GradCAM(model, layer=["conv1", "conv3"])
    assert both.layer is None and [layer.name for layer in both.layers] == ["conv1", "conv3"]
    mean = (singles[0] + singles[1]) / 2
    low, high = mean.min(axis=(1, 2), keepdims=True), mean.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(both(x), (mean - low) / (high - low), atol=1e-5)


def test_the_aggregation_hook_chooses_how_layers_combine(model):
    class LastLayerCAM(cet.explain.GradCAM):
        def aggregate(self, cams):
            return cams[-1]

    x = images(2)
    np.testing.assert_allclose(LastLayerCAM(model, layer=["conv1", "conv2"])(x),
                               cet.explain.GradCAM(model, layer="conv2")(x), atol=1e-6)


def test_intermediate_gradcams_are_a_cam(model):
    extractor = cet.cgma.IntermediateGradCAMs.for_model(model)
    assert isinstance(extractor, cet.explain.BaseCAM)
    assert extractor is cet.cgma.IntermediateGradCAMs.for_model(model)  # cached per model
    x = images(2)
    cams = extractor.cams(x)
    assert cams.shape == (2, 16, 16, 3)
    expected = cet.explain.GradCAM(model, layer=["conv1", "conv2", "conv3"])(x)
    np.testing.assert_allclose(extractor(x), expected, atol=1e-6)  # the contract: (B, H, W)
    stacked = extractor.stacked_cams(tf.constant(x), tf.constant([-1, -1]))
    np.testing.assert_allclose(stacked.numpy(), cams, atol=1e-6)


@pytest.mark.parametrize("name", ["gradcam", "gradcam++", "scorecam", "guided_gradcam"])
def test_a_dense_layer_is_refused_up_front_with_a_typed_error(model, name):
    message = (r"layer: expected a layer with a 4-D output \(B, h, w, channels\), such as a "
               r"convolution, got 'head' \(Dense\) of model 'nested', whose output has rank 2")
    with pytest.raises(InputError, match=message):
        cet.explain.get(name)(model, layer="head")
    with pytest.raises(InputError, match="got 'gap' \\(GlobalAveragePooling2D\\)"):
        cet.explain.get(name)(model, layer=model.get_layer("gap"))


def test_a_bad_layer_in_a_list_is_named(model):
    with pytest.raises(InputError, match="got 'head' \\(Dense\\)"):
        cet.explain.GradCAM(model, layer=["conv1", "head"])
    with pytest.raises(InputError, match="layer: expected at least one layer"):
        cet.explain.GradCAM(model, layer=[])
