"""The `cli` package: one table of commands, a light parser, one error handler, shared options."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_explain_tf import cli
from cnn_explain_tf.cli import common, gan_balance
from cnn_explain_tf.cli import reproduce as reproduce_command

MINE = ("demo", "explain", "export", "reproduce", "compare-architectures", "fill-in-the-blanks",
        "gan-balance")


def _fresh_python(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return run.stdout.strip()


def test_parsing_and_help_do_not_import_tensorflow():
    code = ("import sys, contextlib, io\n"
            "from cnn_explain_tf.cli import build_parser, main\n"
            "build_parser()\n"
            "for argv in (['--help'], ['reproduce', '--help'], ['gan-balance', '--help']):\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "        main(argv)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    assert _fresh_python(code) == "False False"


def test_importing_the_package_loads_no_subpackage():
    code = ("import sys, cnn_explain_tf\n"
            "print('tensorflow' in sys.modules, 'cnn_explain_tf.explain' in sys.modules)")
    assert _fresh_python(code) == "False False"


def test_every_command_is_in_the_parser():
    subcommands = next(action for action in cli.build_parser()._actions
                       if isinstance(action, argparse._SubParsersAction))
    assert set(MINE) <= set(subcommands.choices)
    assert set(subcommands.choices) <= set(cli.COMMANDS)


def test_typed_errors_are_one_line_with_status_2(tmp_path, capsys):
    status = cli.main(["compare-architectures", "--preset", "smoke", "--out", str(tmp_path),
                       "--weights", "alexnet", "--quiet"])
    assert status == 2
    assert capsys.readouterr().err == ("cnn-explain compare-architectures: error: --weights: "
                                       "expected ARCH=PATH, got 'alexnet'\n")


def test_other_exceptions_are_not_swallowed(monkeypatch):
    from cnn_explain_tf.cli import demo

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(demo, "run", broken)
    with pytest.raises(KeyError):
        cli.main(["demo"])


def test_job_arguments_share_preset_out_seed_and_quiet(capsys):
    parser = argparse.ArgumentParser()
    common.add_job_arguments(parser, "presets", ("smoke", "quick")).add_argument(
        "--seeds", type=int, nargs="+")
    args = parser.parse_args(["--out", "runs/x", "--seed", "3", "--quiet"])
    assert (args.preset, args.out, args.seed, args.quiet) == ("quick", Path("runs/x"), 3, True)
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", "x", "--seed", "1", "--seeds", "1", "2"])
    assert "argument --seeds: not allowed with argument --seed" in capsys.readouterr().err


def test_the_literal_choices_are_the_librarys():
    from cnn_explain_tf.studies import architectures, fill_in_the_blanks, reproduce
    from cnn_explain_tf.studies import gan_balance as study

    assert tuple(reproduce.PRESETS) == reproduce_command.PRESETS
    for presets in (architectures.PRESETS, fill_in_the_blanks.PRESETS):
        assert tuple(presets) == common.PRESET_NAMES
    assert gan_balance.VARIANT_NAMES == tuple(study.VARIANTS)


def test_gan_balance_defaults_are_the_studys(monkeypatch, tmp_path, capsys):
    from cnn_explain_tf.studies import gan_balance as study

    seen = {}

    def run_study(classifiers, shards, out, config, verbose):
        seen["config"] = config
        return []

    monkeypatch.setattr(study, "run_study", run_study)
    monkeypatch.setattr(study, "markdown_table", lambda rows, config: "table\n")
    argv = ["gan-balance", "--classifiers", "c", "--shards", "s", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    assert seen["config"] == study.DEFAULT and capsys.readouterr().out == "table\n"
    assert cli.main([*argv, "--variants", "d_filters_16", "--seeds", "4", "--epochs", "2"]) == 0
    assert seen["config"].variants == ("baseline", "d_filters_16")
    assert (seen["config"].seeds, seen["config"].gan.epochs) == ((4,), 2)
