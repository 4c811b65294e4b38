"""`cnn-explain reproduce`: the SFT-GAN paper end to end, from its options."""

from __future__ import annotations

import argparse

from cnn_explain_tf.cli.common import add_job_arguments, preset_config, run_study

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `reproduce` options to `parser`."""
    seeds = add_job_arguments(parser, "smoke: minutes, for tests; quick: 2 CPU cores, < 30 min; "
                                      "paper: the paper's sizes, for a GPU")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                       help="run once per seed into OUT/seed_<n> and add the seed section "
                            "(mean +- std over seeds, verdicts per seed) in OUT")
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs `reproduce` (or `reproduce_seeds` with --seeds) from parsed options.

    With --quiet the run prints only its result line ("wrote DIR/report.html and
    DIR/results.json").
    """
    from cnn_explain_tf.studies.reproduce import PRESETS, reproduce, reproduce_seeds

    config = preset_config(PRESETS, args.preset, seed=args.seed)
    if getattr(args, "seeds", None) is not None:
        return run_study(args, lambda verbose: reproduce_seeds(args.out, config, args.seeds,
                                                               verbose=verbose))
    return run_study(args, lambda verbose: reproduce(args.out, config, verbose=verbose))
