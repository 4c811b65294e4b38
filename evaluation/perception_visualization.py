"""Evaluates trained PV decoders: Fig. 2 (right/wrong predictions with Grad-CAM) and Fig. 7.

Run: python evaluation/perception_visualization.py --run runs/pv [--second-run runs/pv_b]
     [--count 256] --out reports/pv
Each --run is an output folder of `cnn-explain train-decoder`; the second run must invert the same
classifier (train it with --classifier RUN/classifier.keras on another dataset) for the invariance
experiment. Writes fig2_reconstructions.png, fig7_invariance.png and report.json (atomically).
"""

import argparse
import json
import sys
from pathlib import Path

import keras
import numpy as np

import cnn_explain_tf as cet
from cnn_explain_tf import artifacts, viz
from cnn_explain_tf.explain import perception


def load_run(folder: Path) -> tuple[dict, keras.Model]:
    meta = json.loads((folder / "decoder.json").read_text())
    return meta, keras.models.load_model(folder / "decoder.keras", compile=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a train-decoder output folder")
    parser.add_argument("--second-run", type=Path, help="a decoder of the same classifier "
                                                        "trained on another dataset (Fig. 7)")
    parser.add_argument("--count", type=int, default=256, help="test images used")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    meta, decoder = load_run(args.run)
    config = meta["config"]
    model = keras.models.load_model(meta["classifier"], compile=False)
    images, labels = cet.data.load_arrays(config["dataset"], "test", config["image_size"])
    images, labels = images[:args.count], labels[:args.count]
    report = {"run": str(args.run), "layer": meta["layer"], "images": len(images),
              "versions": artifacts.library_versions()}
    report["fig2"] = perception.reconstruction_figure(
        model, decoder, images, labels, args.out / "fig2_reconstructions.png", layer=meta["layer"])
    if args.second_run:
        second_meta, second = load_run(args.second_run)
        names = (config["dataset"], second_meta["config"]["dataset"])
        outputs, report["fig7_ssim"] = perception.compare_decoders(
            model, dict(zip(names, (decoder, second))), images[:64], meta["layer"])
        shown = {"image": images[:6], **{f"decoder ({k})": v[:6] for k, v in outputs.items()}}
        viz.image_grid(shown, args.out / "fig7_invariance.png",
                                   title="one encoder, decoders trained on different data")
    artifacts.write_json(report, args.out / "report.json")
    print(json.dumps({k: v for k, v in report.items() if k != "versions"}, indent=2,
                     default=lambda value: float(np.asarray(value))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
