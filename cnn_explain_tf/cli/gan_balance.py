"""`cnn-explain gan-balance`: SFT-GAN recipe variants x seeds against the baseline."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import NO_WAIT_HELP

__all__ = ["VARIANT_NAMES", "add_arguments", "run"]

VARIANT_NAMES = ("baseline", "real_label_0.9", "d_lr_x0.25", "d_filters_16", "lambda_adv_0.1",
                 "lambda_adv_10")
"""`studies.gan_balance.VARIANTS`' names (literals: parsing loads no study module)."""


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the study's options to `parser`; the defaults are `studies.gan_balance.DEFAULT`'s."""
    parser.add_argument("--classifiers", required=True, type=Path,
                        help="the classifiers the shards were built from (train-classifiers)")
    parser.add_argument("--shards", required=True, type=Path, help="output of build-cgma")
    parser.add_argument("--out", required=True, type=Path, help="the study's folder")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANT_NAMES), metavar="NAME",
                        help=f"recipe changes to compare with the baseline, of "
                             f"{list(VARIANT_NAMES)} (default: real_label_0.9 d_lr_x0.25)")
    parser.add_argument("--seeds", nargs="+", type=int, help="GAN seeds (default: 0 1 2)")
    parser.add_argument("--epochs", type=int, help="GAN epochs (default: the quick recipe's)")
    parser.add_argument("--max-examples", type=int,
                        help="training examples per pair (default: the quick recipe's)")
    parser.add_argument("--eval-count", type=int,
                        help="held-out test images per pair for Table 3 (default 48)")
    parser.add_argument("--resamples", type=int, help="bootstrap resamples (default 2000)")
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    parser.add_argument("--no-wait", action="store_true", help=NO_WAIT_HELP)
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs `studies.gan_balance.run_study` from parsed options and prints its table.

    The study's folder is locked like a staged study's (`pipeline.RunLock`): a second study
    into it waits (or, with --no-wait, is refused); a killed run's temporaries are removed.
    """
    import dataclasses

    from cnn_explain_tf.pipeline import RunLock, remove_stale_temporaries
    from cnn_explain_tf.studies.gan_balance import BASELINE, DEFAULT, markdown_table, run_study

    def given(value, default):
        return default if value is None else value

    config = dataclasses.replace(
        DEFAULT, gan=dataclasses.replace(
            DEFAULT.gan, epochs=given(args.epochs, DEFAULT.gan.epochs),
            max_examples=given(args.max_examples, DEFAULT.gan.max_examples)),
        variants=tuple(dict.fromkeys([BASELINE, *given(args.variants, DEFAULT.variants)])),
        seeds=tuple(given(args.seeds, DEFAULT.seeds)),
        eval_count=given(args.eval_count, DEFAULT.eval_count),
        resamples=given(args.resamples, DEFAULT.resamples))
    args.out.mkdir(parents=True, exist_ok=True)
    with RunLock.acquire(args.out, wait=not args.no_wait) as lock:
        if lock.first:
            remove_stale_temporaries(args.out)
        rows = run_study(args.classifiers, args.shards, args.out, config,
                         verbose=0 if args.quiet else 1)
    print(markdown_table(rows, config), end="")
    return 0
