"""The reproduction's config: presets composed from the jobs' presets, validation, stage hashes."""

import dataclasses
from pathlib import Path

import pytest
from helpers import CNN_EXPLAINERS

from cnn_explain_tf import cli, data
from cnn_explain_tf.data.cgma_shards import ShardSpec
from cnn_explain_tf.studies import reproduce
from cnn_explain_tf.studies.reproduce.config import LEADERBOARD_METHODS, SMOKE_GENERATOR
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.stages import build_chain
from cnn_explain_tf.training import classifiers, sft_gan
from cnn_explain_tf.training.classifiers import TrainConfig
from cnn_explain_tf.training.sft_gan import GANConfig
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize("change, message", [
    ({"unseen_archs": ()}, "unseen_archs: expected at least one name, got none"),
    ({"archs": ("vgg_lite", "vgg_huge")}, "archs: expected names of .*, got 'vgg_huge'"),
    ({"datasets": ("textures", "digits")}, "datasets: expected datasets of similar semantics"),
    ({"dissimilar_datasets": ("objects32", "letters")},
     "dissimilar_datasets: expected datasets of dissimilar semantics, got 'letters'"),
    ({"datasets": ("digits",)}, r"datasets: expected at least two datasets of similar "
                                r"semantics \(a strategy trains its GANs on several datasets\), "
                                r"got \['digits'\]"),
    ({"dissimilar_datasets": ()}, "dissimilar_datasets: expected at least two datasets"),
    ({"unseen_datasets": ("lowercase", "objects32")},
     r"unseen_datasets: expected datasets that neither strategy trains on .*, got \['objects32'\]: "
     "they would not be unseen"),
    ({"eval_count": 0}, "eval_count: expected an int >= 1, got 0"),
    ({"leaderboard_datasets": ("objects32",)},
     r"leaderboard_datasets: expected some of the datasets \['digits', 'symbols'\] or None"),
    ({"noise_amounts": (0.1, 1.5)}, r"noise_amounts: expected fractions in \(0, 1\]"),
    ({"leaderboard_methods": ("gradcam", "magic")},
     r"leaderboard_methods: expected some of \['saliency', .*\], got \('gradcam', 'magic'\)"),
    ({"leaderboard_methods": ()}, "leaderboard_methods: expected some of"),
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
    assert [s.name for s in before] == ["classifiers", "cgma", "gan", "evaluate", "fig7"]
    assert before[0].config_hash == after[0].config_hash
    for old, new in zip(before[1:], after[1:]):
        assert old.config_hash != new.config_hash


def test_presets_are_named_and_keep_their_values():
    assert {name: config.preset for name, config in reproduce.PRESETS.items()} == {
        "smoke": "smoke", "quick": "quick", "paper": "paper", "paper-data": "paper-data"}
    smoke, quick, paper = (reproduce.PRESETS[name] for name in ("smoke", "quick", "paper"))
    quick_classifier = TrainConfig(epochs=3, batch_size=64, image_size=(32, 32),
                                   optimizer="adam", learning_rate=1e-2, schedule="cosine")
    assert quick_classifier == classifiers.PRESETS["quick"]
    assert quick.classifier == dataclasses.replace(quick_classifier, max_examples=2048)
    assert smoke.classifier == dataclasses.replace(quick_classifier, epochs=1, max_examples=256)
    # Sec. 4.1: 20 epochs, SGD for VGG / Adam for the others, learning rate 1e-3, ImageNet.
    assert paper.classifier == TrainConfig(epochs=20, batch_size=32, image_size=(64, 64),
                                           optimizer="paper", learning_rate=1e-3, transfer=True)
    assert smoke.gan == GANConfig(epochs=1, batch_size=16, max_examples=32, learning_rate=1e-3,
                                  generator_size=SMOKE_GENERATOR)
    assert SMOKE_GENERATOR.num_blocks == smoke.shards.k == 4  # one SFT block per CGMA
    assert quick.gan == sft_gan.PRESETS["quick"] == GANConfig(
        epochs=4, batch_size=32, max_examples=256, learning_rate=1e-3)
    assert paper.gan == sft_gan.PRESETS["paper"] == GANConfig(
        epochs=50, batch_size=16, generator_size="paper", discriminator_filters=64,
        discriminator_downsamples=3)
    assert (smoke.shards, quick.shards, paper.shards) == (
        ShardSpec(image_size=(32, 32), k=4, max_examples=32),
        ShardSpec(image_size=(32, 32), k=8, max_examples=256),
        ShardSpec(image_size=(64, 64), k=8))
    assert (smoke.eval_count, smoke.noise_amounts, smoke.noise_count, smoke.leaderboard_count,
            smoke.sanity_count, smoke.sanity_checkpoints, smoke.rise_masks) == (
                12, (0.1, 0.5), 4, 4, 2, 1, 64)
    for config in (smoke, quick, paper):  # one unseen set of each semantics, seen by neither
        assert [data.info(name).semantics for name in config.unseen_datasets] == [
            "similar", "dissimilar"]
        assert not set(config.unseen_datasets) & set(config.seen_datasets())
    assert quick.datasets == ("digits", "letters", "symbols")
    assert quick.dissimilar_datasets == ("shapes64", "objects32", "textures")
    assert (paper.eval_count, paper.noise_count, paper.leaderboard_count,
            paper.sanity_count) == (512, 64, 128, 16)


def test_stage_configs_name_both_strategies_and_leave_the_bootstrap_to_the_report():
    config = reproduce.PRESETS["smoke"]
    own = config.stage_configs()
    assert own["classifiers"]["dissimilar_datasets"] == ("objects32", "textures")
    assert "resamples" not in own["evaluate"] and own["evaluate"]["rise_masks"] == 64
    fewer_methods = dataclasses.replace(config, leaderboard_methods=("gradcam",))
    assert fewer_methods.stage_configs()["evaluate"] != own["evaluate"]
    assert reproduce.PRESETS["quick"].leaderboard_datasets == ("digits",)
    fewer = dataclasses.replace(config, resamples=50).stage_configs()
    assert fewer["evaluate"] == own["evaluate"]


def test_every_registered_explainer_is_on_the_leaderboard():
    assert set(LEADERBOARD_METHODS) == set(CNN_EXPLAINERS) | {"gsft", "lsft"}
    assert len(set(LEADERBOARD_METHODS)) == len(LEADERBOARD_METHODS)
    for name in ("quick", "paper"):  # smoke: one of each kind, for the tests' time
        assert reproduce.PRESETS[name].leaderboard_methods == LEADERBOARD_METHODS
    assert reproduce.PRESETS["smoke"].leaderboard_methods == (
        "saliency", "rise", "gradcam", "gsft", "lsft")


def test_cli_reports_bad_output_directories(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert cli.main(["reproduce", "--preset", "smoke", "--out", str(blocker / "run"),
                     "--quiet"]) == 2
    assert "reproduce: error: --out: cannot create the directory" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    (foreign / "gan").mkdir(parents=True)
    assert cli.main(["reproduce", "--preset", "smoke", "--out", str(foreign), "--quiet"]) == 2
    assert "expected a new or empty directory" in capsys.readouterr().err
    assert cli.main(["reproduce", "--preset", "smoke", "--out", str(tmp_path / "s"), "--seeds",
                     "0", "0", "--quiet"]) == 2
    assert "reproduce: error: seeds: expected distinct ints >= 0" in capsys.readouterr().err


@pytest.mark.parametrize(("given", "message"), [
    (["0", "0"], "reproduce: error: seeds: expected distinct ints >= 0, got [0, 0] (negative: "
                 "[], given twice: [0])"),
    (["1", "-2"], "negative: [-2], given twice: []"),
])
def test_cli_refuses_bad_seeds_before_any_work(tmp_path, capsys, given, message):
    out = tmp_path / "run"
    assert cli.main(["reproduce", "--preset", "smoke", "--seeds", *given, "--out", str(out),
                     "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
