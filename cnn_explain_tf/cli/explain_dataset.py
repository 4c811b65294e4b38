"""`cnn-explain explain-dataset`: explain a whole dataset into sharded maps and one index."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import MAX_PIXELS, NO_WAIT_HELP

__all__ = ["add_arguments", "run"]

RUNNERS = ("local", "beam", "ray")
METRIC_NAMES = ("average_drop", "increase_in_confidence", "deletion_auc", "insertion_auc", "aopc")
"""`batch.models.METRICS`, a literal here so that parsing loads no TensorFlow."""


def _target(text: str):
    return text if text == "label" else int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnn-explain explain-dataset`."""
    parser.add_argument("--model", type=Path, required=True,
                        help="a .keras classifier, or a SavedModel folder from cnn-explain export")
    parser.add_argument("--data", required=True,
                        help="tfds:NAME[:SPLIT], folder:PATH, tfrecord:GLOB or FILE.npy")
    parser.add_argument("--methods", nargs="+", default=["gradcam"],
                        help="explainer names (cnn_explain_tf.explain.names()); lsft/gsft use "
                             "the shipped generators unless --generator is given")
    parser.add_argument("--out", type=Path, required=True,
                        help="run folder: shards/, index.csv, skipped.csv, manifest.json; rerun "
                             "into it to finish an interrupted run")
    parser.add_argument("--generator", type=Path, help="a train-gan generator for lsft/gsft")
    parser.add_argument("--target", type=_target,
                        help="class to explain, or 'label' for each image's dataset label "
                             "(default: the predicted class)")
    parser.add_argument("--metrics", nargs="*", default=[], choices=METRIC_NAMES,
                        help="per-image metrics added to the index (per method)")
    parser.add_argument("--overlays", action="store_true",
                        help="also write overlays/<method>/<id>.png")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--shard-size", type=int, default=1024, help="images per shard file")
    parser.add_argument("--map-dtype", choices=["float16", "float32"], default="float16")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS,
                        help="skip image files whose header claims more pixels")
    parser.add_argument("--runner", choices=RUNNERS, default="local",
                        help="local (this process), beam (extra [beam]) or ray (extra [ray])")
    parser.add_argument("--beam-runner", default="DirectRunner",
                        help="Beam runner: DirectRunner, DataflowRunner, FlinkRunner, SparkRunner")
    parser.add_argument("--beam-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Beam pipeline option, passed as --KEY=VALUE (repeatable), e.g. "
                             "--beam-option project=P --beam-option region=europe-west1")
    parser.add_argument("--ray-address", help="Ray cluster address (default: a local Ray)")
    parser.add_argument("--num-workers", type=int, default=1, help="Ray actors")
    parser.add_argument("--quiet", action="store_true", help="only the result line")
    parser.add_argument("--no-wait", action="store_true", help=NO_WAIT_HELP)


def run(args: argparse.Namespace) -> int:
    """Runs the chosen runner and prints its result line; returns the exit status."""
    options = {"targets": args.target, "batch_size": args.batch_size,
               "shard_size": args.shard_size, "metrics": tuple(args.metrics),
               "overlays": args.overlays, "generator": args.generator,
               "map_dtype": args.map_dtype, "max_pixels": args.max_pixels,
               "wait": not args.no_wait, "verbose": 0 if args.quiet else 1}
    result = _runner(args)(str(args.model), args.data, args.methods, args.out, **options)
    print(result.line())
    return 0


def _runner(args: argparse.Namespace):
    """The runner's function, with its engine options bound."""
    import functools

    if args.runner == "local":
        from cnn_explain_tf.batch import explain_dataset

        return explain_dataset
    module = _engine(args.runner)
    if args.runner == "beam":
        flags = [f"--{option.removeprefix('--')}" for option in args.beam_option]
        return functools.partial(module.explain_dataset_beam, runner=args.beam_runner,
                                 pipeline_args=flags)
    return functools.partial(module.explain_dataset_ray, address=args.ray_address,
                             num_workers=args.num_workers)


def _engine(runner: str):
    """`scale.beam` or `scale.ray`, or a one-line error naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(f"cnn_explain_tf.scale.{runner}")
    except ModuleNotFoundError as error:
        if error.name not in ("apache_beam", "ray"):
            raise
        raise ValueError(f"runner: --runner {runner} needs the [{runner}] extra, got no "
                         f"{error.name} module (pip install 'cnn_explain_tf[{runner}]')") from None
