"""Run options every training job shares (precision, tf.distribute, resume, seed, verbosity)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping

from cnn_explain_tf.training.strategy import STRATEGIES
from cnn_explain_tf.validation import check_choice, check_positive_int

__all__ = ["RunOptions", "add_run_options", "run_options", "with_overrides"]


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How a job runs, as opposed to what it computes (its config).

    Attributes:
        mixed_precision: train under mixed_float16 (GPU) or mixed_bfloat16 (CPU).
        distribute: the `tf.distribute` strategy: "default", "mirrored" or "multiworker" (see
            `strategy.get_strategy`).
        resume: reuse finished work with the same config hash and continue interrupted work.
        seed: seeds weight init and shuffling.
        verbose: 0 silences progress bars and tables; 1 shows them.
    """

    mixed_precision: bool = False
    distribute: str = "default"
    resume: bool = False
    seed: int = 0
    verbose: int = 1

    def __post_init__(self):
        check_choice("distribute", self.distribute, STRATEGIES)
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("verbose", self.verbose, minimum=0)


def add_run_options(parser: argparse.ArgumentParser, resume_help: str,
                    quiet_help: str = "no progress output, only the result line") -> None:
    """Adds the options of `RunOptions` to a job's parser: --mixed-precision, --distribute,
    --resume, --seed and --quiet (read back with `run_options`)."""
    parser.add_argument("--mixed-precision", action="store_true",
                        help="mixed_float16 on GPU, mixed_bfloat16 on CPU")
    parser.add_argument("--distribute", choices=list(STRATEGIES), default="default",
                        help="tf.distribute strategy (default: one device)")
    parser.add_argument("--resume", action="store_true", help=resume_help)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help=quiet_help)


def run_options(args: argparse.Namespace) -> RunOptions:
    """The `RunOptions` of options parsed from a parser extended by `add_run_options`."""
    return RunOptions(mixed_precision=args.mixed_precision, distribute=args.distribute,
                      resume=args.resume, seed=args.seed, verbose=0 if args.quiet else 1)


def with_overrides(preset, overrides: Mapping):
    """A copy of the frozen dataclass `preset` with every override that is not None applied.

    This is how a job's CLI resolves a named preset plus flags into the config the job takes.
    """
    return dataclasses.replace(preset, **{key: value for key, value in overrides.items()
                                          if value is not None})
