"""Evaluates trained PV decoders: Fig. 2 (right/wrong predictions with Grad-CAM) and Fig. 7.

Run: python evaluation/perception_visualization.py --run runs/pv [--second-run runs/pv_b]
     [--count 256] --out reports/pv
Each --run is an output folder of `cnn-explain train-decoder`; the second run must invert the same
classifier (train it with --classifier RUN/classifier.keras on another dataset) for the invariance
experiment. Writes fig2_reconstructions.png, fig7_invariance.png and report.json (atomically).
The evaluation itself is `cnn_explain_tf.studies.perception.evaluate_decoders`.
"""

import argparse
from pathlib import Path

from cnn_explain_tf.studies.perception import evaluate_decoders, summary

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a train-decoder output folder")
    parser.add_argument("--second-run", type=Path,
                        help="a decoder of the same classifier trained on another dataset")
    parser.add_argument("--count", type=int, default=256, help="test images used")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(summary(evaluate_decoders(args.run, args.out, args.second_run, args.count)))
