"""SSIM between maps and the cascading-randomisation sanity check."""

import numpy as np
import pytest
from helpers import classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError


class EdgeExplainer:
    """Ignores the model: the normalised gradient magnitude of the image (an edge detector)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, batch, targets=None):
        grey = np.asarray(batch).mean(-1)
        edges = np.hypot(*np.gradient(grey, axis=(1, 2)))
        return edges / edges.max(axis=(1, 2), keepdims=True)


def test_identical_maps_have_similarity_one_and_different_maps_less():
    maps = np.random.default_rng(0).random((3, 16, 16), dtype=np.float32)
    assert cet.metrics.map_similarity(maps, maps) == pytest.approx(1.0, abs=1e-6)
    per_sample = cet.metrics.map_similarity(maps, 1 - maps, per_sample=True)
    assert per_sample.shape == (3,) and np.all(per_sample < 0)
    assert cet.metrics.map_similarity(maps[:, :4, :4], maps[:, :4, :4]) == pytest.approx(1.0)
    with pytest.raises(InputError, match="b: expected the shape"):
        cet.metrics.map_similarity(maps, maps[:2])


def test_sanity_check_flags_an_edge_detector_and_passes_gradcam():
    model, batch = classifier(size=16), images(batch=4, size=16)
    weights = [w.copy() for w in model.get_weights()]
    edge = cet.metrics.sanity_check(EdgeExplainer, model, batch)
    assert edge.layers == ["head", "conv3", "conv2", "conv1"]
    np.testing.assert_allclose(edge.similarity, 1.0, atol=1e-6)
    assert not edge.passed
    gradcam = cet.metrics.sanity_check(cet.explain.GradCAM, model, batch)
    assert gradcam.passed and gradcam.similarity[-1] < 0.5, gradcam.similarity
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_sanity_check_checkpoints_compare_fewer_layers_of_the_same_cascade():
    model, batch = classifier(size=16), images(batch=2, size=16)
    full = cet.metrics.sanity_check(cet.explain.GradCAM, model, batch)
    sparse = cet.metrics.sanity_check(cet.explain.GradCAM, model, batch, checkpoints=2)
    assert sparse.layers == ["conv3", "conv1"]  # evenly spaced among 4, the last included
    np.testing.assert_allclose(sparse.similarity, full.similarity[[1, 3]], atol=1e-6)
    assert sparse.passed == full.passed
    one = cet.metrics.sanity_check(cet.explain.GradCAM, model, batch, checkpoints=1)
    assert one.layers == ["conv1"] and one.similarity.shape == (1,)
    with pytest.raises(InputError, match="checkpoints: expected an int >= 1, got 0"):
        cet.metrics.sanity_check(cet.explain.GradCAM, model, batch, checkpoints=0)
