"""The paper-data reproduction preset: the paper's datasets and recipe (Sec. 4.1 of arXiv
2301.08067), the data check before training, ImageNet weights resolved from a local file, and
(e2e) the data-bearing stages on mocked tfds sets and generated folders. Nothing downloads."""

import dataclasses

import cv2
import h5py
import keras
import numpy as np
import pytest
import tensorflow_datasets as tfds

from cnn_explain_tf import artifacts, cli, data
from cnn_explain_tf.data.paper_sets import DATA_ROOT_ENV, PAPER_SETS
from cnn_explain_tf.models import zoo
from cnn_explain_tf.studies import reproduce
from cnn_explain_tf.studies.reproduce import PRESETS
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.prose import strategy_label
from cnn_explain_tf.training import classifiers
from cnn_explain_tf.training.options import RunOptions

PAPER_DATA = PRESETS["paper-data"]


def test_the_preset_is_the_papers_datasets_and_recipe():
    semantics = {name: data.info(name).semantics for name in PAPER_DATA.seen_datasets()}
    assert [semantics[n] for n in PAPER_DATA.datasets] == ["similar"] * 3
    assert [semantics[n] for n in PAPER_DATA.dissimilar_datasets] == ["dissimilar"] * 3
    assert all(data.info(n).has_masks for n in PAPER_DATA.datasets)
    assert not any(data.info(n).has_masks for n in PAPER_DATA.dissimilar_datasets)
    assert PAPER_DATA.archs == ("vgg16", "resnet50", "mobilenet")
    recipe = PAPER_DATA.classifier
    assert (recipe.epochs, recipe.learning_rate, recipe.transfer) == (20, 1e-3, True)
    optimizers = {arch: type(classifiers.make_optimizer(arch, recipe, 10)).__name__
                  for arch in PAPER_DATA.archs}
    assert optimizers == {"vgg16": "SGD", "resnet50": "Adam", "mobilenet": "Adam"}


def test_the_command_refuses_a_missing_folder_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    with tfds.testing.mock_data(num_examples=4):
        status = cli.main(["reproduce", "--preset", "paper-data", "--out", str(out),
                           "--data-root", str(tmp_path / "nothing"), "--quiet"])
    error = capsys.readouterr().err
    assert status == 2 and "gpreda/chinese-mnist" in error
    assert str(tmp_path / "nothing" / "chinese-mnist") in error
    assert not (out / "classifiers").exists()


def _write_legacy_weights(model: keras.Model, path) -> None:
    """Writes `model`'s weights in the legacy HDF5 layout of keras.applications' files."""
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        save_weights_to_hdf5_group(handle, model)


@pytest.fixture
def imagenet_file(tmp_path, monkeypatch):
    """A MobileNet "imagenet" no-top weights file of our own where Keras looks for its cached
    download (KERAS_HOME/models), so `weights="imagenet"` reads it and fetches nothing."""
    from keras.src.backend import config

    keras.utils.set_random_seed(3)
    base = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(32, 32, 3))
    _write_legacy_weights(base, tmp_path / "keras" / "models" / "mobilenet_1_0_224_tf_no_top.h5")
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras"))
    return base


@pytest.mark.filterwarnings("ignore:.*input shape.*:UserWarning")
def test_imagenet_weights_come_from_the_local_file(imagenet_file):
    model = zoo.build("mobilenet", (32, 32, 1), 3, weights="imagenet")
    [base] = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    for loaded, written in zip(base.get_weights(), imagenet_file.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, written)
    assert model.get_layer("grayscale_to_rgb") and model.get_layer("imagenet_preprocessing")


@pytest.mark.filterwarnings("ignore:.*input shape.*:UserWarning")
def test_the_paper_recipe_transfers_from_the_local_imagenet_file(imagenet_file, tmp_path):
    recipe = dataclasses.replace(PAPER_DATA.classifier, epochs=1, batch_size=4, max_examples=8,
                                 image_size=(32, 32))
    with tfds.testing.mock_data(num_examples=8):
        [result] = classifiers.train_classifiers(tmp_path / "out", ["paper:mnist"],
                                                 ["mobilenet"], recipe, RunOptions(verbose=0))
    meta = artifacts.read_json(result.path.with_suffix(".json"))
    assert meta["weights_used"] == "imagenet" and meta["optimizer"] == "paper"


def write_paper_folders(root, per_class: int = 3) -> None:
    """Tiny stand-ins of the Kaggle downloads in the layout the docs describe."""
    rng = np.random.default_rng(0)
    for code in range(1, 16):
        for suite in range(1, per_class + 1):
            pixels = np.full((64, 64), 255, np.uint8)
            pixels[16:48, 4 * code - 2:4 * code + 2] = 0
            path = root / "chinese-mnist" / "data" / "data" / f"input_{suite}_1_{code}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), pixels)
    folders = [("animals10/raw-img", PAPER_SETS["animals10"].class_names, per_class + 2)]
    folders += [(f"food11/{split}", PAPER_SETS["food11"].class_names, per_class)
                for split in ("training", "evaluation")]
    for folder, names, count in folders:
        for name in names:
            (root / folder / name).mkdir(parents=True, exist_ok=True)
            for index in range(count):
                cv2.imwrite(str(root / folder / name / f"{index}.jpg"),
                            rng.integers(0, 256, (20 + index, 24, 3), np.uint8))


@pytest.fixture(scope="module")
def shrunk_run(tmp_path_factory):
    """The paper-data preset shrunk (1 epoch, 32x32, MobileNet for every pair, no ImageNet
    download, the smoke GANs and evaluation sizes) on mocked tfds sets and generated folders."""
    root = tmp_path_factory.mktemp("paper-data")
    write_paper_folders(root / "data")
    smoke = PRESETS["smoke"]
    evaluation = {name: getattr(smoke, name) for name in (
        "eval_count", "noise_amounts", "noise_count", "leaderboard_count", "sanity_count",
        "sanity_checkpoints", "rise_masks", "leaderboard_methods", "resamples")}
    config = dataclasses.replace(
        PAPER_DATA, archs=("mobilenet",), unseen_archs=("mobilenet",),
        classifier=dataclasses.replace(smoke.classifier, max_examples=32, image_size=(32, 32)),
        shards=dataclasses.replace(smoke.shards, max_examples=8), gan=smoke.gan,
        leaderboard_datasets=("paper:mnist",), **evaluation)
    run = Run(root / "run", config, 0)
    with pytest.MonkeyPatch.context() as patch, tfds.testing.mock_data(num_examples=24):
        patch.setenv(DATA_ROOT_ENV, str(root / "data"))
        try:
            results, error = reproduce.reproduce(run.out_dir, config, verbose=0), None
        except ValueError as raised:
            results, error = None, raised
    return run, results, error


@pytest.mark.e2e
def test_paper_data_stages_run_on_mock_data(shrunk_run):
    """Classifiers (seen and unseen), CGMA shards and both strategies' GANs."""
    run, _, error = shrunk_run
    if error is not None:
        raise error
    pairs = sorted(p.name for p in (run.out_dir / "cgma").glob("*__*"))
    assert pairs == sorted(f"{name}__mobilenet" for name in run.config.seen_datasets())
    for semantics in ("similar", "dissimilar"):
        for variant in ("lsft", "gsft"):
            assert (run.gan_dir(semantics, variant) / "generator.keras").exists()
    unseen = sorted(p.stem for p in (run.out_dir / "classifiers" / "unseen").glob("*.keras"))
    assert unseen == ["paper:cats-vs-dogs__mobilenet", "paper:kmnist__mobilenet"]


@pytest.mark.e2e
def test_paper_data_runs_end_to_end_on_mock_data(shrunk_run):
    """The whole chain to the report; the mask-based numbers cover the pairs with masks only
    (strategy 1's and unseen Kuzushiji-MNIST), as in the paper: absent or NaN for the others."""
    _, results, error = shrunk_run
    if error is not None:
        raise error
    tables = {t["id"]: t["rows"] for s in results["sections"] for t in s["tables"]}
    similar, dissimilar = strategy_label("similar"), strategy_label("dissimilar")
    assert {row["strategy"] for row in tables["table1"]} == {similar}
    assert {row["strategy"] for row in tables["noise"]} == {similar}
    assert {row["strategy"] for row in tables["table3"]} == {similar, dissimilar}
    for row in tables["table2_average"]:
        vs_mask = [row[title] for title in row if title.endswith(" vs mask")]
        assert len(vs_mask) == 3 and np.all(np.isnan(vs_mask) == (row["strategy"] == dissimilar))
        assert not np.isnan(row["Dice lsft vs Grad-CAM"])
    unseen = {row["dataset"]: row["LSFT Dice vs mask"] for row in tables["unseen"]}
    assert np.isnan(unseen["paper:cats-vs-dogs"]) and not np.isnan(unseen["paper:kmnist"])
    ids = {row["id"] for row in results["headline"]}
    assert {"similar/lsft/tp", "unseen paper:kmnist/lsft/dice_vs_mask"} <= ids
    assert "dissimilar/lsft/average_drop" in ids and "dissimilar/lsft/tp" not in ids
    assert not any(i.startswith("unseen paper:cats-vs-dogs/") and "mask" in i for i in ids)
