"""Shared fixtures of the serving tests: a tiny nested classifier, its explainers, one export."""

import pytest
from helpers import TINY_GENERATOR, classifier
from serving_checks import METHODS

import cnn_explain_tf as cet
from cnn_explain_tf import serving


@pytest.fixture(scope="module")
def model():
    """The 16x16x3 tiny classifier with its conv base nested as a sub-model."""
    return classifier(nested=True)


@pytest.fixture(scope="module")
def generator(model):
    """The SFT-GAN explainer of `model` with an untrained 3-CGMA LSFT generator (the tiny
    classifier has exactly 3 conv layers)."""
    import keras

    keras.utils.set_random_seed(0)
    network = cet.models.build_lsft_generator((16, 16, 3), 3, TINY_GENERATOR)
    return cet.explain.SFTGANExplainer(model, network, "lsft")


@pytest.fixture(scope="module")
def exported(model, generator, tmp_path_factory):
    """`serving.export` of METHODS + lsft."""
    base = tmp_path_factory.mktemp("export") / "tiny"
    return serving.export(model, base, METHODS, generator=generator, verbose=0)


@pytest.fixture(scope="module")
def exported_bytes(model, tmp_path_factory):
    """`serving.export` of Grad-CAM with the images_bytes variant."""
    base = tmp_path_factory.mktemp("export_bytes") / "tiny"
    return serving.export(model, base, ["gradcam"], images_bytes=True, verbose=0)
