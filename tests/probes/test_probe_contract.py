"""The probe contract: every probe returns its typed result, shaped and ranged, on any batch."""

import helpers
import numpy as np
import pytest

import cnn_explain_tf as cet


def fill_random(model):
    return cet.probes.FillInTheBlanks(model, num_masks=8, batch_size=8, verbose=0)


def fill_progressive_bfgs(model):
    return cet.probes.FillInTheBlanks(model, num_masks=4, batch_size=4, mode="progressive",
                                      direction="bfgs", bfgs_steps=1, verbose=0)


def perception(model):
    decoder = cet.models.build_pv_decoder((8, 8, 8), (16, 16, 3), width=8)
    return cet.probes.PerceptionVisualization(model, decoder, layer="conv3", batch_size=2)


PROBES = {"fill_random": fill_random, "fill_progressive_bfgs": fill_progressive_bfgs,
          "perception": perception}
RESULTS = {"fill_random": cet.probes.FillResult, "fill_progressive_bfgs": cet.probes.FillResult,
           "perception": cet.probes.PVResult}


@pytest.fixture(scope="module", params=[False, True], ids=["flat", "nested"])
def model(request):
    return helpers.classifier(16, nested=request.param)


def images_in(result) -> dict:
    """The result's image-valued fields that must lie in [0, 1]."""
    if isinstance(result, cet.probes.PVResult):
        return dict(vars(result))
    return {"prototypes": result.prototypes, "masks": result.masks, "filled": result.filled}


@pytest.mark.parametrize("name", sorted(PROBES))
@pytest.mark.parametrize("batch", [1, 3])
def test_probe_returns_its_typed_result(model, name, batch):
    probe = PROBES[name](model)
    assert isinstance(probe, cet.probes.Probe)
    images = helpers.images(batch, 16, seed=batch)
    result = probe(images)
    assert isinstance(result, RESULTS[name])
    for field, values in images_in(result).items():
        assert values.dtype == np.float32, field
        assert values.shape[0] == batch and values.shape[1:3] == (16, 16), field
        assert np.all(np.isfinite(values)) and values.min() >= 0 and values.max() <= 1, field
    if isinstance(result, cet.probes.FillResult):
        assert result.prototypes.shape == images.shape and result.directions.shape == images.shape
        assert result.kept.shape == result.drawn.shape == result.targets.shape == (batch,)
        np.testing.assert_array_equal(result.targets, probe.predict(images))


def test_pv_result_unpacks_like_the_old_tuple(model):
    result = perception(model)(helpers.images(2, 16), targets=[0, 1])
    pv, reconstructions = result
    assert pv is result.pv and reconstructions is result.reconstructions
    assert pv.shape == reconstructions.shape == (2, 16, 16, 3)


def test_probes_are_not_explainers():
    assert not {"FillInTheBlanks", "PerceptionVisualization"} & set(cet.explain.__all__)
    for probe in (cet.probes.FillInTheBlanks, cet.probes.PerceptionVisualization):
        assert not issubclass(probe, cet.explain.Explainer)
