"""The study's bad input: model lists, families, methods, image folders, weights, sizes, folders."""

import dataclasses
import json
import types

import keras
import numpy as np
import pytest
from helpers import classifier

from cnn_explain_tf import cli
from cnn_explain_tf.studies.architectures import PRESETS, compare_architectures, stages
from cnn_explain_tf.studies.architectures.layout import (
    Study,
    at_input_size,
    folder_images,
    pretrained_model,
)
from cnn_explain_tf.validation import InputError

SMOKE = PRESETS["smoke"]


@pytest.mark.parametrize(("archs", "message"), [
    (("alexnet_lite", "vgg13_lite"), "archs: expected at least 3 models to compare, got 2"),
    (("alexnet_lite", "vgg13_lite", "alexnet_lite"), r"distinct model names, got \['alexnet_l"),
    (("alexnet_lite", "vgg13_lite", "mobilenet_lite"), "declared family and Grad-CAM layer"),
    (("alexnet_lite", "vgg13_lite", "vgg99"), "archs: expected names of"),
])
def test_model_lists_are_checked(archs, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SMOKE, archs=archs)


def test_unknown_method_and_counts_are_refused():
    with pytest.raises(ValueError, match="gradcamm"):
        dataclasses.replace(SMOKE, methods=("gradcamm",))
    with pytest.raises(InputError, match="permutations: expected an int >= 1, got 0"):
        dataclasses.replace(SMOKE, permutations=0)


def test_image_folder_without_images_is_refused_and_images_load(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(InputError, match=r"images_dir: expected a folder .*\(no images in it\)"):
        folder_images(tmp_path, 20)
    with pytest.raises(InputError, match="not a folder"):
        folder_images(tmp_path / "missing", 20)
    for name in ("b.png", "a.jpg"):
        keras.utils.save_img(tmp_path / name, np.full((40, 30, 3), 128, np.uint8))
    images, names = folder_images(tmp_path, 20)
    assert names == ["a.jpg", "b.png"] and images.shape == (2, 299, 299, 3)
    assert images.min() >= 0 and images.max() <= 1


def test_classic_pretrained_models_need_a_weights_file():
    with pytest.raises(InputError, match="weight_files: expected a .weights.h5 file for 'alexnet'"):
        pretrained_model("alexnet")
    with pytest.raises(InputError, match="keras.applications or classic.*'vgg13_lite'"):
        pretrained_model("vgg13_lite")


def test_images_of_another_size_are_resized_to_the_model_and_say_so():
    model = classifier(16, 3, classes=3)
    images = np.random.default_rng(0).random((2, 32, 32, 1)).astype(np.float32)
    resized, was_resized = at_input_size(model, images)
    assert was_resized and resized.shape == (2, 16, 16, 3)
    same, again = at_input_size(model, resized)
    assert not again and np.array_equal(same, resized)


def test_a_folder_with_other_files_is_refused_before_any_work(tmp_path):
    (tmp_path / "stray.txt").write_text("x")
    with pytest.raises(InputError, match="out: expected a new or empty directory"):
        compare_architectures(tmp_path, "smoke", verbose=0)


def test_cli_reports_bad_weights_spec_with_status_2(tmp_path, capsys):
    status = cli.main(["compare-architectures", "--preset", "smoke", "--out", str(tmp_path),
                       "--weights", "alexnet"])
    assert status == 2
    assert "compare-architectures: error: --weights: expected ARCH=PATH, got 'alexnet'" in \
        capsys.readouterr().err


def test_a_method_with_fewer_than_3_usable_models_is_not_applicable_not_a_crash(tmp_path):
    """The similarity stage skips a method whose maps are n/a (NaN) on all but 2 models."""
    config = dataclasses.replace(SMOKE, archs=("alexnet_lite", "vgg13_lite", "vgg16_lite"))
    maps = np.random.default_rng(0).random((2, 3, 4, 32, 32)).astype(np.float32)
    maps[0, 1] = np.nan  # saliency could not run on vgg13_lite
    (tmp_path / "explain").mkdir()
    np.savez_compressed(tmp_path / "explain" / "maps.npz", maps=maps)
    stage = types.SimpleNamespace(directory=tmp_path / "similarity")
    stages.compare(Study(tmp_path, config, verbose=0), stage)
    found = json.loads((tmp_path / "similarity" / "similarity.json").read_text())
    assert found["saliency"] == {"archs": ["alexnet_lite", "vgg16_lite"],
                                 "not_applicable": "fewer than 3 models could run this method"}
    assert found["gradcam"]["archs"] == list(config.archs)
    assert 0 < found["gradcam"]["permutation"]["p_value"] <= 1
