"""Times the metric families: ROAD against plain forward passes, and a whole scorecard.

Run: python benchmarks/metrics.py [--count 64] [--epochs 2] [--arch vgg_lite] [--model M.keras]
[--methods a,b,...] [--road-only] [--clock cpu|wall] [--repeats 5]
Trains a vgg_lite (or --arch) classifier on the embedded digits at 32x32 for --epochs (or loads
--model), then:
1. ROAD (MoRF) on --count test images at 8 percentages (10 % to 80 %) against the same number of
   plain forward passes (--count x 8 images through the compiled probability step, the same
   batch size): the ratio of the median process CPU times over --repeats interleaved runs
   (after one warm-up round; CPU time by default, so that other jobs on the machine count
   less; `--clock wall` for wall time), goal <= 1.5. ROAD is given the images' predicted
   classes as targets, as the scorecard passes them; ROAD finding them itself (targets=None:
   one more forward pass per image) is timed too. The imputation alone
   (`noisy_linear_imputation` of the --count images with their 8 removals each, in one call)
   is timed in the same rounds, to show how ROAD's cost splits.
2. `metrics.scorecard` of 6 methods x every metric family (masks included) on the same images:
   wall time, goal <= 300 s on 2 cores.
The load average is printed: timings on a shared CPU are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np
from timing import interleaved_medians, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.metrics.faithfulness import ranks_of

METHODS = "gradcam,gradcam++,layercam,saliency,gradient_x_input,integrated_gradients"
PERCENTAGES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def trained_model(epochs: int, arch: str = "vgg_lite"):
    """`arch` trained on digits at 32x32, and (test images, masks)."""
    images, labels = cet.data.load_arrays("digits", "train", (32, 32))
    model = cet.models.zoo.build(arch, (32, 32, 1), 10)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=epochs, batch_size=64, verbose=0)
    test, test_labels, masks = cet.data.load_arrays("digits", "test", (32, 32), with_masks=True)
    accuracy = model.evaluate(test, test_labels, verbose=0)[1]
    print(f"{arch} on digits 32x32, {epochs} epochs: test accuracy {accuracy:.3f}")
    return model, test, masks


def loaded_model(path: str):
    """A saved digits classifier, and (test images, masks) at its input size."""
    model = keras.models.load_model(path)
    size = tuple(model.inputs[0].shape[1:3])
    test, _, masks = cet.data.load_arrays("digits", "test", size, with_masks=True)
    return model, test, masks


def road_masks(maps: np.ndarray) -> np.ndarray:
    """(count, 8, H, W) ROAD's MoRF removals of every image at `PERCENTAGES`."""
    ranks = ranks_of(maps, "morf")
    counts = np.round(np.asarray(PERCENTAGES) * ranks[0].size).astype(int)
    return ranks[:, None] < counts[None, :, None, None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--arch", default="vgg_lite",
                        help="the zoo model to train (the goal is vgg_lite's; a costlier model's "
                             "forward passes make the imputation's share smaller)")
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--model", help="a saved digits classifier (.keras) instead of training")
    parser.add_argument("--road-only", action="store_true", help="skip the scorecard")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time ROAD by process CPU time (default) or wall time")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed rounds")
    args = parser.parse_args()
    model, test, masks = loaded_model(args.model) if args.model else trained_model(args.epochs,
                                                                                args.arch)
    images, masks = test[:args.count], masks[:args.count]
    maps = cet.explain.get("gradcam")(model)(images)
    stacked = np.repeat(images, len(PERCENTAGES), axis=0)
    probabilities = cet.metrics.ModelMetric(model, 32)
    removed = road_masks(maps)
    targets = probabilities.probabilities(images).argmax(axis=1)
    timings = interleaved_medians({
        "road": lambda: cet.metrics.road(model, images, maps, targets, percentages=PERCENTAGES),
        "road, predicted targets": lambda: cet.metrics.road(model, images, maps,
                                                            percentages=PERCENTAGES),
        "forward passes": lambda: probabilities.probabilities(stacked),
        "imputation": lambda: cet.metrics.noisy_linear_imputation(images, removed,
                                                                  tolerance=5e-4)},
        args.repeats, time.process_time if args.clock == "cpu" else time.perf_counter)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print_report(f"ROAD on {len(images)} images x {len(PERCENTAGES)} percentages vs "
                 f"{len(stacked)} forward passes ({args.clock} time)", timings,
                 [("road / forward passes", timings["road"] / timings["forward passes"],
                   "<= 1.5"),
                  ("road finding the targets too / forward passes",
                   timings["road, predicted targets"] / timings["forward passes"], "none"),
                  ("imputation alone / forward passes",
                   timings["imputation"] / timings["forward passes"], "none")])
    if args.road_only:
        return
    start = time.perf_counter()
    card = cet.metrics.scorecard(model, images, args.methods.split(","), masks=masks)
    seconds = time.perf_counter() - start
    print(f"scorecard: {len(card.methods)} methods x {len(card.families)} metrics on "
          f"{len(images)} images: {seconds:.1f} s   goal <= 300 s")
    for method in card.methods:
        print(f"  {method:>22}: " + ", ".join(f"{family} {rank:.2f}" for family, rank in
                                              card.ranks[method].items()))


if __name__ == "__main__":
    main()
