"""The Fill in the blanks `paper` preset reads the paper's data (tfds MNIST) and trains its
ResNet5: its data-bearing path, shrunk to smoke sizes, on mocked tfds MNIST. End to end."""

import dataclasses

import pytest
import tensorflow_datasets as tfds

from cnn_explain_tf.studies.fill_in_the_blanks import PRESETS, run_study

pytestmark = pytest.mark.e2e


def test_paper_preset_is_mnist_with_the_papers_resnet5():
    paper = PRESETS["paper"]
    assert paper.datasets[0] == "tfds:mnist" and "resnet5" in paper.archs
    assert paper.num_masks == 10_000 and paper.image_size == (28, 28)


def test_paper_preset_runs_on_mock_mnist_with_resnet5(tmp_path):
    smoke = PRESETS["smoke"]
    sizes = {field.name: getattr(smoke, field.name) for field in dataclasses.fields(smoke)
             if field.name not in ("datasets", "archs", "preset")}
    config = dataclasses.replace(PRESETS["paper"], datasets=("tfds:mnist",), archs=("resnet5",),
                                 **sizes)
    with tfds.testing.mock_data(num_examples=64):
        results = run_study(tmp_path / "run", config, verbose=0)
    assert [row["images"] for row in results["table1"]] == [smoke.count] * 3
    assert list(results["figures"]) == ["mnist__resnet5"]
