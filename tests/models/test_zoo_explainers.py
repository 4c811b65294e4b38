"""Every zoo architecture works with the explainers: conv layers found inside the nested base."""

import keras
import numpy as np
import pytest
from helpers import CNN_EXPLAINERS, cheap_explainer, images

import cnn_explain_tf as cet
from cnn_explain_tf.models import zoo

LITE = ["vgg_lite", "resnet_lite", "mobilenet_lite"]
DEEPER = ("resnet101", "resnet152", "densenet169", "densenet201")
"""Deeper members of the ResNet and DenseNet families (same code path as resnet50 and
densenet121): run with `pytest -m slow`."""
APPLICATIONS = [pytest.param(arch, marks=pytest.mark.slow) if arch in DEEPER else arch
                for arch in zoo.list_archs("application")]


def check_maps(model, names, size):
    x = images(2, size=size, channels=1)
    for name in names:
        maps = cheap_explainer(name, model)(x)
        assert maps.shape == (2, size, size) and np.isfinite(maps).all(), name
        assert maps.min() >= 0 and maps.max() <= 1, name


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
@pytest.mark.parametrize("arch", LITE)
def test_lite_nets_work_with_every_explainer(arch):
    model = zoo.build(arch, (16, 16, 1), 3)
    assert len(cet.graph.conv_layers(model)) >= 8
    check_maps(model, CNN_EXPLAINERS, 16)
    assert cet.cgma.compute_cgma(model, images(1, channels=1), k=8).shape == (1, 16, 16, 8)


@pytest.mark.parametrize("arch", APPLICATIONS)
def test_applications_find_their_conv_layers_and_explain(arch):
    model = zoo.build(arch, (16, 16, 1), 3)
    convs = cet.graph.conv_layers(model)
    base = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    assert len(convs) >= 13 and all(base.get_layer(info.name) is info.layer for info in convs)
    check_maps(model, ["gradcam"], 16)


@pytest.mark.slow
@pytest.mark.parametrize("arch", APPLICATIONS)
def test_applications_work_with_every_explainer(arch):
    check_maps(zoo.build(arch, (16, 16, 1), 3), CNN_EXPLAINERS, 16)
