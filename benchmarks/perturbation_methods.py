"""Times each perturbation method against the batched forward passes it makes (issue 27).

Run: python benchmarks/perturbation_methods.py [--repeats 3] [--batch 4] [--samples 256]
[--methods lime,kernel_shap,sobol,hsic,rise,occlusion] [--threads 1]

Model: the zoo's vgg_lite (64x64x3, 10 classes); images: smooth random images (8x8 noise,
bilinearly upsampled), so that SLIC finds real superpixels. Every method is timed against its
baseline in the same process, alternating (`paired_seconds`): the number of forward passes it
makes, each of `batch_size` images (the explainer's per-pass count: max(1, batch_size // B)
masked copies of each of the B images), inside one compiled loop (stricter than
benchmarks/methods.py, which calls a compiled forward function once per pass). The ratio
method / passes is the overhead of everything but the forward passes (segmentation, masks,
the surrogate fit); the goal is <= 1.2. Where xplique is importable (e.g.
PYTHONPATH=.xplique), its Lime / KernelShap on the same model, images, grid superpixels and
sample count are timed too (goal: ours / xplique <= 1.0); likewise its
SobolAttributionMethod and HsicAttributionMethod with the same grid, designs and masks per
forward pass (ours scrambled, same number of masks).

One function per method returns its row (see `Row`); `METHODS` maps the names to them; the
table is printed at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf.explain.hsic import HSIC
from cnn_explain_tf.explain.perturbations import RISE, Occlusion
from cnn_explain_tf.explain.sobol import Sobol
from cnn_explain_tf.explain.superpixels import grid_segments
from cnn_explain_tf.explain.surrogates import LIME, KernelSHAP


@dataclasses.dataclass(frozen=True)
class Row:
    """One method's line: its time, its forward passes' time, and its time / the peer's on
    the same superpixels (None without a peer)."""

    method: str
    seconds: float
    passes_seconds: float
    passes: int
    ratio: float
    cpu_ratio: float
    peer_ratio: float | None = None


@dataclasses.dataclass(frozen=True)
class Setup:
    model: object
    images: np.ndarray
    targets: np.ndarray
    samples: int
    repeats: int
    batch_size: int = 32


def make_setup(args) -> Setup:
    """vgg_lite 64x64x3 (10 classes), `args.batch` smooth images, their predicted classes."""
    model = cet.models.zoo.build("vgg_lite", (64, 64, 3), 10)
    coarse = np.random.default_rng(1).random((args.batch, 8, 8, 3), dtype=np.float32)
    images = tf.image.resize(coarse, (64, 64), method="bilinear").numpy().clip(0, 1)
    targets = np.argmax(model.predict(images, verbose=0), axis=1)
    return Setup(model, images, targets, args.samples, args.repeats)


def forward_passes(setup: Setup, passes: int):
    """A function running `passes` forward passes of `batch_size` images each inside ONE
    compiled loop, as the methods run theirs (each pass scales its input by a pass-dependent
    factor, so that no pass can be hoisted out of the loop)."""
    per_pass = max(1, setup.batch_size // len(setup.images))
    chunk = tf.constant(np.repeat(setup.images, per_pass, axis=0))

    def one_pass(index, total):
        scale = 1.0 - 1e-6 * tf.cast(index, tf.float32)
        return index + 1, total + tf.reduce_sum(cet.graph.run(setup.model, chunk * scale)[1])

    @tf.function(autograph=False)
    def run_passes():
        return tf.while_loop(lambda index, _: index < passes, one_pass,
                             (tf.constant(0), tf.zeros(())))[1]

    return lambda: run_passes().numpy()


def paired_seconds(method, baseline, repeats: int) -> tuple[float, float, float, float]:
    """(median method time, median baseline time, median of the per-pair wall-time ratios,
    median of the per-pair CPU-time ratios): one warm-up call of each, then `repeats`
    alternating timed calls, so that a change of load on a shared machine hits both sides of a
    ratio alike (the CPU-time ratio, process time summed over threads, is the steadier one
    when other processes compete for the cores)."""
    method(), baseline()
    pairs = []
    for _ in range(repeats):
        pair = []
        for function in (method, baseline):
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            pair.append((time.perf_counter() - wall, time.process_time() - cpu))
        pairs.append(pair)
    return (statistics.median(ours[0] for ours, _ in pairs),
            statistics.median(theirs[0] for _, theirs in pairs),
            statistics.median(ours[0] / theirs[0] for ours, theirs in pairs),
            statistics.median(ours[1] / theirs[1] for ours, theirs in pairs))


def surrogate_passes(setup: Setup) -> int:
    """Forward passes of LIME / KernelSHAP: ceil(samples / per_pass) masked ones plus one of
    the images with their fills."""
    per_pass = max(1, setup.batch_size // len(setup.images))
    return -(-setup.samples // per_pass) + 1


def xplique_call(setup: Setup, peer: str):
    """A function running xplique's `peer` ("Lime" or "KernelShap", default options) on the
    images with a grid of 64 superpixels, or None when xplique is not importable."""
    try:
        import xplique.attributions as xplique
    except ImportError:
        return None
    grid = tf.constant(grid_segments((64, 64), 64))
    explainer = getattr(xplique, peer)(setup.model, batch_size=setup.batch_size,
                                       nb_samples=setup.samples,
                                       map_to_interpret_space=lambda image: grid)
    one_hot = np.eye(10, dtype=np.float32)[setup.targets]
    return lambda: np.asarray(explainer.explain(setup.images, one_hot))


def surrogate_row(setup: Setup, cls, peer: str) -> Row:
    """Row of LIME or KernelSHAP on SLIC superpixels (50); against the peer, both on a grid
    of 64 superpixels."""
    explainer = cls(setup.model, num_samples=setup.samples, batch_size=setup.batch_size)
    passes = surrogate_passes(setup)
    timed = paired_seconds(lambda: explainer.attributions(setup.images, setup.targets),
                           forward_passes(setup, passes), setup.repeats)
    theirs, peer_ratio = xplique_call(setup, peer), None
    if theirs is not None:
        grid = cls(setup.model, num_samples=setup.samples, batch_size=setup.batch_size,
                   segmentation="grid", num_segments=64)
        peer_ratio = paired_seconds(lambda: grid.attributions(setup.images, setup.targets),
                                    theirs, setup.repeats)[2]
    return Row(explainer.name, *timed[:2], passes, *timed[2:], peer_ratio)


def lime_row(setup: Setup) -> Row:
    return surrogate_row(setup, LIME, "Lime")


def kernel_shap_row(setup: Setup) -> Row:
    return surrogate_row(setup, KernelSHAP, "KernelShap")


METHODS = {"lime": lime_row, "kernel_shap": kernel_shap_row}


def mask_passes(setup: Setup, num_masks: int) -> int:
    """Forward passes of a mask method: ceil(masks / per_pass) masked ones plus the clean one."""
    per_pass = max(1, setup.batch_size // len(setup.images))
    return -(-num_masks // per_pass) + 1


def xplique_sensitivity_call(setup: Setup, peer: str, num_designs: int):
    """A function running xplique's `peer` ("SobolAttributionMethod" or
    "HsicAttributionMethod", grid 8) with `num_designs` designs and `batch_size` masks per
    forward pass, or None when xplique is not importable."""
    try:
        import xplique.attributions as xplique
    except ImportError:
        return None
    explainer = getattr(xplique, peer)(setup.model, grid_size=8, nb_design=num_designs,
                                       batch_size=setup.batch_size)
    one_hot = np.eye(10, dtype=np.float32)[setup.targets]
    return lambda: np.asarray(explainer.explain(setup.images, one_hot))


def mask_row(setup: Setup, explainer, peer=None) -> Row:
    """Row of a mask method (its `num_masks` masks per image) against its forward passes and,
    when given and importable, against the peer call."""
    passes = mask_passes(setup, explainer.num_masks)
    timed = paired_seconds(lambda: explainer.attributions(setup.images, setup.targets),
                           forward_passes(setup, passes), setup.repeats)
    peer_ratio = None if peer is None else paired_seconds(
        lambda: explainer.attributions(setup.images, setup.targets), peer, setup.repeats)[2]
    return Row(explainer.name, *timed[:2], passes, *timed[2:], peer_ratio)


def sobol_row(setup: Setup) -> Row:
    """Sobol with xplique's defaults (grid 8, 32 designs: 32 x 65 masks per image)."""
    explainer = Sobol(setup.model, batch_size=setup.batch_size)
    peer = xplique_sensitivity_call(setup, "SobolAttributionMethod", 32)
    return mask_row(setup, explainer, peer)


def hsic_row(setup: Setup) -> Row:
    """HSIC with xplique's defaults (grid 8, 500 masks per image)."""
    explainer = HSIC(setup.model, batch_size=setup.batch_size)
    peer = xplique_sensitivity_call(setup, "HsicAttributionMethod", 500)
    return mask_row(setup, explainer, peer)


def rise_row(setup: Setup) -> Row:
    """RISE with `samples` masks (grid 8)."""
    return mask_row(setup, RISE(setup.model, num_masks=setup.samples,
                                batch_size=setup.batch_size))


def occlusion_row(setup: Setup) -> Row:
    """Occlusion, patch 8, stride 4 (225 patches on 64x64)."""
    return mask_row(setup, Occlusion(setup.model, patch_size=8, stride=4,
                                     batch_size=setup.batch_size))


METHODS.update({"sobol": sobol_row, "hsic": hsic_row, "rise": rise_row,
                "occlusion": occlusion_row})


def print_table(rows: list[Row], setup: Setup) -> None:
    """method | ms | passes | passes ms | ratio | cpu ratio (goal <= 1.2) | / xplique (goal
    <= 1.0)."""
    print(f"vgg_lite 64x64x3, batch {len(setup.images)}, {setup.samples} samples, batch_size "
          f"{setup.batch_size}; medians of {setup.repeats} alternating runs after a warm-up "
          "(ratios: medians of the per-run ratios of wall and of CPU time)")
    print(f"{'method':<14} {'ms':>9} {'passes':>7} {'passes ms':>10} {'ratio':>7} "
          f"{'cpu':>7} {'goal':>6} {'/ xplique':>10}")
    for row in rows:
        peer = "-" if row.peer_ratio is None else f"{row.peer_ratio:.3f}"
        print(f"{row.method:<14} {row.seconds * 1e3:9.1f} {row.passes:7d} "
              f"{row.passes_seconds * 1e3:10.1f} {row.ratio:7.3f} {row.cpu_ratio:7.3f} "
              f"{'<= 1.2':>6} {peer:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4, help="images per call")
    parser.add_argument("--samples", type=int, default=256, help="samples / masks per image")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, among {', '.join(METHODS)}")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra- and inter-op threads (0: TensorFlow's choice); "
                             "1 gives steadier wall-time ratios on a shared machine")
    args = parser.parse_args()
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    setup = make_setup(args)
    rows = [METHODS[name](setup) for name in args.methods.split(",")]
    print_table(rows, setup)


if __name__ == "__main__":
    main()
