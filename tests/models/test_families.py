"""The study's model declarations and its 13 lite models: families, Grad-CAM layers, explainers."""

import inspect

import numpy as np
import pytest
from helpers import CHEAP_OPTIONS, CNN_EXPLAINERS, images

import cnn_explain_tf as cet
from cnn_explain_tf.models import families, zoo
from cnn_explain_tf.protocols.architectures import PAPER_METHODS

LITE_13 = [m.arch for m in families.MEMBERS if m.arch.endswith("_lite")]


def test_thirteen_lite_models_in_the_six_families_of_the_paper():
    assert len(LITE_13) == 13
    counts = {f: sum(families.member(a).family == f for a in LITE_13) for f in families.FAMILIES}
    assert counts == {"alexnet": 1, "inception": 1, "vgg": 3, "resnet": 3, "densenet": 3,
                      "squeezenet": 2}
    assert families.PAPER_LAYERS["resnet"] == "layer4"
    assert families.PAPER_LAYERS["inception"] == "Mixed_7c"


def test_an_undeclared_architecture_is_refused():
    with pytest.raises(ValueError, match="declared family and Grad-CAM layer.*got 'mobilenet'"):
        families.member("mobilenet")


def test_depth_variants_grow_inside_a_family():
    for family in ("vgg", "resnet", "densenet"):
        members = [a for a in LITE_13 if families.member(a).family == family]
        sizes = [zoo.build(a, (32, 32, 1), 10).count_params() for a in members]
        assert sizes == sorted(sizes) and len(set(sizes)) == 3, family


def check_explainers(arch, names):
    model = zoo.build(arch, (16, 16, 1), 3)
    layer = cet.graph.find_layer(model, families.member(arch).gradcam_layer)
    assert len(layer.output.shape) == 4
    x = images(2, size=16, channels=1)
    for name in names:
        factory = cet.explain.get(name)
        options = dict(CHEAP_OPTIONS.get(name, {}))
        if "layer" in inspect.signature(factory).parameters:
            options["layer"] = layer.name
        maps = factory(model, **options)(x)
        assert maps.shape == (2, 16, 16) and np.isfinite(maps).all(), name
        assert maps.min() >= 0 and maps.max() <= 1, name


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
@pytest.mark.parametrize("arch", LITE_13)
def test_lite_model_works_with_the_study_methods_at_its_declared_layer(arch):
    check_explainers(arch, (*PAPER_METHODS, "lrp_epsilon"))


@pytest.mark.slow
@pytest.mark.parametrize("arch", LITE_13)
def test_lite_model_works_with_every_explainer(arch):
    check_explainers(arch, CNN_EXPLAINERS)


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
@pytest.mark.parametrize("arch", ["alexnet", "squeezenet1_0", "squeezenet1_1"])
def test_classic_nets_explain_at_the_paper_layer(arch):
    model = zoo.build(arch, (64, 64, 3), 4)
    x = images(2, size=64)
    for name in ("saliency", "guided_backprop", "deconvnet", "lrp_epsilon"):
        assert cet.explain.get(name)(model)(x).shape == (2, 64, 64), name
    maps = cet.explain.GuidedGradCAM(model, layer=families.member(arch).gradcam_layer)(x)
    assert np.isfinite(maps).all() and maps.shape == (2, 64, 64)


@pytest.mark.slow
@pytest.mark.parametrize("arch", [m.arch for m in families.MEMBERS
                                  if m.arch in zoo.list_archs("application")])
def test_applications_have_their_declared_layer(arch):
    model = zoo.build(arch, (75, 75, 3), 4)
    assert len(cet.graph.find_layer(model, families.member(arch).gradcam_layer).output.shape) == 4
