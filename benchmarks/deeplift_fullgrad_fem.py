"""Times DeepLIFT, FullGrad and FEM (issue 27) against the passes they make, in one run.

Run: python benchmarks/deeplift_fullgrad_fem.py [--repeats 10] [--batch 16]
On the zoo's vgg_lite (64x64x3, 10 classes), all timings are medians of `repeats` runs after one
warm-up, interleaved (each repeat times every function once, in turn), so that a change of load
on a shared machine reaches all of them alike. DeepLIFT and FullGrad are one gradient pass each
(DeepLIFT adds a forward pass of the one baseline image): they are timed against one compiled
plain input-gradient pass on the same batch (goal <= 1.3), and against Gradient x Input, one
gradient pass through the same call path (input checks, batching, numpy results). DeepLIFT is
also timed against one gradient pass on the image batch and the baselines together (2B inputs,
captum's way). FEM is gradient-free: it is timed against one compiled forward pass that taps its
layer."""

from __future__ import annotations

import argparse

import numpy as np
import tensorflow as tf
from timing import interleaved_medians, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.explain.cam_extra import FEM, FullGrad
from cnn_explain_tf.explain.deeplift import DeepLIFT


def gradient_pass(saliency):
    """The compiled plain input-gradient step of a saliency explainer (which must stay alive:
    the step reaches it weakly)."""
    return saliency.compile(saliency.input_gradients)


def timings(model, images, targets, repeats: int) -> dict[str, float]:
    x, t = tf.constant(images), tf.constant(targets, tf.int32)
    doubled_x, doubled_t = tf.concat([x, tf.zeros_like(x)], 0), tf.concat([t, t], 0)
    saliency = cet.explain.VanillaGradients(model)
    step, doubled = gradient_pass(saliency), gradient_pass(saliency)
    fem = FEM(model, batch_size=len(images))
    tapped = tf.function(lambda v: cet.graph.run(model, v, taps=fem.layers)[0][0])
    deeplift = DeepLIFT(model, batch_size=len(images))
    gradient_x_input = cet.explain.GradientXInput(model, batch_size=len(images))
    fullgrad = FullGrad(model, batch_size=len(images))
    return interleaved_medians({
        "gradient_pass": lambda: step(x, t).numpy(),
        "gradient_pass_2b": lambda: doubled(doubled_x, doubled_t).numpy(),
        "forward_tap": lambda: tapped(x).numpy(),
        "gradient_x_input": lambda: gradient_x_input.attributions(images, targets),
        "deeplift": lambda: deeplift.attributions(images, targets),
        "fullgrad": lambda: fullgrad(images, targets),
        "fem": lambda: fem(images)}, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    model = cet.models.zoo.build("vgg_lite", (64, 64, 3), 10)
    images = np.random.default_rng(1).random((args.batch, 64, 64, 3), dtype=np.float32)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    t = timings(model, images, targets, args.repeats)
    rows = [("DeepLIFT / 1 plain gradient pass", t["deeplift"] / t["gradient_pass"], "<= 1.3"),
            ("DeepLIFT / Gradient x Input (same call path)",
             t["deeplift"] / t["gradient_x_input"], "(info)"),
            ("DeepLIFT / 1 gradient pass on 2B inputs (captum's batch)",
             t["deeplift"] / t["gradient_pass_2b"], "(info)"),
            ("FullGrad map / 1 plain gradient pass", t["fullgrad"] / t["gradient_pass"],
             "<= 1.3"),
            ("FullGrad map / Gradient x Input (same call path)",
             t["fullgrad"] / t["gradient_x_input"], "(info)"),
            ("FEM map / 1 forward pass tapping its layer", t["fem"] / t["forward_tap"],
             "<= 1.3")]
    print_report(f"medians of {args.repeats} runs; vgg_lite 64x64x3, 10 classes, batch "
                 f"{args.batch}", t, rows, name_width=18, label_width=60)


if __name__ == "__main__":
    main()
