"""The `train-gan` command: an LSFT or GSFT GAN on the CGMA shards of one semantics."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import preset_config
from cnn_explain_tf.cli.options import SEMANTICS, add_run_options, run_options

__all__ = ["GENERATOR_SIZES", "PRESETS", "RECONSTRUCTION", "VARIANTS", "add_arguments", "run"]

PRESETS = ("quick", "paper")
"""`training.sft_gan.PRESETS`' names."""
VARIANTS = ("lsft", "gsft")
"""`training.sft_gan.VARIANTS`' names."""
RECONSTRUCTION = ("mse", "mae")
"""`training.losses.RECONSTRUCTION`'s names."""
GENERATOR_SIZES = ("quick", "wide", "paper")
"""`models.sft.GENERATOR_SIZES`' names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `train-gan` options to `parser`."""
    parser.add_argument("--shards", required=True, type=Path, help="output of build-cgma")
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    parser.add_argument("--variant", choices=list(VARIANTS), default="lsft")
    parser.add_argument("--semantics", choices=list(SEMANTICS), default="similar",
                        help="train on the pairs of similar-semantics datasets (the paper's "
                             "strategy 1) or of dissimilar ones (strategy 2)")
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--batch-size", type=int, help="override the preset's batch size")
    parser.add_argument("--max-examples", type=int, help="override the per-pair example cap")
    parser.add_argument("--reconstruction", choices=list(RECONSTRUCTION))
    parser.add_argument("--generator-size", choices=list(GENERATOR_SIZES),
                        help="override the preset's generator size (wide: twice quick's channels)")
    add_run_options(parser, resume_help="continue from the last checkpoint; skip a finished run")


def run(args: argparse.Namespace) -> int:
    """Runs `training.sft_gan.train_sft_gan` from parsed options; prints one result line.

    Raises:
        InputError: bad options, no shards, or existing checkpoints without --resume.
        CheckpointError: the checkpoint to resume from cannot be restored.
        TrainingDivergedError: a loss became NaN or infinite.
    """
    from cnn_explain_tf.training.sft_gan import PRESETS as RECIPES
    from cnn_explain_tf.training.sft_gan import train_sft_gan

    overrides = {"epochs": args.epochs, "batch_size": args.batch_size,
                 "max_examples": args.max_examples, "reconstruction": args.reconstruction,
                 "generator_size": args.generator_size}
    config = preset_config(RECIPES, args.preset, **overrides)
    meta = train_sft_gan(args.shards, args.out, args.variant, config,
                         semantics=args.semantics, options=run_options(args))
    print(f"trained {meta['variant']} on {len(meta['pairs'])} pairs in "
          f"{meta['seconds']:.1f} s; final rec_loss {meta['losses']['rec_loss'][-1]:.4f}; "
          f"wrote {args.out / 'generator.keras'}")
    return 0
