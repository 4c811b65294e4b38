"""Times the LRP rules and composites (issue 27) against plain compiled gradient passes.

Run: python benchmarks/lrp.py [--repeats 3] [--batch 16] [--arch vgg_lite]
One model of the zoo (64x64x3, 10 classes) and one batch; every LRP explainer's signed
`attributions()` and one compiled input-gradient step (saliency's) on the same batch and targets
are timed side by side in this process: after one warm-up call each, `repeats` rounds call every
method once in turn (so that load from other processes hits all alike); medians of wall time,
or of the process's CPU time with `--clock cpu` (steadier on a loaded machine). An LRP pass
is one forward and one backward pass, so the goal is a ratio of at most 1.3; the rules that
reweight a layer (z+, alpha-beta, gamma, flat, z-box) recompute it in the backward pass, once
per term (z+: 2 terms, alpha-beta and gamma: 4, flat: 1, z-box: 3).
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np
import tensorflow as tf
from timing import interleaved_medians, print_report

import cnn_explain_tf as cet
from cnn_explain_tf.explain import lrp_composites

METHODS = ("lrp_epsilon", "lrp_zplus", "lrp_alpha_beta", "lrp_gamma", "lrp_epsilon_plus_flat",
           "lrp_epsilon_alpha2_beta1", "lrp_epsilon_gamma_box")


def lrp_times(arch: str, batch: int, repeats: int, clock) -> dict[str, float]:
    """Each LRP method's attributions and one plain compiled gradient pass, same batch."""
    model = cet.models.zoo.build(arch, (64, 64, 3), 10)
    images = np.random.default_rng(0).random((batch, 64, 64, 3), dtype=np.float32)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    saliency = cet.explain.VanillaGradients(model, batch_size=batch)
    gradient_step = saliency.compile(saliency.input_gradients)
    x, t = tf.constant(images), tf.constant(targets, tf.int32)
    functions = {"gradient_pass": lambda: gradient_step(x, t).numpy()}
    assert lrp_composites.LRP  # the registered names come with this module
    for name in METHODS:
        explainer = cet.explain.get(name)(model, batch_size=batch)
        functions[name] = functools.partial(explainer.attributions, images, targets)
    return interleaved_medians(functions, repeats, clock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--arch", default="vgg_lite")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: the process's CPU time, steadier on a shared machine")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    times = lrp_times(args.arch, args.batch, args.repeats, clock)
    rows = [(f"{name} / one gradient pass", times[name] / times["gradient_pass"], "<= 1.3")
            for name in METHODS]
    print_report(f"medians of {args.repeats} runs ({args.clock} time); {args.arch} 64x64x3, "
                 f"10 classes, batch {args.batch}", times, rows, name_width=26, label_width=46)


if __name__ == "__main__":
    main()
