"""Evaluates trained PV decoders: Fig. 2 (right/wrong predictions with Grad-CAM) and Fig. 7.

Run: python evaluation/perception_visualization.py --run runs/pv [--second-run runs/pv_b]
     [--count 256] --out reports/pv
Each --run is an output folder of `cnn-explain train-decoder`; the second run must invert the same
classifier (train it with --classifier RUN/classifier.keras on another dataset) for the invariance
experiment. Writes fig2_reconstructions.png, fig7_invariance.png and report.json (atomically).
The protocol itself is `cnn_explain_tf.protocols.perception.evaluate`.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts
from cnn_explain_tf.protocols import perception


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a train-decoder output folder")
    parser.add_argument("--second-run", type=Path, help="a decoder of the same classifier "
                                                        "trained on another dataset (Fig. 7)")
    parser.add_argument("--count", type=int, default=256, help="test images used")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    report = perception.evaluate(args.run, args.out, args.second_run, args.count)
    artifacts.write_json(report, args.out / "report.json")
    print(json.dumps({k: v for k, v in report.items() if k != "versions"}, indent=2,
                     default=lambda value: float(np.asarray(value))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
