"""The `reproduce` command line: its options, and running it from parsed options."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from cnn_explain_tf.reproduce.config import PRESETS
from cnn_explain_tf.reproduce.seeds import reproduce_seeds
from cnn_explain_tf.reproduce.stages import reproduce, result_line
from cnn_explain_tf.training.sft_gan import CheckpointError, TrainingDivergedError

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `reproduce` options to `parser` (shared by the CLI and evaluation/)."""
    parser.add_argument("--preset", choices=list(PRESETS), default="quick",
                        help="smoke: minutes, for tests; quick: 2 CPU cores, < 30 min; paper: "
                             "the paper's sizes, for a GPU machine")
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="override the preset's seed")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                       help="run once per seed into OUT/seed_<n> and add the seed section "
                            "(mean +- std over seeds, verdicts per seed) in OUT")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output, only the result line")
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
