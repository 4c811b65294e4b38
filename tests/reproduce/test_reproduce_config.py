"""The reproduction's config: presets composed from the jobs' presets, validation, stage hashes."""

import dataclasses
from pathlib import Path

import pytest

from cnn_explain_tf import reproduce
from cnn_explain_tf.cgma_shards import ShardSpec
from cnn_explain_tf.reproduce.layout import Run
from cnn_explain_tf.reproduce.stages import build_chain
from cnn_explain_tf.training import classifiers, sft_gan
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.training.sft_gan import GANConfig
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize("change, message", [
    ({"unseen_archs": ()}, "unseen_archs: expected at least one name, got none"),
    ({"archs": ("vgg_lite", "alexnet")}, "archs: expected names of .*, got 'alexnet'"),
    ({"datasets": ("textures",)}, "datasets: expected datasets of similar semantics"),
    ({"eval_count": 0}, "eval_count: expected an int >= 1, got 0"),
    ({"noise_amounts": (0.1, 1.5)}, r"noise_amounts: expected fractions in \(0, 1\]"),
])
def test_bad_configs_are_refused_before_any_work(change, message):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(reproduce.PRESETS["smoke"], **change)


def test_a_directory_with_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="expected a new or empty directory"):
        reproduce.reproduce(tmp_path, "smoke", verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_unknown_preset_is_refused(tmp_path):
    with pytest.raises(InputError, match="preset: expected one of"):
        reproduce.reproduce(tmp_path, "huge")


def test_stage_hashes_chain_downstream():
    config = reproduce.PRESETS["smoke"]
    changed = dataclasses.replace(config, shards=dataclasses.replace(config.shards, k=6))
    before, after = (build_chain(Run(Path("run"), c)) for c in (config, changed))
    assert [s.name for s in before] == ["classifiers", "cgma", "gan", "evaluate"]
    assert before[0].config_hash == after[0].config_hash
    for old, new in zip(before[1:], after[1:]):
        assert old.config_hash != new.config_hash


def test_presets_are_named_and_keep_their_values():
    assert {name: config.preset for name, config in reproduce.PRESETS.items()} == {
        "smoke": "smoke", "quick": "quick", "paper": "paper"}
    smoke, quick, paper = (reproduce.PRESETS[name] for name in ("smoke", "quick", "paper"))
    quick_classifier = TrainConfig(epochs=3, batch_size=64, image_size=(32, 32),
                                   optimizer="adam", learning_rate=1e-2, schedule="cosine")
    assert quick.classifier == quick_classifier == classifiers.PRESETS["quick"]
    assert smoke.classifier == dataclasses.replace(quick_classifier, epochs=1, max_examples=256)
    assert paper.classifier == TrainConfig(epochs=20, batch_size=32, image_size=(64, 64),
                                           optimizer="paper", transfer=True)
    assert smoke.gan == GANConfig(epochs=1, batch_size=16, max_examples=48, learning_rate=1e-3)
    assert quick.gan == GANConfig(epochs=8, batch_size=32, max_examples=512, learning_rate=1e-3)
    assert paper.gan == sft_gan.PRESETS["paper"] == GANConfig(
        epochs=50, batch_size=16, generator_size="paper", discriminator_filters=64,
        discriminator_downsamples=3)
    assert (smoke.shards, quick.shards, paper.shards) == (
        ShardSpec(image_size=(32, 32), k=8, max_examples=48),
        ShardSpec(image_size=(32, 32), k=8, max_examples=512),
        ShardSpec(image_size=(64, 64), k=8))
    assert (smoke.eval_count, smoke.noise_amounts, smoke.noise_count, smoke.leaderboard_count,
            smoke.sanity_count, smoke.sanity_checkpoints) == (12, (0.1, 0.5), 4, 4, 2, 1)
    assert (paper.eval_count, paper.noise_count, paper.leaderboard_count,
            paper.sanity_count) == (512, 64, 128, 16)
