"""`cnn-explain fill-in-the-blanks`: the Fill in the blanks paper's study, from its options."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import add_job_arguments, preset_config, run_study

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the study's options to `parser`."""
    add_job_arguments(parser, "smoke: seconds, for tests; quick: 2 CPU cores, minutes; "
                              "paper: MNIST / Fashion-MNIST through tfds, N* = 10,000")
    parser.add_argument("--classifier", type=Path,
                        help="a .keras classifier to measure instead of training (on the "
                             "preset's first dataset, or --dataset)")
    parser.add_argument("--dataset", help="the dataset of --classifier")
    parser.add_argument("--num-masks", type=int, help="override N*, kept masks per image")
    parser.add_argument("--count", type=int, help="override the test images of Table 1")
    parser.add_argument("--fill-rule",
                        help="Eq. 4's normalisation before the threshold in both modes: "
                             "minmax, positive or symmetric (default: minmax for random, "
                             "symmetric for progressive; see the Fill in the blanks page)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs the study from parsed `add_arguments` options; returns the exit status."""
    from cnn_explain_tf.studies.fill_in_the_blanks import PRESETS
    from cnn_explain_tf.studies.fill_in_the_blanks import run_study as fill_in_the_blanks

    config = preset_config(PRESETS, args.preset, num_masks=args.num_masks, count=args.count,
                           seed=args.seed, datasets=(args.dataset,) if args.dataset else None,
                           fill_rule=args.fill_rule)
    return run_study(args, lambda verbose: fill_in_the_blanks(
        args.out, config, classifier=args.classifier, verbose=verbose))
