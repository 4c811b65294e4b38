"""Tests for classifier training: learning, mixed precision, MirroredStrategy, resume, bad input."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_explain_tf import cli
from cnn_explain_tf.models import zoo
from cnn_explain_tf.training import classifiers, fitting, precision
from cnn_explain_tf.training.options import RunOptions

QUIET = RunOptions(verbose=0)

TINY = classifiers.TrainConfig(epochs=1, batch_size=32, image_size=(16, 16), optimizer="adam",
                               learning_rate=1e-2, schedule="cosine", max_examples=64)


def quadrant_data(count: int, seed: int = 0, batch_size: int = 32) -> tf.data.Dataset:
    """4 classes: a bright square in one quadrant of a noisy 16x16 grayscale image."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, count).astype(np.int32)
    images = rng.random((count, 16, 16, 1), np.float32) * 0.3
    for index, label in enumerate(labels):
        row, col = divmod(int(label), 2)
        images[index, 8 * row + 2:8 * row + 6, 8 * col + 2:8 * col + 6] = 1.0
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)


def test_two_epochs_raise_accuracy_above_chance():
    keras.utils.set_random_seed(0)
    model = zoo.build("vgg_lite", (16, 16, 1), num_classes=4)
    config = dataclasses.replace(TINY, epochs=2)
    optimizer = classifiers.make_optimizer("vgg_lite", config, steps_per_epoch=32)
    # batches of 8: enough steps for the batch-norm moving statistics to forget their init
    train = quadrant_data(256, batch_size=8)
    metrics = fitting.fit_classifier(model, train, quadrant_data(128, seed=1), optimizer,
                                     epochs=2, verbose=0)
    assert metrics["test_accuracy"] > 0.5  # chance is 0.25


def test_paper_recipe_uses_sgd_for_vgg_and_adam_1e3_otherwise():
    paper = classifiers.PRESETS["paper"]
    assert isinstance(classifiers.make_optimizer("vgg16", paper, 10), keras.optimizers.SGD)
    adam = classifiers.make_optimizer("resnet50", paper, 10)
    assert isinstance(adam, keras.optimizers.Adam)
    assert float(adam.learning_rate) == pytest.approx(1e-3)
    assert paper.epochs == 20 and paper.transfer


def test_transfer_without_network_warns_and_trains_from_scratch(monkeypatch):
    build = zoo.build

    def offline_build(arch, input_shape, num_classes, weights=None):
        if weights:
            raise Exception("URL fetch failure: Name or service not known")  # as keras raises
        return build(arch, input_shape, num_classes)

    monkeypatch.setattr(zoo, "build", offline_build)
    paper = classifiers.PRESETS["paper"]
    with pytest.warns(UserWarning, match="mobilenet: ImageNet weights unavailable"):
        model, weights = classifiers._build("mobilenet", (32, 32, 1), 10, paper)
    assert weights is None and model.output_shape == (None, 10)
    assert classifiers._build("vgg_lite", (32, 32, 1), 10, paper)[1] is None  # no weights to try


def test_one_step_under_mixed_bfloat16_keeps_float32_output_and_restores_policy():
    before = keras.config.dtype_policy().name
    with precision.mixed_precision(policy="mixed_bfloat16") as policy:
        assert policy == "mixed_bfloat16"
        model = zoo.build("vgg_lite", (16, 16, 1), num_classes=4)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        loss = model.train_on_batch(*next(iter(quadrant_data(32))))
    assert keras.config.dtype_policy().name == before
    assert model.get_layer("vgg_lite").get_layer("block1_1_conv").compute_dtype == "bfloat16"
    assert model.output.dtype == "float32"
    assert np.isfinite(loss)


def test_one_step_under_mirrored_strategy_over_two_logical_cpus():
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        two = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, two)
        from cnn_explain_tf.models import zoo
        from cnn_explain_tf.training import classifiers, fitting, strategy
        mirrored = strategy.get_strategy("mirrored")
        images = np.random.default_rng(0).random((8, 16, 16, 1), np.float32)
        data = tf.data.Dataset.from_tensor_slices((images, np.arange(8) % 2)).batch(8)
        config = classifiers.TrainConfig(epochs=1, optimizer="adam")
        with mirrored.scope():
            model = zoo.build("vgg_lite", (16, 16, 1), num_classes=2)
            before = model.get_layer("predictions").kernel.numpy().copy()
            metrics = fitting.fit_classifier(
                model, data, data, classifiers.make_optimizer("vgg_lite", config, 1), 1, verbose=0)
        changed = not np.allclose(before, model.get_layer("predictions").kernel.numpy())
        print("RESULT", mirrored.num_replicas_in_sync, type(mirrored).__name__, changed,
              np.isfinite(metrics["test_loss"]))
    """)
    hide_gpus = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # MirroredStrategy prefers GPUs
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=180, check=False, env=hide_gpus)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "RESULT 2 MirroredStrategy True True" in run.stdout


def test_unknown_distribute_strategy_lists_valid_names():
    with pytest.raises(ValueError, match=r"distribute: expected one of \['default', 'mirrored'"):
        RunOptions(distribute="tpu")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("epochs", 0, "epochs: expected an int >= 1, got 0"),
    ("max_examples", 0, "max_examples: expected an int >= 1, got 0"),
    ("optimizer", "rmsprop", r"optimizer: expected one of \['paper', 'adam', 'sgd'\]"),
    ("schedule", "step", r"schedule: expected one of \['constant', 'cosine'\], got 'step'"),
])
def test_bad_config_values_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **{field: value})


@pytest.fixture(scope="module")
def trained_digits(tmp_path_factory):
    """One vgg_lite trained on digits (64 examples, 1 epoch) in a module-wide output folder."""
    out = tmp_path_factory.mktemp("classifiers")
    (result,) = classifiers.train_classifiers(out, ["digits"], ["vgg_lite"], TINY, QUIET)
    return out, result


def copy_of(trained_digits, tmp_path):
    shutil.copytree(trained_digits[0], tmp_path, dirs_exist_ok=True)
    return tmp_path, tmp_path / "digits__vgg_lite.keras", tmp_path / "digits__vgg_lite.json"


class TestTrainClassifiersOnDigits:
    """End to end on the embedded digits set, capped at 64 examples per split."""

    def test_default_datasets_are_the_similar_semantics_sets(self):
        assert classifiers.default_datasets() == ["digits", "letters", "symbols", "lowercase"]

    def test_saves_reloadable_model_with_json_side_car(self, trained_digits):
        out, result = trained_digits
        meta = json.loads((out / "digits__vgg_lite.json").read_text())
        assert result.status == "trained" and result.path == out / "digits__vgg_lite.keras"
        assert meta["input_shape"] == [16, 16, 1] and meta["num_classes"] == 10
        assert meta["class_names"][:2] == ["0", "1"] and meta["dataset"] == "digits"
        assert meta["epochs"] == 1 and meta["seed"] == 0 and "tensorflow" in meta["versions"]
        assert meta["test_accuracy"] == pytest.approx(result.test_accuracy)
        assert keras.saving.load_model(result.path).output_shape == (None, 10)
        assert sorted(path.name for path in out.iterdir()) == [
            "digits__vgg_lite.json", "digits__vgg_lite.keras"]

    def test_resume_skips_a_finished_pair(self, trained_digits, tmp_path):
        out, model_path, _ = copy_of(trained_digits, tmp_path)
        stamp = model_path.stat().st_mtime_ns
        (again,) = classifiers.train_classifiers(out, ["digits"], ["vgg_lite"], TINY,
                                                 RunOptions(resume=True, verbose=0))
        assert again.status == "skipped" and model_path.stat().st_mtime_ns == stamp
        assert again.test_accuracy == trained_digits[1].test_accuracy

    def test_resume_with_changed_config_retrains(self, trained_digits, tmp_path, capsys):
        out, _, json_path = copy_of(trained_digits, tmp_path)
        old = json.loads(json_path.read_text())["config_hash"]
        changed = dataclasses.replace(TINY, max_examples=32)
        (result,) = classifiers.train_classifiers(out, ["digits"], ["vgg_lite"], changed,
                                                  RunOptions(resume=True))
        assert result.status == "trained"
        assert json.loads(json_path.read_text())["config_hash"] != old
        assert "config changed" in capsys.readouterr().out

    def test_interrupted_save_leaves_no_half_written_model(self, trained_digits, tmp_path,
                                                           monkeypatch):
        out, model_path, json_path = copy_of(trained_digits, tmp_path)
        original = model_path.read_bytes()

        def interrupted_save(self, filepath, **kwargs):
            with open(filepath, "wb") as handle:
                handle.write(b"PK\x03\x04 half")
            raise KeyboardInterrupt

        monkeypatch.setattr(keras.Model, "save", interrupted_save)
        with pytest.raises(KeyboardInterrupt):
            classifiers.train_classifiers(out, ["digits"], ["vgg_lite"],
                                          dataclasses.replace(TINY, max_examples=32), QUIET)
        assert model_path.read_bytes() == original  # the previous model, whole
        assert not json_path.exists()  # its JSON no longer vouches for it: resume retrains
        assert [path.name for path in out.iterdir()] == [model_path.name]

    @pytest.mark.parametrize(("datasets", "archs", "image_size", "message"), [
        (["digits"], ["resnet"], (16, 16), r"arch: expected one of \['vgg16'"),
        (["no_such_set"], ["vgg_lite"], (16, 16), "no_such_set"),
        (["digits"], ["vgg_lite"], (4, 4), "at least 8x8, got 4x4"),
    ])
    def test_bad_names_and_sizes_fail_before_training(self, tmp_path, datasets, archs,
                                                      image_size, message):
        config = dataclasses.replace(TINY, image_size=image_size)
        with pytest.raises(ValueError, match=message):
            classifiers.train_classifiers(tmp_path, datasets, archs, config, QUIET)
        assert list(tmp_path.iterdir()) == []

    def test_cli_entry_prints_error_and_returns_2_for_unknown_arch(self, tmp_path, capsys):
        assert cli.main(["train-classifiers", "--datasets", "digits", "--archs", "resnet",
                         "--out", str(tmp_path)]) == 2
        assert "train-classifiers: error: arch: expected one of" in capsys.readouterr().err

    def test_cli_resolves_the_preset_and_prints_one_result_line(self, trained_digits,
                                                                 monkeypatch, capsys):
        calls = []

        def fake_train(out_dir, datasets, archs, config, options):
            calls.append((datasets, archs, config, options))
            return [trained_digits[1]]

        monkeypatch.setattr(classifiers, "train_classifiers", fake_train)
        assert cli.main(["train-classifiers", "--out", "x", "--epochs", "2", "--resume",
                         "--quiet", "--distribute", "mirrored"]) == 0
        (datasets, archs, config, options), = calls
        assert archs == classifiers.DEFAULT_ARCHS["quick"] and datasets is None
        assert config == dataclasses.replace(classifiers.PRESETS["quick"], epochs=2)
        assert options == RunOptions(distribute="mirrored", resume=True, verbose=0)
        assert capsys.readouterr().out == "trained 1 and reused 0 classifiers in " \
            f"{trained_digits[1].seconds:.1f} s -> x\n"
