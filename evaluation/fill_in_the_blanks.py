"""Fill in the blanks protocol: prototype consistency (Table 1) and Figs. 3, 4 and 5.

Run: python evaluation/fill_in_the_blanks.py --classifier runs/cls/digits__vgg_lite.keras
     --dataset digits --image-size 28 28 [--count 100] [--num-masks 1000] --out reports/fitb
Writes table1.json-style numbers in report.json, fig3_progressive.png (the fills step by step),
fig4_ablation.png (mask ratio x patch size) and fig5_gradient_vs_bfgs.png, all atomically.
The protocol itself is `cnn_explain_tf.protocols.fill_blanks.evaluate`.
"""

import argparse
import json
import sys
from pathlib import Path

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts
from cnn_explain_tf.protocols import fill_blanks


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

    model = artifacts.load_model(args.classifier, "classifier")
    images, labels = cet.data.load_arrays(args.dataset, "test", args.image_size, seed=args.seed)
    report = {"classifier": str(args.classifier), "dataset": args.dataset,
              **fill_blanks.evaluate(model, images, labels, args.out, count=args.count,
                                     num_masks=args.num_masks, mask_ratio=args.mask_ratio,
                                     patch_size=args.patch_size, ratios=args.ratios,
                                     patch_sizes=args.patch_sizes, seed=args.seed)}
    artifacts.write_json(report, args.out / "report.json")
    print(json.dumps({k: v for k, v in report.items() if k != "versions"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
