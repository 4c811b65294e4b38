"""The local runner, Beam's DirectRunner and local Ray write the same maps and index."""

import numpy as np
import pytest
from dataset_folders import write_folder

from cnn_explain_tf import batch


@pytest.mark.e2e
def test_three_runners_give_the_same_maps_and_index(model_path, tmp_path):
    pytest.importorskip("apache_beam")
    pytest.importorskip("ray")
    from cnn_explain_tf.scale import beam as scale_beam
    from cnn_explain_tf.scale import ray as scale_ray

    write_folder(tmp_path / "images", 64, seed=3)
    data = f"folder:{tmp_path / 'images'}"
    options = {"batch_size": 8, "shard_size": 16, "map_dtype": "float32",
               "metrics": ("average_drop",), "verbose": 0}
    runs = {"local": batch.explain_dataset(str(model_path), data, ["gradcam", "saliency"],
                                           tmp_path / "local", **options),
            "beam": scale_beam.explain_dataset_beam(str(model_path), data,
                                                    ["gradcam", "saliency"], tmp_path / "beam",
                                                    **options),
            "ray": scale_ray.explain_dataset_ray(str(model_path), data, ["gradcam", "saliency"],
                                                 tmp_path / "ray", **options)}
    assert {name: (r.images, r.skipped, r.shards) for name, r in runs.items()} == {
        name: (64, 1, 5) for name in runs}
    index = (tmp_path / "local" / "index.csv").read_text()
    for name in ("beam", "ray"):
        assert (tmp_path / name / "index.csv").read_text() == index
        assert (tmp_path / name / "skipped.csv").read_text() == (
            tmp_path / "local" / "skipped.csv").read_text()
        for method in ("gradcam", "saliency"):
            ids, maps = batch.load_maps(tmp_path / "local", method)
            other_ids, other = batch.load_maps(tmp_path / name, method)
            assert list(other_ids) == list(ids) and maps.shape == (64, 16, 16)
            assert np.abs(other - maps).max() <= 1e-5
