"""The fill-in-the-blanks job's config, inputs and folders: bad values are refused by name."""

import dataclasses

import helpers
import keras
import pytest

from cnn_explain_tf import pipeline
from cnn_explain_tf.studies.fill_in_the_blanks import PRESETS, StudyConfig, run_study, sections
from cnn_explain_tf.studies.fill_in_the_blanks.inputs import pair_images
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Pair, Study
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize(("change", "message"), [
    ({"patch_size": 3}, r"patch_size: expected a divisor of the image size 28x28 \(one of "
                        r"\[1, 2, 4, 7, 14, 28\]\), got 3"),
    ({"patch_sizes": (1, 5)}, r"patch_size: expected a divisor .* got 5"),
    ({"mask_ratio": 1.5}, r"mask_ratio: expected floats in \(0, 1\), got \[1.5\]"),
    ({"ratios": (0.25, 0.0)}, r"ratios: expected floats in \(0, 1\), got \[0.0\]"),
    ({"threshold": 2.0}, r"threshold: expected floats in \[0, 1\], got 2.0"),
    ({"mask_augmentation": 1.5}, r"mask_augmentation: expected a float in \[0, 1\], got 1.5"),
    ({"archs": ("cnn3", "vgg99")}, r"archs: expected names of \['cnn3', 'resnet5'\], got "
                                   r"\['vgg99'\]"),
    ({"datasets": ()}, "datasets: expected at least one name, got none"),
    ({"num_masks": 0}, "num_masks: expected an int >= 1, got 0"),
    ({"fill_rule": "sign"}, r"fill_rule: expected one of \['minmax', 'positive', 'symmetric'\]"),
])
def test_bad_config_values_are_refused_by_name(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(PRESETS["quick"], **change)


def test_an_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="nope"):
        StudyConfig(datasets=("nope",))


def test_presets_differ_in_size_and_the_paper_uses_tfds():
    smoke, quick, paper = (PRESETS[name] for name in ("smoke", "quick", "paper"))
    assert smoke.count < quick.count < paper.count
    assert paper.num_masks == 10_000 and paper.datasets == ("tfds:mnist", "tfds:fashion_mnist")
    assert [s.preset for s in (smoke, quick, paper)] == ["smoke", "quick", "paper"]


def study(tmp_path, image_size=(16, 16), patch_size=2) -> Study:
    config = dataclasses.replace(PRESETS["smoke"], image_size=image_size, patch_size=patch_size,
                                 patch_sizes=(patch_size,))
    return Study(tmp_path, config)


def test_a_classifier_of_other_channels_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"classifier: expected a model taking 1-channel images "
                                         r"of 'digits', got one taking \(H, W, C\) = "
                                         r"\(16, 16, 3\)"):
        pair_images(study(tmp_path), Pair("digits", "given"), helpers.classifier(16))


def test_a_classifier_of_another_size_gets_resized_images(tmp_path):
    model = helpers.classifier(8, channels=1)
    images, labels, note = pair_images(study(tmp_path), Pair("digits", "given"), model)
    assert images.shape[1:] == (8, 8, 1) and len(labels) == len(images)
    assert note == "images resized from the config's 16x16 to the classifier's input 8x8"


def test_a_patch_size_that_does_not_divide_the_classifier_input_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    with pytest.raises(InputError, match=r"patch_size: expected a divisor of the image size "
                                         r"12x12 .* got 8"):
        pair_images(study(tmp_path, patch_size=8), Pair("digits", "given"), model)


def test_a_folder_of_another_config_is_refused_before_any_work(tmp_path):
    pipeline.claim(tmp_path, "fill-in-the-blanks", {"other": 1}, "quick").release()
    with pytest.raises(InputError, match=r"out: .* holds the run of another config \(preset "
                                         r"'quick'.*this one is preset 'smoke'"):
        run_study(tmp_path, "smoke", verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "run.json"]  # the run lock


def test_a_folder_of_other_files_and_a_missing_classifier_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="out: expected a new or empty directory"):
        run_study(tmp_path, "smoke", verbose=0)
    with pytest.raises(InputError, match=r"classifier: expected a .keras file, got .*nope.keras"):
        run_study(tmp_path / "new", "smoke", classifier=tmp_path / "nope.keras", verbose=0)
    with pytest.raises(InputError, match=r"preset: expected one of \['smoke', 'quick', 'paper'\]"):
        run_study(tmp_path / "new", "fast", verbose=0)


@pytest.mark.parametrize(("low", "estimate", "high", "verdict"), [
    (0.95, 0.97, 1.0, "met"), (0.90, 0.95, 0.99, "within noise"), (0.78, 0.85, 0.92, "not met"),
    (0.80, 0.90, 0.949, "not met")])
def test_table1_goals_read_the_interval_not_the_point_estimate(low, estimate, high, verdict):
    row = {"accuracy": estimate, "accuracy_low": low, "accuracy_high": high}
    assert sections.accuracy_verdict(row, 0.95) == verdict
