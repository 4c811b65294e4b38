"""Times the issue-27 methods that xplique 2.0.2 also has (FEM, VarGrad, SquareGrad) against it.

Run: PYTHONPATH=/tmp/xplique_side python benchmarks/xplique_speed.py [--repeats 5] [--batch 8]
[--samples 50] [--clock wall|cpu]
(the path is wherever xplique is installed; without it the script prints one line and exits).

Same model, batch, targets and hyper-parameters on both sides: the zoo's vgg_lite (64x64x3,
10 classes, seeded random init), `batch` uniform random images each min-max scaled to exactly
[0, 1] (so that the project's noise, `noise_level` times each image's value range, equals
xplique's absolute `noise`), their predicted classes (one-hot for xplique), `batch_size` 32 on
both sides (gradient passes of up to 32 noisy copies each). Each library's public call producing
the explanation is timed: `explainer(images, targets)` here (the (B, H, W) map),
`explain(images, one_hot)` there (xplique's channel-mean map, its default). VarGrad and
SquareGrad: `samples` noisy copies per image, noise 0.2. FEM: the same layer (block4_2_relu,
the last 4-D layer) and k = 2; xplique gets the convolutional trunk (its FEM needs the layer
among the model's own layers; the trunk's output is that layer). xplique explains the softmax
output (its default), the project the logits (its linearised softmax head): the same passes.
Medians of `repeats` interleaved rounds after one warm-up round (`timing.interleaved_medians`):
wall time, or the process's CPU time with `--clock cpu` (steadier on a shared machine). Goal:
ours / xplique <= 1.0. Of the other methods issue 27 added, xplique 2.0.2 has LIME, KernelSHAP,
Sobol and HSIC (timed by `perturbation_methods.py`) and no DeepLIFT, GradientSHAP, Guided
Integrated Gradients, Expected Gradients, FullGrad or LRP.
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np
from timing import interleaved_medians, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.explain.cam_extra import FEM
from cnn_explain_tf.explain.gradient_statistics import SquareGrad, VarGrad

NOISE, BATCH_SIZE = 0.2, 32


def make_inputs(batch: int):
    """(model, images, targets): seeded vgg_lite and `batch` images spanning exactly [0, 1]."""
    keras.utils.set_random_seed(0)
    model = cet.models.zoo.build("vgg_lite", (64, 64, 3), 10)
    images = np.random.default_rng(1).random((batch, 64, 64, 3), dtype=np.float32)
    low, high = images.min(axis=(1, 2, 3), keepdims=True), images.max(axis=(1, 2, 3), keepdims=True)
    images = (images - low) / (high - low)
    return model, images, np.argmax(model.predict(images, verbose=0), axis=1)


def pairs(xplique, model, images, targets, samples: int) -> dict[str, tuple]:
    """method -> (ours, xplique's) zero-argument calls producing each library's map."""
    one_hot = np.eye(10, dtype=np.float32)[targets]
    fem = FEM(model, k=2.0, batch_size=BATCH_SIZE)
    theirs_fem = xplique.FEM(model.get_layer("vgg_lite"), batch_size=BATCH_SIZE,
                             conv_layer=fem.layer.name, k=2.0)
    calls = {"fem": (lambda: fem(images), lambda: np.asarray(theirs_fem.explain(images)))}
    for ours, theirs in ((VarGrad, xplique.VarGrad), (SquareGrad, xplique.SquareGrad)):
        explainer = ours(model, num_samples=samples, noise_level=NOISE, batch_size=BATCH_SIZE)
        peer = theirs(model, nb_samples=samples, noise=NOISE, batch_size=BATCH_SIZE)
        calls[explainer.name] = (lambda e=explainer: e(images, targets),
                                 lambda p=peer: np.asarray(p.explain(images, one_hot)))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8, help="images per call")
    parser.add_argument("--samples", type=int, default=50,
                        help="noisy copies per image (VarGrad, SquareGrad; xplique's default)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: the process's CPU time, steadier on a shared machine")
    args = parser.parse_args()
    try:
        import xplique.attributions as xplique
    except ImportError:
        print("xplique is not importable (e.g. PYTHONPATH=/tmp/xplique_side): nothing timed")
        return
    calls = pairs(xplique, *make_inputs(args.batch), args.samples)
    functions = {f"{name}{side}": call for name, two in calls.items()
                 for side, call in zip(("", " xplique"), two)}
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    times = interleaved_medians(functions, args.repeats, clock)
    rows = [(f"{name} / xplique", times[name] / times[f"{name} xplique"], "<= 1.0")
            for name in calls]
    print_report(f"medians of {args.repeats} runs ({args.clock} time); vgg_lite 64x64x3, "
                 f"10 classes, batch {args.batch}, batch_size {BATCH_SIZE}, {args.samples} "
                 f"samples, noise {NOISE}; load average {os.getloadavg()[0]:.2f} on "
                 f"{os.cpu_count()} CPUs", times, rows, name_width=18, label_width=24)


if __name__ == "__main__":
    main()
