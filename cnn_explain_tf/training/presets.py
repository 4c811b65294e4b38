"""Training jobs from the command line: preset configs with overrides, shared run options."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping

from cnn_explain_tf.training.strategy import STRATEGIES


def with_overrides(preset, overrides: Mapping):
    """A copy of the frozen dataclass `preset` with every override that is not None applied."""
    return dataclasses.replace(preset, **{key: value for key, value in overrides.items()
                                          if value is not None})


def add_run_options(parser: argparse.ArgumentParser, resume_help: str, quiet_help: str) -> None:
    """Adds the options every distributed training job shares: --mixed-precision, --strategy,
    --resume, --seed and --quiet."""
    parser.add_argument("--mixed-precision", action="store_true",
                        help="mixed_float16 on GPU, mixed_bfloat16 on CPU")
    parser.add_argument("--strategy", choices=list(STRATEGIES), default="default")
    parser.add_argument("--resume", action="store_true", help=resume_help)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help=quiet_help)
