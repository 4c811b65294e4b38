"""`cnn-explain reproduce`: the SFT-GAN paper end to end, from its options."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cnn_explain_tf.cli.common import PRESET_NAMES, add_job_arguments, preset_config, run_study

__all__ = ["PRESETS", "add_arguments", "run"]

PRESETS = (*PRESET_NAMES, "paper-data")
"""The reproduction's presets (literals: parsing loads no study module); paper-data reads the
paper's own datasets (`data.paper_sets`)."""


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `reproduce` options to `parser`."""
    seeds = add_job_arguments(parser, "smoke: minutes, for tests; quick: 2 CPU cores, < 30 min; "
                                      "paper: the paper's sizes, for a GPU; paper-data: the "
                                      "paper's recipe on its own datasets (downloaded first)",
                              presets=PRESETS)
    parser.add_argument("--data-root", type=Path, metavar="DIR",
                        help="folder holding the folder-based paper datasets (chinese-mnist/, "
                             "animals10/, food11/); default $CNN_EXPLAIN_TF_DATA or ./data")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                       help="run once per seed into OUT/seed_<n> and add the seed section "
                            "(mean +- std over seeds, verdicts per seed) in OUT")
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs `reproduce` (or `reproduce_seeds` with --seeds) from parsed options.

    With --quiet the run prints only its result line ("wrote DIR/report.html and
    DIR/results.json"). Every paper dataset of the config is checked readable before any
    training starts (`DatasetNotPreparedError` names the download page otherwise).
    """
    from cnn_explain_tf.data.paper_sets import DATA_ROOT_ENV, check_prepared
    from cnn_explain_tf.studies import reproduce as study

    if getattr(args, "data_root", None) is not None:
        os.environ[DATA_ROOT_ENV] = str(args.data_root.expanduser().resolve())
    config = preset_config(study.PRESETS, args.preset, seed=args.seed)
    check_prepared((*config.seen_datasets(), *config.unseen_datasets))
    if getattr(args, "seeds", None) is not None:
        return run_study(args, lambda verbose: study.reproduce_seeds(args.out, config, args.seeds,
                                                                     verbose=verbose))
    return run_study(args, lambda verbose: study.reproduce(args.out, config, verbose=verbose))
