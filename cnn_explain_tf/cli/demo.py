"""`cnn-explain demo`: train a small CNN on digits and compare the explainers in one grid."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnn-explain demo`."""
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output directory")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="only the result line")


def run(args: argparse.Namespace) -> int:
    """Runs `demo.run_demo` and prints the test accuracy and the grid's path.

    Raises:
        InputError: --epochs below 1 or a negative --seed (before any training).
    """
    from cnn_explain_tf.artifacts import read_json
    from cnn_explain_tf.demo import run_demo
    from cnn_explain_tf.validation import check_positive_int

    check_positive_int("epochs", args.epochs)
    check_positive_int("seed", args.seed, minimum=0)
    grid = run_demo(args.out, epochs=args.epochs, seed=args.seed, verbose=0 if args.quiet else 1)
    accuracy = read_json(args.out / "digits__vgg_lite.json")["test_accuracy"]
    print(f"test accuracy {accuracy:.3f}; wrote {grid}")
    return 0
