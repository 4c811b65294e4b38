"""Fill in the blanks protocol: prototype consistency (Table 1) and Figs. 3, 4 and 5.

Run: python evaluation/fill_in_the_blanks.py --classifier runs/cls/digits__vgg_lite.keras
     --dataset digits --image-size 28 28 [--count 100] [--num-masks 1000] --out reports/fitb
Writes table1.json-style numbers in report.json, fig3_progressive.png (the fills step by step),
fig4_ablation.png (mask ratio x patch size) and fig5_gradient_vs_bfgs.png, all atomically.
"""

import argparse
import json
import sys
from pathlib import Path

import keras
import numpy as np

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.explain import fill_blanks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", type=Path, required=True, help="a .keras classifier")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--image-size", type=int, nargs=2, default=(28, 28), metavar=("H", "W"))
    parser.add_argument("--count", type=int, default=100, help="test images for Table 1")
    parser.add_argument("--num-masks", type=int, default=1000, help="N* per image")
    parser.add_argument("--mask-ratio", type=float, default=0.25)
    parser.add_argument("--patch-size", type=int, default=2)
    parser.add_argument("--ratios", type=float, nargs="+", default=(0.1, 0.25, 0.5))
    parser.add_argument("--patch-sizes", type=int, nargs="+", default=(1, 2, 4))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    model = keras.models.load_model(args.classifier, compile=False)
    images, labels = cet.data.load_arrays(args.dataset, "test", args.image_size, seed=args.seed)
    options = {"num_masks": args.num_masks, "seed": args.seed}
    shown, shown_labels = images[:4], labels[:4]
    report = {"classifier": str(args.classifier), "dataset": args.dataset, "options": options,
              "mask_ratio": args.mask_ratio, "patch_size": args.patch_size,
              "versions": artifacts.library_versions()}
    report["table1"] = fill_blanks.consistency(
        model, images[:args.count], labels[:args.count], mask_ratio=args.mask_ratio,
        patch_size=args.patch_size, **options)

    steps = cet.explain.FillInTheBlanks(model, args.mask_ratio, args.patch_size,
                                        mode="progressive", **options)(shown, shown_labels)
    viz.image_grid({"image": shown, **{f"step {i + 1}": steps.steps[:, i]
                                        for i in range(steps.steps.shape[1])},
                     "prototype": steps.prototypes}, args.out / "fig3_progressive.png",
                    [f"label {label}" for label in shown_labels], "progressive filling")

    ablation = fill_blanks.mask_ablation(model, shown[:1], shown_labels[:1], args.ratios,
                                         args.patch_sizes, **options)
    viz.image_grid({f"patch {p}": [np.nan_to_num(ablation[(r, p)][0]) for r in args.ratios]
                     for p in args.patch_sizes}, args.out / "fig4_ablation.png",
                    [f"ratio {r}" for r in args.ratios], "prototype: mask ratio x patch size")

    orders = {direction: cet.explain.FillInTheBlanks(
        model, args.mask_ratio, args.patch_size, direction=direction,
        **{**options, "num_masks": min(args.num_masks, 256)})(shown, shown_labels).prototypes
              for direction in fill_blanks.DIRECTIONS}
    viz.image_grid({"image": shown, **orders}, args.out / "fig5_gradient_vs_bfgs.png",
                    [f"label {label}" for label in shown_labels], "first vs second order")
    report["fig5_agreement"] = float(np.mean(orders["gradient"] == orders["bfgs"]))
    artifacts.write_json(report, args.out / "report.json")
    print(json.dumps({k: v for k, v in report.items() if k != "versions"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
