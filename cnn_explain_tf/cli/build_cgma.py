"""The `build-cgma` command: sharded CGMA datasets of the classifiers of a train-classifiers run."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cnn_explain_tf.cli.common import preset_config
from cnn_explain_tf.cli.options import SEMANTICS, add_image_size

__all__ = ["PRESETS", "add_arguments", "run"]

PRESETS = ("quick", "paper")
"""`data.cgma_shards.PRESETS`' names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `build-cgma` options to `parser`."""
    parser.add_argument("--classifiers", required=True, type=Path,
                        help="output directory of train-classifiers")
    parser.add_argument("--out", required=True, type=Path, help="output directory of the shards")
    parser.add_argument("--semantics", choices=list(SEMANTICS), default="similar",
                        help="build from the classifiers of similar-semantics datasets (the "
                             "paper's strategy 1) or of dissimilar ones (strategy 2)")
    parser.add_argument("--datasets", nargs="+", metavar="NAME", help="restrict to these datasets")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    add_image_size(parser, "override the GAN's resolution (quick 32 32, paper 64 64)")
    parser.add_argument("--k", type=int, help="override the CGMAs per image (8)")
    parser.add_argument("--held-out-fraction", type=float,
                        help="override the share of held-out classes (0.3)")
    parser.add_argument("--max-examples", type=int, help="cap per pair and split")
    parser.add_argument("--shard", default="0/1", help="i/n: build the i-th of n disjoint shards")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, help="override the class split's seed (0)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars, only the result line")


def run(args: argparse.Namespace) -> int:
    """Runs `training.cgma_writer.build_cgma` from parsed options; prints one result line.

    Raises:
        InputError: a bad spec or shard, or no classifier to build from.
        UnreadableModelError: a classifier is not a readable `.keras` file.
    """
    from cnn_explain_tf.data.cgma_shards import PRESETS as SPECS
    from cnn_explain_tf.data.cgma_shards import parse_shard
    from cnn_explain_tf.training.cgma_writer import build_cgma

    start = time.perf_counter()
    overrides = {"image_size": tuple(args.image_size) if args.image_size else None,
                 "k": args.k, "held_out_fraction": args.held_out_fraction,
                 "seed": args.seed, "max_examples": args.max_examples}
    spec = preset_config(SPECS, args.preset, **overrides)
    counts = build_cgma(args.classifiers, args.out, spec, semantics=args.semantics,
                        datasets=args.datasets, shard=parse_shard(args.shard),
                        batch_size=args.batch_size, verbose=0 if args.quiet else 1)
    total, seconds = sum(counts.values()), time.perf_counter() - start
    print(f"wrote {total} examples of {len(counts)} pairs in {seconds:.1f} s "
          f"({total / seconds:.1f} images/s) to {args.out}")
    return 0
