"""Times our explainers against tf-keras-vis and a forward pass on VGG16 and prints the ratios.

Run: python benchmarks/explainers.py [--repeats 5] [--batch 32] [--channels 16]
All timings are medians of `repeats` runs after one warm-up, measured side by side in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import warnings

import keras
import numpy as np
import tensorflow as tf
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.scorecam import Scorecam
from tf_keras_vis.utils.scores import CategoricalScore
from timing import median_seconds, print_report

import cnn_explain_tf as cet


def quietly(peer_call):
    """`peer_call` with tf-keras-vis's own noise hidden: Scorecam calls the model with a list
    (Keras's "structure of `inputs`" UserWarning) and `model.predict` with a progress bar."""

    def call():
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.filterwarnings("ignore", "The structure of `inputs`", UserWarning)
            return peer_call()

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", type=int, default=16, help="Score-CAM channel budget")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None, input_shape=(64, 64, 3), classes=10,
                                     classifier_activation=None)
    images = np.random.default_rng(0).random((args.batch, 64, 64, 3), dtype=np.float32)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    score = CategoricalScore(targets.tolist())
    forward = tf.function(lambda x: model(x, training=False))
    ours = cet.explain.GradCAM(model, layer=convs[-1])
    theirs = Gradcam(model, clone=False)
    our_score = cet.explain.ScoreCAM(model, layer=convs[-1], max_channels=args.channels)
    their_score = Scorecam(model, clone=False)
    one = images[:1]

    t = {
        "forward": median_seconds(lambda: forward(images).numpy(), args.repeats),
        "gradcam": median_seconds(lambda: ours(images, targets), args.repeats),
        "tkv_gradcam": median_seconds(lambda: theirs(score, images, penultimate_layer=convs[-1]),
                                      args.repeats),
        "intermediate": median_seconds(
            lambda: cet.cgma.intermediate_gradcams(model, images, targets), args.repeats),
        "tkv_per_layer": median_seconds(
            lambda: [theirs(score, images, penultimate_layer=name) for name in convs],
            max(1, args.repeats // 2)),
        "scorecam_1": median_seconds(lambda: our_score(one, targets[:1]), args.repeats),
        "tkv_scorecam_1": median_seconds(quietly(
            lambda: their_score(CategoricalScore(targets[:1].tolist()), one,
                                penultimate_layer=convs[-1], max_N=args.channels)), args.repeats),
        "scorecam_8": median_seconds(lambda: our_score(images[:8], targets[:8]), 3),
        "tkv_scorecam_8": median_seconds(quietly(
            lambda: their_score(CategoricalScore(targets[:8].tolist()), images[:8],
                                penultimate_layer=convs[-1], max_N=args.channels)), 3),
    }
    rows = [
        ("GradCAM / tf-keras-vis Gradcam", t["gradcam"] / t["tkv_gradcam"], "<= 0.33"),
        ("GradCAM / forward pass", t["gradcam"] / t["forward"], "<= 1.3"),
        (f"intermediate_gradcams ({len(convs)} layers) / forward", t["intermediate"] / t["forward"],
         "<= 2.5"),
        (f"tf-keras-vis Gradcam x{len(convs)} / intermediate_gradcams",
         t["tkv_per_layer"] / t["intermediate"], ">= 20"),
        (f"ScoreCAM / tf-keras-vis Scorecam (max {args.channels} channels, 8 images)",
         t["scorecam_8"] / t["tkv_scorecam_8"], "<= 0.5"),
        (f"ScoreCAM / tf-keras-vis Scorecam ({args.channels} channels, 1 image)",
         t["scorecam_1"] / t["tkv_scorecam_1"], "<= 0.5"),
    ]
    print(f"VGG16 64x64x3, 10 classes, batch {args.batch}, medians of {args.repeats} runs")
    print_report("Score-CAM: on a batch, tf-keras-vis scores the union of every image's top "
                 "channels for every image; on 1 image both score the same channels (bounded by "
                 "those forward passes)", t, rows)


if __name__ == "__main__":
    main()
