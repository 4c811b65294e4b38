"""Tests for SFT-GAN training: loss goes down, checkpoints resume, NaN stops, the train-gan job."""

import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from cgma_fixtures import classifiers_dir, shards_dir  # noqa: F401  (shared fixtures)

from cnn_explain_tf import cli
from cnn_explain_tf.models import sft
from cnn_explain_tf.training import sft_gan
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.validation import InputError

TINY = sft.GeneratorSize(channels=8, num_blocks=4, condition_filters=8, condition_channels=4)
CONFIG = dataclasses.replace(sft_gan.PRESETS["quick"], epochs=1, batch_size=4,
                             generator_size=TINY, discriminator_filters=8)
QUIET, RESUME = RunOptions(verbose=0), RunOptions(resume=True, verbose=0)


def _batches(seed=0):
    rng = np.random.default_rng(seed)
    image = rng.random((8, 16, 16, 3), np.float32)
    cgma = rng.random((8, 16, 16, 4), np.float32)
    return image, cgma, cgma[..., -1:].copy()


def test_twenty_steps_on_tiny_data_lower_the_reconstruction_loss():
    keras.utils.set_random_seed(0)
    gan = sft_gan.SFTGAN(sft.build_lsft_generator((16, 16, 3), 4, TINY),
                         sft.build_discriminator((16, 16, 3), 8, 2))
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5))
    image, cgma, target = _batches()
    before = float(gan.reconstruction_loss(target, gan([image, cgma])))
    data = tf.data.Dataset.from_tensor_slices((image, cgma, target)).batch(4).repeat(10)
    history = gan.fit(data, epochs=1, verbose=0)
    after = float(gan.reconstruction_loss(target, gan([image, cgma])))
    assert int(gan.g_optimizer.iterations) == 20 and after < 0.9 * before
    assert set(history.history) == {"d_loss", "g_loss", "rec_loss", "adv_loss"}


def _constant_discriminator(logit: float) -> keras.Model:
    """A discriminator whose every patch logit is `logit` (zero kernels, that bias)."""
    discriminator = sft.build_discriminator((16, 16, 3), 8, 2)
    for layer in discriminator.layers:
        for weight in layer.weights:
            weight.assign(np.zeros(weight.shape, np.float32))
    discriminator.get_layer("logits").bias.assign([logit])
    return discriminator


@pytest.mark.parametrize(("real_label", "expected"), [(1.0, 1.673976), (0.9, 1.783837)])
def test_label_smoothing_sets_the_discriminator_loss_of_a_step(real_label, expected):
    # every logit ln 3 (D says 0.75 "real"): real term -(t log 0.75 + (1 - t) log 0.25) is
    # 0.287682 for t = 1 and 0.397543 for t = 0.9; fake term -log(1 - 0.75) = 1.386294
    gan = sft_gan.SFTGAN(sft.build_lsft_generator((16, 16, 3), 4, TINY),
                         _constant_discriminator(np.log(3.0)), real_label=real_label)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    image, cgma, target = _batches()
    losses = gan.train_step(tuple(tf.constant(array[:4]) for array in (image, cgma, target)))
    assert float(losses["d_loss"]) == pytest.approx(expected, abs=1e-5)


class _TwoPassSFTGAN(sft_gan.SFTGAN):
    """The plain pix2pix step: G runs once for D's update and again inside G's own tape."""

    def train_step(self, batch):
        image, cgma, target = batch
        fake = self.generator([image, cgma], training=True)
        d_loss = self._train_discriminator(image, target, fake)
        with tf.GradientTape() as tape:
            generated = self.generator([image, cgma], training=True)
            g_loss, rec_loss, adv_loss, scaled = self._generator_losses(image, target, generated)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._update({"d_loss": d_loss, "g_loss": g_loss, "rec_loss": rec_loss,
                             "adv_loss": adv_loss})


def test_one_generator_pass_per_step_trains_like_two():
    results = []
    for model in (sft_gan.SFTGAN, _TwoPassSFTGAN):
        keras.utils.set_random_seed(0)
        gan = model(sft.build_lsft_generator((16, 16, 3), 4, TINY),
                    sft.build_discriminator((16, 16, 3), 8, 2))
        gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5),
                    keras.optimizers.Adam(1e-3, beta_1=0.5))
        history = gan.fit(tf.data.Dataset.from_tensor_slices(_batches()).batch(4).repeat(3),
                          epochs=1, verbose=0).history
        results.append((history, [w.numpy() for w in gan.generator.weights]))
    (one, one_weights), (two, two_weights) = results
    assert one.keys() == two.keys()
    for name in one:
        np.testing.assert_allclose(one[name], two[name], rtol=1e-5)
    for a, b in zip(one_weights, two_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_discriminator_lr_scale_slows_only_the_discriminator():
    gan = sft_gan.build_gan("lsft", (16, 16, 3), 4,
                            dataclasses.replace(CONFIG, discriminator_lr_scale=0.25))
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(CONFIG.learning_rate)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(0.25 * CONFIG.learning_rate)
    default = sft_gan.build_gan("lsft", (16, 16, 3), 4, CONFIG)
    assert float(default.d_optimizer.learning_rate) == pytest.approx(CONFIG.learning_rate)
    assert default.real_label == 1.0 and CONFIG.real_label == 1.0


def test_resume_continues_step_count_and_optimizer_state(shards_dir, tmp_path):  # noqa: F811
    first = sft_gan.train_sft_gan(shards_dir, tmp_path, "gsft", CONFIG, options=QUIET)
    steps = first["steps"]
    assert steps == 1  # 6 examples, batches of 4 (remainder dropped)
    fresh = sft_gan.build_gan("gsft", (16, 16, 3), 3, CONFIG)
    saver = sft_gan.SFTGANCheckpoint(fresh, tmp_path / "checkpoints")
    assert saver.restore() == 1 and int(fresh.g_optimizer.iterations) == steps
    assert any(np.abs(v.numpy()).sum() > 0 for v in fresh.g_optimizer.variables
               if "momentum" in v.path)
    second = sft_gan.train_sft_gan(shards_dir, tmp_path, "gsft",
                                   dataclasses.replace(CONFIG, epochs=2), options=RESUME)
    assert second["initial_epoch"] == 1 and second["steps"] == 2 * steps
    with pytest.raises(InputError, match="checkpoints already exist"):
        sft_gan.train_sft_gan(shards_dir, tmp_path, "gsft", CONFIG, options=QUIET)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(shards_dir, tmp_path):  # noqa: F811
    sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, options=QUIET)
    broken = dataclasses.replace(CONFIG, epochs=3, lambda_rec=float("nan"))
    with pytest.raises(sft_gan.TrainingDivergedError, match="non-finite.*ckpt-1"):
        sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", broken, options=RESUME)
    assert tf.train.latest_checkpoint(tmp_path / "checkpoints").endswith("ckpt-1")


def test_partial_checkpoint_is_a_clear_error_not_a_restart(shards_dir, tmp_path):  # noqa: F811
    sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, options=QUIET)
    for index in (tmp_path / "checkpoints").glob("*.index"):
        index.unlink()
    (tmp_path / "generator.json").unlink()  # else the finished run would simply be reused
    with pytest.raises(sft_gan.CheckpointError, match="partial, corrupted"):
        sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, options=RESUME)


def test_train_gan_job_saves_generator_and_json(shards_dir, tmp_path, capsys):  # noqa: F811
    assert cli.main(["train-gan", "--shards", str(shards_dir), "--out", str(tmp_path),
                     "--variant", "lsft", "--epochs", "1", "--batch-size", "4", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("trained lsft on 1 pairs in ") and printed.count("\n") == 1
    meta = json.loads((tmp_path / "generator.json").read_text())
    assert meta["variant"] == "lsft" and meta["k"] == 3 and meta["pairs"] == ["digits__tiny"]
    assert meta["image_shape"] == [16, 16, 3] and len(meta["losses"]["rec_loss"]) == 1
    generator = keras.models.load_model(tmp_path / "generator.keras")
    assert generator.output_shape == (None, 16, 16, 1)
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    assert meta["semantics"] == "similar" and "strategy" not in meta
    assert cli.main(["train-gan", "--shards", str(shards_dir), "--out", str(tmp_path / "b"),
                     "--semantics", "dissimilar", "--quiet"]) == 2


def test_resume_reuses_a_finished_run_of_the_same_config(shards_dir, tmp_path):  # noqa: F811
    first = sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, options=QUIET)
    stamp = (tmp_path / "generator.keras").stat().st_mtime_ns
    again = sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, options=RESUME)
    assert again == json.loads((tmp_path / "generator.json").read_text())
    assert again["config_hash"] == first["config_hash"] and again["steps"] == first["steps"]
    assert (tmp_path / "generator.keras").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(("change", "message"), [
    ({"epochs": 0}, "epochs: expected an int >= 1, got 0"),
    ({"reconstruction": "huber"}, r"reconstruction: expected one of \['mse', 'mae'\]"),
    ({"generator_size": "huge"}, "size: expected one of"),
    ({"real_label": 0.4}, r"real_label: expected a label in \(0.5, 1\], got 0.4"),
    ({"real_label": 1.1}, r"real_label: expected a label in \(0.5, 1\], got 1.1"),
    ({"discriminator_lr_scale": 0.0}, "discriminator_lr_scale: expected a finite factor > 0"),
])
def test_bad_config_values_are_refused(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(CONFIG, **change)


def test_unknown_semantics_and_variant_are_refused(shards_dir, tmp_path):  # noqa: F811
    with pytest.raises(InputError, match=r"semantics: expected one of \['similar', 'dissimilar'\]"):
        sft_gan.train_sft_gan(shards_dir, tmp_path, "lsft", CONFIG, semantics="1", options=QUIET)
    with pytest.raises(InputError, match="variant: expected one of"):
        sft_gan.train_sft_gan(shards_dir, tmp_path, "hsft", CONFIG, options=QUIET)
    assert list(tmp_path.iterdir()) == []
