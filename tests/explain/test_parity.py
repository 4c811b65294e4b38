"""Peer parity with xplique 2.0.2 on a seeded random model and a briefly trained one.

xplique is not in the test extra (it requires opencv-python beside this project's
opencv-python-headless, tensorflow[and-cuda] and older scipy / scikit-learn / scikit-image), so
these tests run where it is importable, e.g. installed without its dependencies on a side path:

    pip install --no-deps --target .xplique xplique==2.0.2 tensorflow-probability==0.25.0 \
        tf_keras==2.20.1
    PYTHONPATH=.xplique python -m pytest tests/explain/test_parity.py
"""

import numpy as np
import pytest
from parity import CASES, MODELS, minmax, one_hot

import cnn_explain_tf as cet

xplique = pytest.importorskip("xplique.attributions")


@pytest.fixture(scope="module", params=sorted(MODELS))
def setup(request):
    return MODELS[request.param]()


@pytest.mark.parametrize("case", CASES, ids=[case.method for case in CASES])
def test_maps_match_xplique(setup, case):
    comparison = case.run(*setup, xplique)
    assert comparison.pearson.min() >= 0.99, comparison.pearson


def test_occlusion_default_is_the_mean_of_xpliques_sum(setup):
    """The documented difference: the default map averages the covering patches' drops."""
    model, x, t = setup
    theirs = xplique.Occlusion(model, patch_size=4, patch_stride=2).explain(x, one_hot(t))
    ours = cet.explain.Occlusion(model, patch_size=4, stride=2)
    np.testing.assert_allclose(ours.attributions(x, t) * ours.coverage,
                               np.asarray(theirs).reshape(x.shape[:3]), atol=1e-4)
    summed = cet.explain.Occlusion(model, patch_size=4, stride=2, aggregation="sum")
    assert not np.allclose(ours(x, t), summed(x, t), atol=1e-3)


def test_rise_map_conventions(setup):
    """Default: the min-max scaled signed attributions (the paper's map up to a constant, which
    matches xplique's above); absolute=True: scaled |attributions|, the old convention."""
    model, x, t = setup
    signed = cet.explain.RISE(model, num_masks=500, grid_size=4)
    absolute = cet.explain.RISE(model, num_masks=500, grid_size=4, absolute=True)
    attributions = signed.attributions(x, t)
    np.testing.assert_allclose(signed(x, t), minmax(attributions), atol=1e-6)
    np.testing.assert_allclose(absolute(x, t), minmax(np.abs(attributions)), atol=1e-6)
