"""The `reproduce` command line: its options, and running it from parsed options."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from cnn_explain_tf.pipeline import add_job_arguments
from cnn_explain_tf.reproduce.config import PRESETS
from cnn_explain_tf.reproduce.seeds import reproduce_seeds
from cnn_explain_tf.reproduce.stages import reproduce, result_line
from cnn_explain_tf.training.sft_gan import CheckpointError, TrainingDivergedError

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `reproduce` options to `parser` (shared by the CLI and evaluation/)."""
    seeds = add_job_arguments(parser, PRESETS, "smoke: minutes, for tests; quick: 2 CPU cores, "
                                               "< 30 min; paper: the paper's sizes, for a GPU")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                       help="run once per seed into OUT/seed_<n> and add the seed section "
                            "(mean +- std over seeds, verdicts per seed) in OUT")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs `reproduce` from parsed `add_arguments` options; returns the exit status.

    With --quiet the run prints only its result line ("wrote DIR/report.html and
    DIR/results.json"); errors go to stderr as "reproduce: error: ..." with status 2.
    """
    try:
        config = PRESETS[args.preset]
        if args.seed is not None:
            config = dataclasses.replace(config, seed=args.seed)
        verbose = 0 if args.quiet else 1
        if getattr(args, "seeds", None) is not None:
            reproduce_seeds(args.out, config, args.seeds, verbose=verbose)
        else:
            reproduce(args.out, config, verbose=verbose)
    except (ValueError, TypeError, OSError, CheckpointError, TrainingDivergedError) as error:
        print(f"reproduce: error: {error}", file=sys.stderr)
        return 2
    if args.quiet:
        print(result_line(args.out))
    return 0
