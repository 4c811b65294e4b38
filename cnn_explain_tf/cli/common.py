"""What the commands share: the up-front --out check, the job options, the one study runner."""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["MAX_PIXELS", "NO_WAIT_HELP", "PRESET_NAMES", "add_job_arguments", "output_dir",
           "preset_config", "run_study"]

PRESET_NAMES = ("smoke", "quick", "paper")
"""The presets of every staged study, by name (literals: parsing loads no study module)."""
MAX_PIXELS = 4096 * 4096
"""The default pixel limit of an image file or encoded image (`data.image_limits.MAX_PIXELS`, a
literal here so that parsing the command line loads no TensorFlow)."""
NO_WAIT_HELP = ("refuse (status 2) instead of waiting when another run holds --out (its "
                "OUT/.lock)")


def output_dir(path: Path, option: str = "--out") -> Path:
    """Checks, before any work starts, that `path` is a writable directory or can be created as
    one; creates nothing (the command does, once its input is accepted).

    Every command's --out goes through it first (the dispatcher calls it), so a file, a path
    under a file or a read-only folder is reported as bad input naming the path.

    Raises:
        ValueError: `path` is a file, or it cannot be created or written.
    """
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option}: expected a directory, got {path} (a file)")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{option}: cannot create the directory {path} ({existing} is a file)")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-test-"):
            pass
    except OSError as error:
        reason = error.strerror or error
        if existing == path:
            raise ValueError(f"{option}: expected a writable directory, got {path} "
                             f"({reason})") from error
        raise ValueError(f"{option}: cannot create the directory {path} ({reason} in "
                         f"{existing})") from error
    return path


def add_job_arguments(parser: argparse.ArgumentParser, preset_help: str,
                      presets=PRESET_NAMES) -> argparse._MutuallyExclusiveGroup:
    """Adds the options every multi-stage job shares: --preset, --out, --seed, --quiet and
    --no-wait.

    Returns the mutually exclusive group holding --seed, for a job with other seed options
    (reproduce adds --seeds to it).
    """
    parser.add_argument("--preset", choices=list(presets), default="quick", help=preset_help)
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="override the preset's seed")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output, only the result line")
    parser.add_argument("--no-wait", action="store_true", help=NO_WAIT_HELP)
    return seeds


def preset_config(presets: Mapping, name: str, **overrides):
    """`presets[name]` with the `overrides` that are not None replaced."""
    return dataclasses.replace(presets[name],
                               **{key: value for key, value in overrides.items()
                                  if value is not None})


def run_study(args: argparse.Namespace, study: Callable[[int], object]) -> int:
    """Runs `study(verbose)` (it prints its progress and result line unless --quiet); with
    --quiet prints only the result line. With --no-wait a run folder held by another run is
    refused instead of waited for. Errors propagate to the dispatcher."""
    from cnn_explain_tf.pipeline import waiting
    from cnn_explain_tf.studies.driver import result_line

    with waiting(not args.no_wait):
        study(0 if args.quiet else 1)
    if args.quiet:
        print(result_line(args.out))
    return 0
