"""The `train-classifiers` command: zoo classifiers on every dataset x architecture pair."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import preset_config
from cnn_explain_tf.cli.options import add_image_size, add_run_options, run_options

__all__ = ["PRESETS", "add_arguments", "run"]

PRESETS = ("quick", "paper")
"""`training.classifiers.PRESETS`' names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `train-classifiers` options to `parser`."""
    parser.add_argument("--datasets", nargs="+", metavar="NAME",
                        help="cnn_explain_tf.data names (default: the similar-semantics sets)")
    parser.add_argument("--archs", nargs="+", metavar="ARCH",
                        help="zoo architectures, any of cnn_explain_tf.models.zoo.list_archs() "
                             "(default: the lite nets for quick, vgg16 resnet50 mobilenet for "
                             "paper)")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    add_image_size(parser, "override the preset's image size")
    add_run_options(parser, resume_help="skip pairs already trained with the same config")


def run(args: argparse.Namespace) -> int:
    """Runs `training.classifiers.train_classifiers` from parsed options; prints one result line.

    Raises:
        InputError: an unknown dataset or arch, or an image size an arch refuses.
    """
    from cnn_explain_tf.training.classifiers import DEFAULT_ARCHS, train_classifiers
    from cnn_explain_tf.training.classifiers import PRESETS as RECIPES

    overrides = {"epochs": args.epochs, "image_size": tuple(args.image_size or ()) or None}
    config = preset_config(RECIPES, args.preset, **overrides)
    results = train_classifiers(args.out, args.datasets, args.archs or DEFAULT_ARCHS[args.preset],
                                config, run_options(args))
    trained = sum(result.status == "trained" for result in results)
    print(f"trained {trained} and reused {len(results) - trained} classifiers in "
          f"{sum(r.seconds for r in results):.1f} s -> {args.out}")
    return 0
