"""Options the training commands share, declared without importing TensorFlow.

The choices here are literals so that `cnn-explain X --help` stays light; tests check that they
equal the library's own tuples (`training.strategy.STRATEGIES`, `data.cgma_shards.SEMANTICS`).
"""

from __future__ import annotations

import argparse

__all__ = ["SEMANTICS", "STRATEGIES", "add_image_size", "add_run_options", "run_options"]

STRATEGIES = ("default", "mirrored", "multiworker")
"""`training.strategy.STRATEGIES`: the tf.distribute strategies a job can run under."""
SEMANTICS = ("similar", "dissimilar")
"""`data.cgma_shards.SEMANTICS`: the paper's strategy 1 (similar) and 2 (dissimilar)."""


def add_run_options(parser: argparse.ArgumentParser, resume_help: str,
                    quiet_help: str = "no progress output, only the result line") -> None:
    """Adds the options of `training.options.RunOptions` to a job's parser: --mixed-precision,
    --distribute, --resume, --seed and --quiet (read back with `run_options`)."""
    parser.add_argument("--mixed-precision", action="store_true",
                        help="mixed_float16 on GPU, mixed_bfloat16 on CPU")
    parser.add_argument("--distribute", choices=list(STRATEGIES), default="default",
                        help="tf.distribute strategy (default: one device)")
    parser.add_argument("--resume", action="store_true", help=resume_help)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help=quiet_help)


def run_options(args: argparse.Namespace):
    """The `training.options.RunOptions` of options parsed by a parser given `add_run_options`."""
    from cnn_explain_tf.training.options import RunOptions

    return RunOptions(mixed_precision=args.mixed_precision, distribute=args.distribute,
                      resume=args.resume, seed=args.seed, verbose=0 if args.quiet else 1)


def add_image_size(parser: argparse.ArgumentParser, description: str | None = None) -> None:
    """Adds --image-size H W (None when not given)."""
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"), help=description)
