"""`cnn-explain export`: a saved classifier and its explainers as a TF Serving SavedModel."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import MAX_PIXELS

__all__ = ["add_arguments", "run", "shipped_generators"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnn-explain export`."""
    parser.add_argument("--model", type=Path, required=True, help="a .keras classifier")
    parser.add_argument("--methods", nargs="+", default=["gradcam"],
                        help="explainer names (cnn_explain_tf.explain.names()), 'all' for every "
                             "one, lsft/gsft: the shipped SFT-GAN generators (lsft-s1, lsft-s2, "
                             "gsft-s1, gsft-s2 name a strategy) or --generator's "
                             "(default: gradcam)")
    parser.add_argument("--generator", type=Path, nargs="+", default=[],
                        help="train-gan generators (.keras or run folders) instead of the "
                             "shipped ones; each adds its lsft/gsft signature")
    parser.add_argument("--out", type=Path, required=True,
                        help="the model's base folder (TF Serving --model_base_path); the "
                             "export is written to OUT/VERSION")
    parser.add_argument("--version", type=int, default=1, help="version folder (default 1)")
    parser.add_argument("--output", type=int, help="output index of a multi-output model")
    parser.add_argument("--images-bytes", action="store_true",
                        help="also write *_bytes signatures taking PNG/JPEG strings")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS,
                        help="with --images-bytes: refuse encoded images whose header claims "
                             f"more pixels, before decoding (default {MAX_PIXELS}, 4096 x 4096)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    parser.add_argument("--skip-failing", action="store_true",
                        help="leave out methods that cannot be exported instead of failing")
    parser.add_argument("--quiet", action="store_true", help="only the result line")


def run(args: argparse.Namespace) -> int:
    """Runs `serving.export` from parsed `add_arguments` options; prints one line per signature
    and a result line, and returns the exit status. Bad input (`InputError`,
    `UntraceableMethodError`) propagates to the dispatcher (status 2)."""
    from cnn_explain_tf import artifacts
    from cnn_explain_tf.serving.saved_model import export

    model = artifacts.load_model(args.model, "model")
    methods, generators = shipped_generators(args.methods, list(args.generator))
    result = export(model, args.out, methods, generators or None, args.version,
                    output=args.output, images_bytes=args.images_bytes,
                    max_pixels=args.max_pixels,
                    overwrite=args.overwrite, skip_failing=args.skip_failing,
                    verbose=0 if args.quiet else 1)
    skipped = f"; skipped {', '.join(result.skipped)}" if result.skipped else ""
    print(f"wrote {len(result.signatures)} signatures to {result.path}{skipped}")
    return 0


def shipped_generators(methods: list[str], generators: list[Path]) -> tuple[list, list]:
    """(methods, generators) for `serving.export`: without --generator, each lsft/gsft name
    (lsft-s1, ...) becomes its variant's signature served by the shipped generator's file."""
    from cnn_explain_tf.explain import pretrained

    if generators:
        return methods, generators
    names = [m for m in methods if pretrained.is_shipped(m)]
    return ([pretrained.card(m)["variant"] if m in names else m for m in methods],
            [pretrained.generator_path(m) for m in names])
