"""Tests for the train-decoder job: learning, mixed precision, artifacts, resume, CLI, bad input."""

import argparse
import dataclasses
import json

import helpers
import keras
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf import cli
from cnn_explain_tf.artifacts import UnreadableModelError
from cnn_explain_tf.cli import train_decoder as train_decoder_command
from cnn_explain_tf.training import decoder, decoder_trainer, precision
from cnn_explain_tf.training.options import RunOptions

QUIET, RESUME = RunOptions(verbose=0), RunOptions(resume=True, verbose=0)

TINY = decoder.DecoderConfig(dataset="digits", arch="resnet_lite", layer="conv4_block1_out",
                             image_size=(16, 16), epochs=1, batch_size=16, width=16,
                             max_examples=32, max_test_examples=16, classifier_epochs=1)


def trainer_for(model, layer="conv3"):
    encoder = cet.models.ClassifierEncoder(model, layer)
    decoder_model = cet.models.build_pv_decoder(encoder.latent_shape, (16, 16, 3), width=16)
    trainer = decoder_trainer.DecoderTrainer(encoder, decoder_model)
    trainer.compile(optimizer=keras.optimizers.Adam(3e-3))
    return trainer


def test_a_few_training_steps_lower_the_decoder_loss():
    keras.utils.set_random_seed(0)
    trainer = trainer_for(helpers.classifier(16, nested=True))
    images = tf.constant(helpers.images(16, 16, seed=3))
    before = trainer.evaluate(images, batch_size=16, verbose=0, return_dict=True)
    trainer.fit(images, batch_size=16, epochs=15, verbose=0, shuffle=False)
    after = trainer.evaluate(images, batch_size=16, verbose=0, return_dict=True)
    assert after["loss"] < 0.95 * before["loss"]
    assert after["ssim"] > before["ssim"]


def test_one_step_under_mixed_bfloat16_keeps_a_float32_image_and_restores_policy():
    before = keras.config.dtype_policy().name
    model = helpers.classifier(16, nested=True)
    with precision.mixed_precision(policy="mixed_bfloat16"):
        trainer = trainer_for(model)
        logs = trainer.train_on_batch(tf.constant(helpers.images(4, 16)), return_dict=True)
    assert keras.config.dtype_policy().name == before
    assert trainer.decoder.get_layer("block1_upsample").compute_dtype == "bfloat16"
    assert trainer.decoder.output.dtype == "float32" and np.isfinite(logs["loss"])


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
def test_job_writes_decoder_classifier_and_json_then_resume_skips(tmp_path):
    result = decoder.train_decoder(tmp_path, TINY, QUIET)
    meta = json.loads((tmp_path / "decoder.json").read_text())
    assert result.status == "trained" and 0 <= meta["metrics"]["test_ssim"] <= 1
    assert meta["latent_shape"] == [2, 2, 256] and meta["image_shape"] == [16, 16, 1]
    assert {"config_hash", "versions", "history", "seconds"} <= set(meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier.keras", "decoder.json",
                                                          "decoder.keras"]
    saved = keras.models.load_model(tmp_path / "decoder.keras")
    classifier = keras.models.load_model(tmp_path / "classifier.keras")
    pv, _ = cet.probes.PerceptionVisualization(classifier, saved, layer="conv4_block1_out")(
        helpers.images(2, 16, channels=1))
    assert pv.shape == (2, 16, 16, 1)
    again = decoder.train_decoder(tmp_path, TINY, RESUME)
    assert again.status == "skipped" and again.metrics == meta["metrics"]
    images, labels = cet.data.load_arrays("digits", "test", (16, 16))
    predicted = np.argmax(classifier.predict(images[:16], verbose=0), axis=-1)
    assert meta["metrics"]["classifier_test_accuracy"] == pytest.approx(
        np.mean(predicted == labels[:16]))
    assert 0 <= meta["metrics"]["random_encoder_test_ssim"] <= 1
    assert {"random_encoder_test_loss", "random_encoder_test_mse"} <= set(meta["metrics"])


@pytest.mark.e2e  # end to end on every architecture / a whole job: minutes
def test_the_zoo_classifier_is_trained_before_it_is_inverted(tmp_path):
    config = dataclasses.replace(TINY, random_encoder=False, max_examples=256, max_test_examples=64,
                                 classifier_epochs=3)
    result = decoder.train_decoder(tmp_path, config, QUIET)
    assert "random_encoder_test_ssim" not in result.metrics
    assert result.metrics["classifier_test_accuracy"] > 0.3  # 10 classes: chance is 0.1


def script_parser() -> argparse.ArgumentParser:
    """The parser of training/train_decoder.py: the command's options on a plain parser."""
    parser = argparse.ArgumentParser()
    train_decoder_command.add_arguments(parser)
    return parser


def test_cli_runs_the_job_and_reports_bad_config(capsys):
    args = cli.build_parser().parse_args(["train-decoder", "--out", "unused", "--epochs", "0"])
    assert args.handler is train_decoder_command.run
    assert cli.main(["train-decoder", "--out", "unused", "--epochs", "0"]) == 2
    assert "train-decoder: error: epochs: expected an int >= 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize(("field", "value", "message"), [
    ("loss_weights", (0.2, 0.4), r"loss_weights: expected 3 non-negative floats"),
    ("learning_rate", 0.0, "learning_rate: expected a positive float, got 0.0"),
    ("batch_size", 0, "batch_size: expected an int >= 1, got 0"),
    ("max_test_examples", 0, "max_test_examples: expected an int >= 1, got 0"),
    ("classifier_epochs", -1, "classifier_epochs: expected an int >= 0, got -1"),
])
def test_bad_config_values_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **{field: value})


def test_unknown_preset_and_arch_are_refused_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit):
        script_parser().parse_args(["--out", str(tmp_path), "--preset", "fast"])
    assert "invalid choice: 'fast' (choose from" in capsys.readouterr().err
    with pytest.raises(ValueError, match="arch: expected one of"):
        decoder.train_decoder(tmp_path, dataclasses.replace(TINY, arch="resnet18"))
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_classifier_file_is_reported_as_such(tmp_path):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UnreadableModelError, match="classifier: .* not a readable .keras file"):
        decoder.train_decoder(tmp_path / "out", TINY, QUIET, classifier=tmp_path / "broken.keras")


def test_script_parser_matches_the_cli():
    args = script_parser().parse_args(["--out", "x", "--preset", "paper",
                                       "--image-size", "32", "32"])
    assert args.preset == "paper" and args.image_size == [32, 32] and args.classifier is None


def test_interrupted_run_leaves_only_a_backup_and_resume_finishes_it(tmp_path, monkeypatch):
    config = dataclasses.replace(TINY, epochs=2, classifier_epochs=0, random_encoder=False)
    save_epoch = keras.callbacks.BackupAndRestore.on_epoch_end

    def interrupt_after_first_epoch(self, epoch, logs=None):
        save_epoch(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.BackupAndRestore, "on_epoch_end",
                        interrupt_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        decoder.train_decoder(tmp_path, config, QUIET)
    assert [p.name.startswith(".backup-") for p in tmp_path.iterdir()] == [True]
    monkeypatch.setattr(keras.callbacks.BackupAndRestore, "on_epoch_end", save_epoch)
    decoder.train_decoder(tmp_path, config, RESUME)
    meta = json.loads((tmp_path / "decoder.json").read_text())
    assert len(meta["history"]["loss"]) == 1  # only the second epoch was left to run
    assert not any(p.name.startswith(".backup-") for p in tmp_path.iterdir())
