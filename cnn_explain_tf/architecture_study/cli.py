"""The `compare-architectures` command line: its options, and running it from parsed options."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from cnn_explain_tf.architecture_study.config import PRESETS
from cnn_explain_tf.architecture_study.run import compare_architectures, result_line
from cnn_explain_tf.pipeline import add_job_arguments

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `compare-architectures` options to `parser`."""
    add_job_arguments(parser, PRESETS, "smoke: about a minute, for tests; quick: 13 lite models on "
                                       "2 CPU cores, < 20 min; paper: the paper's ImageNet models "
                                       "on --images")
    parser.add_argument("--images", type=Path,
                        help="a folder of images to explain (paper preset: e.g. the paper's 20 "
                             "ImageNet images)")
    parser.add_argument("--weights", nargs="*", default=[], metavar="ARCH=PATH",
                        help="Keras .weights.h5 files for archs Keras has no ImageNet weights "
                             "for, e.g. alexnet=alexnet.weights.h5")
    return parser


def main(args: argparse.Namespace) -> int:
    """Runs the study from parsed `add_arguments` options; returns the exit status (2: bad
    input, reported as "compare-architectures: error: ...")."""
    try:
        config = PRESETS[args.preset]
        changes = {"seed": args.seed} if args.seed is not None else {}
        if args.images is not None:
            changes["images_dir"] = str(args.images)
        if args.weights:
            changes["weight_files"] = tuple(_weight_file(spec) for spec in args.weights)
        compare_architectures(args.out, dataclasses.replace(config, **changes),
                              verbose=0 if args.quiet else 1)
    except (ValueError, OSError) as error:
        print(f"compare-architectures: error: {error}", file=sys.stderr)
        return 2
    if args.quiet:
        print(result_line(args.out))
    return 0


def _weight_file(spec: str) -> tuple[str, str]:
    arch, separator, path = spec.partition("=")
    if not separator or not arch or not path:
        raise ValueError(f"--weights: expected ARCH=PATH, got {spec!r}")
    return arch, path
