"""The paper preset's path offline: a folder of PNGs, SqueezeNet weight files saved from built
models, keras.applications replaced by a tiny stand-in that records weights="imagenet" (e2e)."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from cnn_explain_tf.models import classic
from cnn_explain_tf.studies.architectures import PRESETS, compare_architectures
from cnn_explain_tf.validation import InputError

pytestmark = pytest.mark.e2e

ARCHS = ("vgg16", "squeezenet1_0", "squeezenet1_1")


def tiny_vgg16(weights=None):
    """A 224x224, 1000-class stand-in for keras.applications.VGG16 with its `block5_pool`."""
    assert weights == "imagenet"
    inputs = keras.Input((224, 224, 3))
    x = keras.layers.Conv2D(4, 3, strides=4, padding="same", activation="relu",
                            name="block1_conv1")(inputs)
    x = keras.layers.MaxPooling2D(4, name="block5_pool")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="vgg16")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder of 3 PNGs of two sizes, and a weights file per SqueezeNet version."""
    root = tmp_path_factory.mktemp("paper")
    folder = root / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index, shape in enumerate([(120, 160, 3), (200, 200, 3), (90, 90, 3)]):
        keras.utils.save_img(folder / f"image{index}.png", rng.integers(0, 256, shape, np.uint8))
    weights = {}
    for version in ("1_0", "1_1"):
        keras.utils.set_random_seed(1)
        path = str(root / f"squeezenet{version}.weights.h5")
        classic.squeezenet((224, 224, 3), 1000, version).save_weights(path)
        weights[f"squeezenet{version}"] = path
    return root, folder, weights


def _config(folder, weights):
    return dataclasses.replace(PRESETS["paper"], archs=ARCHS, image_count=3, aopc_count=2,
                               aopc_methods=("gradcam", "lrp_epsilon"), permutations=50,
                               bootstrap_rounds=10, images_dir=str(folder),
                               weight_files=tuple(sorted(weights.items())))


def test_paper_preset_runs_on_a_folder_with_weight_files(inputs, monkeypatch):
    root, folder, weights = inputs
    monkeypatch.setattr(keras.applications, "VGG16", tiny_vgg16)
    results = compare_architectures(root / "run", _config(folder, weights), verbose=0)
    models = {row["model"]: row for row in results["models"]}
    assert models["squeezenet1_0"]["parameters"] == 1_248_424
    assert models["squeezenet1_1"]["parameters"] == 1_235_496
    assert {row["test accuracy"] for row in models.values()} == {None}
    assert models["vgg16"]["input"] == "224x224x3"
    explained = json.loads((root / "run" / "explain" / "explain.json").read_text())
    assert explained["image_names"] == ["image0.png", "image1.png", "image2.png"]
    assert explained["resized_for"] == list(ARCHS)  # folder images load at 299, models take 224
    for method in PRESETS["paper"].methods:
        assert results["similarity"][method]["archs"] == list(ARCHS), method
    assert len(results["aopc"]["rows"]) + sum(
        len(v) for v in results["aopc"]["not_applicable"].values()) == 3 * 2
    assert (root / "run" / "report.html").stat().st_size > 0


def test_a_weights_file_of_another_architecture_is_refused(inputs, monkeypatch):
    root, folder, weights = inputs
    monkeypatch.setattr(keras.applications, "VGG16", tiny_vgg16)
    swapped = {"squeezenet1_0": weights["squeezenet1_1"], "squeezenet1_1": weights["squeezenet1_1"]}
    with pytest.raises(InputError, match="that fits 'squeezenet1_0'"):
        compare_architectures(root / "swapped", _config(folder, swapped), verbose=0)
