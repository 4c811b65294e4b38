"""`cnn-explain compare-architectures`: heat maps across CNN architectures, from its options."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import add_job_arguments, preset_config, run_study

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the `compare-architectures` options to `parser`."""
    add_job_arguments(parser, "smoke: about a minute, for tests; quick: 13 lite models on 2 CPU "
                              "cores, < 20 min; paper: the paper's ImageNet models on --images")
    parser.add_argument("--images", type=Path,
                        help="a folder of images to explain (paper preset: e.g. the paper's 20 "
                             "ImageNet images)")
    parser.add_argument("--weights", nargs="*", default=[], metavar="ARCH=PATH",
                        help="Keras .weights.h5 files for archs Keras has no ImageNet weights "
                             "for, e.g. alexnet=alexnet.weights.h5")
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs the study from parsed `add_arguments` options; returns the exit status."""
    from cnn_explain_tf.studies.architectures import PRESETS, compare_architectures

    config = preset_config(
        PRESETS, args.preset, seed=args.seed,
        images_dir=None if args.images is None else str(args.images),
        weight_files=tuple(weight_file(spec) for spec in args.weights) if args.weights else None)
    return run_study(args, lambda verbose: compare_architectures(args.out, config,
                                                                 verbose=verbose))


def weight_file(spec: str) -> tuple[str, str]:
    """("arch", "path") from "ARCH=PATH".

    Raises:
        ValueError: a spec without "=", an arch or a path.
    """
    arch, separator, path = spec.partition("=")
    if not separator or not arch or not path:
        raise ValueError(f"--weights: expected ARCH=PATH, got {spec!r}")
    return arch, path
