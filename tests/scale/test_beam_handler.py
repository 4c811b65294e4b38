"""`scale.beam.ExplanationModelHandler`: RunInference's contract over the per-batch function."""

import numpy as np
import pytest

import cnn_explain_tf as cet
from cnn_explain_tf.batch import ModelSpec

pytest.importorskip("apache_beam")
from cnn_explain_tf.scale import beam as scale_beam  # noqa: E402


def test_the_handler_explains_records_and_passes_skipped_ones_through(model_path, model):
    handler = scale_beam.ExplanationModelHandler(ModelSpec(str(model_path), ("gradcam",),
                                                           batch_size=4))
    assert handler.batch_elements_kwargs() == {"min_batch_size": 1, "max_batch_size": 4}
    backend = handler.load_model()
    images = np.random.default_rng(0).random((3, 16, 16, 3), dtype=np.float32)
    records = [{"position": np.int64(i), "id": f"x{i}".encode(), "image": images[i],
                "label": np.int64(-1), "error": b"" if i != 1 else b"broken"} for i in range(3)]
    assert handler.get_num_bytes(records) == images.nbytes
    results = list(handler.run_inference(records, backend))
    assert [r.example for r in results] == [0, 1, 2]
    assert [len(r.inference) for r in results] == [1, 0, 1]
    assert results[1].inference.skipped == [(1, "x1", "broken")]
    expected = cet.explain.GradCAM(model)(images[[0, 2]])
    np.testing.assert_allclose(results[2].inference.maps["gradcam"][0], expected[1], atol=1e-5)
