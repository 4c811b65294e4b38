"""The training commands (train-classifiers, train-decoder, train-gan, build-cgma): light parsing,
choices equal to the library's, typed errors reported by the dispatcher."""

import subprocess
import sys

import pytest

from cnn_explain_tf import cli
from cnn_explain_tf.cli import build_cgma, options, train_classifiers, train_decoder, train_gan

COMMANDS = {"train-classifiers": train_classifiers, "train-decoder": train_decoder,
            "train-gan": train_gan, "build-cgma": build_cgma}


def test_help_of_the_training_commands_does_not_import_tensorflow():
    code = ("import sys, contextlib, io\n"
            "from cnn_explain_tf.cli import main\n"
            f"for name in {list(COMMANDS)}:\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "        main([name, '--help'])\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "False False"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_runs_its_module(name):
    parser = cli.build_parser()
    required = {"train-classifiers": ["--out", "o"], "train-decoder": ["--out", "o"],
                "train-gan": ["--shards", "s", "--out", "o"],
                "build-cgma": ["--classifiers", "c", "--out", "o"]}[name]
    assert parser.parse_args([name, *required]).handler is COMMANDS[name].run


def test_literal_choices_equal_the_library_ones():
    from cnn_explain_tf.data import cgma_shards
    from cnn_explain_tf.models import sft
    from cnn_explain_tf.training import classifiers, decoder, losses, sft_gan, strategy

    assert options.STRATEGIES == strategy.STRATEGIES
    assert options.SEMANTICS == cgma_shards.SEMANTICS
    assert train_classifiers.PRESETS == tuple(classifiers.PRESETS)
    assert train_decoder.PRESETS == tuple(decoder.PRESETS)
    assert train_gan.PRESETS == tuple(sft_gan.PRESETS)
    assert train_gan.VARIANTS == tuple(sft_gan.VARIANTS)
    assert train_gan.RECONSTRUCTION == tuple(losses.RECONSTRUCTION)
    assert set(train_gan.GENERATOR_SIZES) == set(sft.GENERATOR_SIZES)
    assert build_cgma.PRESETS == tuple(cgma_shards.PRESETS)


def test_run_lets_typed_errors_propagate_and_main_reports_them(tmp_path, capsys):
    args = cli.build_parser().parse_args(["build-cgma", "--classifiers", str(tmp_path),
                                          "--out", str(tmp_path / "out"), "--quiet"])
    with pytest.raises(ValueError, match="classifiers: expected"):
        build_cgma.run(args)
    assert cli.main(["build-cgma", "--classifiers", str(tmp_path), "--out",
                     str(tmp_path / "out"), "--quiet"]) == 2
    assert "cnn-explain build-cgma: error: classifiers: expected" in capsys.readouterr().err


def test_run_options_are_read_back():
    args = cli.build_parser().parse_args(["train-gan", "--shards", "s", "--out", "o",
                                          "--resume", "--seed", "3", "--quiet"])
    from cnn_explain_tf.training.options import RunOptions

    assert options.run_options(args) == RunOptions(resume=True, seed=3, verbose=0)


def test_generator_size_reaches_the_gan_config(monkeypatch, capsys):
    from cnn_explain_tf.models import sft
    from cnn_explain_tf.training import sft_gan

    seen = []

    def record(shards, out, variant, config, **kwargs):
        seen.append(config)
        return {"variant": variant, "pairs": ["p"], "seconds": 1.0, "losses": {"rec_loss": [0.5]}}

    monkeypatch.setattr(sft_gan, "train_sft_gan", record)
    args = cli.build_parser().parse_args(["train-gan", "--shards", "s", "--out", "o",
                                          "--generator-size", "wide", "--epochs", "2"])
    assert train_gan.run(args) == 0
    assert seen[0] == sft_gan.GANConfig(**{**vars(sft_gan.PRESETS["quick"]),
                                           "generator_size": "wide", "epochs": 2})
    assert sft.resolve_generator_size(seen[0].generator_size).channels == 32
    args = cli.build_parser().parse_args(["train-gan", "--shards", "s", "--out", "o"])
    train_gan.run(args)
    assert seen[1] == sft_gan.PRESETS["quick"]
    assert "trained lsft on 1 pairs" in capsys.readouterr().out


def test_an_unknown_generator_size_is_refused(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.build_parser().parse_args(["train-gan", "--shards", "s", "--out", "o",
                                       "--generator-size", "huge"])
    assert raised.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err
