"""The `fill-in-the-blanks` command line: its options, and running it from parsed options."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from cnn_explain_tf.fill_blanks_study.config import PRESETS
from cnn_explain_tf.fill_blanks_study.study import result_line, run_study
from cnn_explain_tf.pipeline import add_job_arguments

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the study's options to `parser` (shared by the CLI and evaluation/)."""
    add_job_arguments(parser, PRESETS, "smoke: seconds, for tests; quick: 2 CPU cores, minutes; "
                                       "paper: MNIST / Fashion-MNIST through tfds, N* = 10,000")
    parser.add_argument("--classifier", type=Path,
                        help="a .keras classifier to measure instead of training (on the "
                             "preset's first dataset, or --dataset)")
    parser.add_argument("--dataset", help="the dataset of --classifier")
    parser.add_argument("--num-masks", type=int, help="override N*, kept masks per image")
    parser.add_argument("--count", type=int, help="override the test images of Table 1")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs the study from parsed `add_arguments` options; returns the exit status.

    Errors go to stderr as "fill-in-the-blanks: error: ..." with status 2.
    """
    overrides = {"num_masks": args.num_masks, "count": args.count, "seed": args.seed,
                 "datasets": (args.dataset,) if args.dataset else None}
    try:
        config = dataclasses.replace(PRESETS[args.preset],
                                     **{k: v for k, v in overrides.items() if v is not None})
        run_study(args.out, config, classifier=args.classifier, verbose=0 if args.quiet else 1)
    except (ValueError, TypeError, OSError) as error:
        print(f"fill-in-the-blanks: error: {error}", file=sys.stderr)
        return 2
    print(result_line(args.out))
    return 0
