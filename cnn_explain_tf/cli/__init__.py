"""The `cnn-explain` command line: every sub-command declared in one table, one error handler.

Each command is a module of this package with `add_arguments(parser)` and `run(args) -> int`;
it imports the library only inside `run`, so `cnn-explain --help` does not load TensorFlow.
TensorFlow's C++ start-up logging is hidden (see `startup`, run by the package's `__init__`
before TensorFlow loads) unless `--verbose` or `CNN_EXPLAIN_TF_VERBOSE=1` asks for it. Every
command returns an exit status: 0, or 2 for bad input or a file-system fault (an --out that is a
file or cannot be written is found before any work starts), reported as one line
`cnn-explain <command>: error: <message>`; with `--quiet` it prints only its result line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from cnn_explain_tf.cli.common import output_dir
from cnn_explain_tf.startup import wants_verbose

__all__ = ["COMMANDS", "build_parser", "main", "quiet_python_loggers"]

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("cnn_explain_tf.cli.demo", "train a small CNN on digits and compare explainers"),
    "explain": ("cnn_explain_tf.cli.explain", "explain images with a saved .keras model"),
    "explain-dataset": ("cnn_explain_tf.cli.explain_dataset",
                        "explain a whole dataset into sharded maps and an index (resumable; "
                        "local, Beam or Ray)"),
    "train-classifiers": ("cnn_explain_tf.cli.train_classifiers",
                          "train every dataset x architecture pair"),
    "train-decoder": ("cnn_explain_tf.cli.train_decoder",
                      "train a Perception Visualization decoder"),
    "build-cgma": ("cnn_explain_tf.cli.build_cgma",
                   "write sharded CGMA datasets (image, CGMAs, Grad-CAM) of trained classifiers"),
    "train-gan": ("cnn_explain_tf.cli.train_gan", "train an LSFT or GSFT conditional GAN"),
    "reproduce": ("cnn_explain_tf.cli.reproduce",
                  "the SFT-GAN paper end to end: classifiers, CGMAs, GANs, evaluation, report"),
    "export": ("cnn_explain_tf.cli.export",
               "export a classifier and its explainers as a TF Serving SavedModel"),
    "fill-in-the-blanks": ("cnn_explain_tf.cli.fill_in_the_blanks",
                           "the Fill in the blanks paper: Table 1 and Figs. 2-6 with a report"),
    "compare-architectures": ("cnn_explain_tf.cli.compare_architectures",
                              "heat maps across 13 models in 6 families: SSIM, Ward, AOPC, report"),
    "gan-balance": ("cnn_explain_tf.cli.gan_balance",
                    "SFT-GAN recipe variants x seeds: end losses and Table 3 against the baseline"),
    "evaluate": ("cnn_explain_tf.cli.evaluate",
                 "score explainers on a model: faithfulness, robustness, complexity, "
                 "randomisation, localisation (HTML, CSV, JSON)"),
}
"""Sub-command name -> (its module, with `add_arguments(parser)` and `run(args)`, its help)."""
BAD_INPUT = (ValueError, TypeError, OSError)
"""The exceptions of bad input and file-system faults (`InputError` is a ValueError)."""
VERBOSE_HELP = "show TensorFlow's start-up logging (or set CNN_EXPLAIN_TF_VERBOSE=1)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per `COMMANDS` entry (TensorFlow not loaded)."""
    parser = argparse.ArgumentParser(prog="cnn-explain", description="Explain CNN classifiers.")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    verbose = argparse.ArgumentParser(add_help=False)  # --verbose after the command works too
    verbose.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                         help=VERBOSE_HELP)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = commands.add_parser(name, help=help_text, parents=[verbose])
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cnn-explain` console script; returns the exit status.

    The command's --out is checked first (`common.output_dir`). The library's typed errors
    (bad input: `InputError` and other `ValueError`s, `TypeError`, `OSError`, a training
    checkpoint that cannot be resumed or a diverged run) end the command with status 2 and one
    line on stderr; any other exception is a bug and propagates.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if not wants_verbose(["cnn-explain", *argv]):
        quiet_python_loggers()
    try:
        if getattr(args, "out", None) is not None:
            output_dir(args.out)
        return args.handler(args)
    except Exception as error:  # noqa: BLE001 - narrowed to bad input just below
        if not (isinstance(error, BAD_INPUT) or isinstance(error, training_errors())):
            raise
        print(f"cnn-explain {args.command}: error: {error}", file=sys.stderr)
        return 2


def training_errors() -> tuple[type[Exception], ...]:
    """The training errors a command reports like bad input (status 2): a checkpoint that cannot
    be resumed, a diverged run. Imported only when an error is not `BAD_INPUT` (they load
    TensorFlow)."""
    from cnn_explain_tf.training.checkpoints import CheckpointError, TrainingDivergedError

    return CheckpointError, TrainingDivergedError


def quiet_python_loggers() -> None:
    """Hides the Python side of TensorFlow's and absl's logging below errors."""
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)

