"""Draws the pictures of the README and the docs into docs/assets/ (run it after an explainer
changes; about two minutes on two CPU cores).

    python docs/gen_assets.py [--out docs/assets]

`explainers.png` is the grid `cnn-explain demo` draws (every registered explainer on six digits);
`family_*.png` show one family of methods each on three of the same digits.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
FAMILIES = {
    "gradients": ["saliency", "smoothgrad", "guided_backprop", "deconvnet", "lrp_epsilon"],
    "cams": ["gradcam", "gradcam++", "scorecam", "hirescam", "xgradcam", "layercam", "eigencam",
             "ablationcam", "guided_gradcam"],
    "attributions": ["gradient_x_input", "integrated_gradients", "occlusion", "rise"],
}
"""Family name -> the registered explainers its picture shows."""


def draw(out: Path, seed: int = 0) -> list[Path]:
    """Runs the demo into a temporary folder, copies its grid, and draws one grid per family."""
    import keras
    import numpy as np

    from cnn_explain_tf import data, demo, explain, viz

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as work:
        grid = demo.run_demo(work, seed=seed, verbose=0)
        shutil.copyfile(grid, out / "explainers.png")
        written.append(out / "explainers.png")
        model = keras.models.load_model(Path(work) / "digits__vgg_lite.keras")
    images, _ = data.load_arrays("digits", "test", seed=seed)
    images = images[np.random.default_rng(seed).choice(len(images), 3, replace=False)]
    for family, methods in FAMILIES.items():
        options = {"smoothgrad": {"num_samples": 16}, "scorecam": {"max_channels": 32}}
        maps = {name: explain.get(name)(model, **options.get(name, {}))(images)
                for name in methods}
        path = out / f"family_{family}.png"
        viz.comparison_grid(images, maps, path)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in draw(args.out, args.seed):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
