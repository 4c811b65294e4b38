"""`cnn-explain evaluate`: the metric scorecard of explainers on a saved model, as HTML/CSV/JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["FAMILY_NAMES", "add_arguments", "load_images", "run"]

FAMILY_NAMES = ("faithfulness", "robustness", "complexity", "randomisation", "localisation")
"""`metrics.FAMILIES` as literals: parsing loads no TensorFlow."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnn-explain evaluate`."""
    parser.add_argument("--model", type=Path, required=True, help="a .keras classifier")
    parser.add_argument("--data", required=True,
                        help="an embedded dataset name (e.g. digits), tfds:NAME, folder:PATH, or "
                             "a .npy batch of (B, H, W, C) floats in [0, 1]")
    parser.add_argument("--split", default="test", help="dataset split (default test)")
    parser.add_argument("--count", type=int, default=64, help="images evaluated (default 64)")
    parser.add_argument("--methods", default="gradcam,gradcam++,saliency",
                        help="comma-separated explainer names (cnn_explain_tf.explain.names())")
    parser.add_argument("--families", default=",".join(FAMILY_NAMES),
                        help=f"comma-separated metric families among {', '.join(FAMILY_NAMES)}")
    parser.add_argument("--masks", action="store_true",
                        help="load the dataset's ground-truth masks (embedded datasets) for the "
                             "localisation family")
    parser.add_argument("--out", type=Path, required=True,
                        help="output directory: report.html, scorecard.csv, scorecard.json")
    parser.add_argument("--seed", type=int, default=0, help="seed of the embedded dataset")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quiet", action="store_true", help="only the result line")


def run(args: argparse.Namespace) -> int:
    """Runs `metrics.scorecard` and writes its page and tables; returns the exit status."""
    from cnn_explain_tf import artifacts, graph, metrics
    from cnn_explain_tf.metrics.scorecard_report import write_scorecard

    families = [name.strip() for name in args.families.split(",") if name.strip()]
    unknown = sorted(set(families) - set(FAMILY_NAMES))
    if unknown:
        raise ValueError(f"--families: expected names among {list(FAMILY_NAMES)}, got {unknown}")
    if args.count < 1:
        raise ValueError(f"--count: expected an int >= 1, got {args.count}")
    methods = [name.strip() for name in args.methods.split(",") if name.strip()]
    model = artifacts.load_model(args.model, "model")
    images, masks = load_images(args, graph.input_shape(model)[:2])
    card = metrics.scorecard(model, images, methods, masks=masks, families=families,
                             batch_size=args.batch_size, verbose=0 if args.quiet else 1)
    config = {"model": str(args.model), "data": args.data, "split": args.split,
              "count": len(images), "methods": methods, "families": families}
    paths = write_scorecard(card, args.out, f"Explanation scorecard: {args.model.name}", config)
    print(f"wrote {paths['html']}, {paths['csv'].name} and {paths['json'].name} "
          f"({len(methods)} methods x {len(card.families)} metrics)")
    return 0


def load_images(args: argparse.Namespace, size: tuple[int, int]):
    """(the first --count images, their masks (B, H, W, 1) or None)."""
    import numpy as np

    from cnn_explain_tf import data

    if args.data.endswith(".npy"):
        if args.masks:
            raise ValueError("--masks: expected an embedded dataset, got a .npy batch")
        return np.load(args.data)[:args.count].astype(np.float32), None
    arrays = data.load_arrays(args.data, args.split, image_size=size, with_masks=args.masks,
                              seed=args.seed)
    return arrays[0][:args.count], (arrays[2][:args.count] if args.masks else None)
