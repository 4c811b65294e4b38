"""The `train-decoder` command: a Perception Visualization decoder for a truncated classifier."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import preset_config
from cnn_explain_tf.cli.options import add_image_size, add_run_options, run_options

__all__ = ["PRESETS", "add_arguments", "run"]

PRESETS = ("quick", "paper")
"""`training.decoder.PRESETS`' names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `train-decoder` options to `parser`."""
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--classifier", type=Path,
                        help="a .keras classifier to invert (default: build --arch from the zoo)")
    parser.add_argument("--dataset", help="cnn_explain_tf.data name (default: the preset's)")
    parser.add_argument("--arch", help="zoo encoder, one of cnn_explain_tf.models.zoo.list_archs()")
    parser.add_argument("--weights", help="zoo weights of the encoder, e.g. imagenet")
    parser.add_argument("--layer", help="truncation layer (default conv5_block3_out)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    add_image_size(parser)
    parser.add_argument("--max-examples", type=int, help="cap on the train images")
    add_run_options(parser, resume_help="continue an interrupted run; skip a finished one")


def run(args: argparse.Namespace) -> int:
    """Runs `training.decoder.train_decoder` from parsed options; prints one result line.

    Raises:
        InputError: a bad config, an unknown dataset or an image size the arch refuses.
        UnreadableModelError: --classifier is not a readable `.keras` file.
    """
    from cnn_explain_tf.training.decoder import PRESETS as RECIPES
    from cnn_explain_tf.training.decoder import train_decoder

    overrides = {"dataset": args.dataset, "arch": args.arch, "weights": args.weights,
                 "layer": args.layer, "epochs": args.epochs, "batch_size": args.batch_size,
                 "image_size": tuple(args.image_size) if args.image_size else None,
                 "max_examples": args.max_examples}
    config = preset_config(RECIPES, args.preset, **overrides)
    result = train_decoder(args.out, config, run_options(args), classifier=args.classifier)
    scores = ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.metrics.items()))
    print(f"{result.status} in {result.seconds:.0f} s: {scores} -> {result.path}")
    return 0
