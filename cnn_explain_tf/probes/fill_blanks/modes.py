"""Fill in the blanks' modes: each draws its masks and runs its fill loop (random, progressive)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from cnn_explain_tf.probes.fill_blanks.masks import (
    blank_count,
    progressive_masks,
    progressive_steps,
    random_masks,
)
from cnn_explain_tf.probes.fill_blanks.steps import FillSteps
from cnn_explain_tf.validation import InputError

__all__ = ["MODES", "FillOptions", "Fills", "MaskBatch", "NoMaskKeptError", "ProgressiveMode",
           "RandomMode"]


class NoMaskKeptError(InputError):
    """No masked image was classified as the target class, so there is nothing to average."""


class FillOptions(Protocol):
    """What a mode reads from the probe: its shared graph steps and its per-call options."""

    steps: FillSteps
    mode: str
    num_masks: int
    max_draws: int
    seed: int
    verbose: int
    num_steps: int

    def mask_seed(self, index: int) -> tf.Tensor: ...


class MaskBatch(NamedTuple):
    """What one compiled step of the random mode learns from `batch_size` masks of one image."""

    fields: tf.Tensor
    """(n, H, W, C) the fill directions of the masks."""
    regions: tf.Tensor
    """(n, H, W, 1) where each field counts in the expectation (1, the blanks) or not (0)."""
    consistent: tf.Tensor
    """(n,) bool: the masked image is classified as the target."""
    predictions: tf.Tensor
    """(n,) int32 classes predicted on the masked images."""


class Fills(NamedTuple):
    """What a mode computes for a batch of images (the fields of `FillResult` but the targets)."""

    prototypes: np.ndarray
    directions: np.ndarray
    masks: np.ndarray
    filled: np.ndarray
    steps: np.ndarray | None
    step_predictions: np.ndarray | None
    kept: np.ndarray
    drawn: np.ndarray


class RandomMode:
    """Random mode: masks blanking round(ratio * patches) random patches; E[dx] over the kept.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.1, Eq. 5.
    """

    name = "random"
    fill_rule = "minmax"
    """The default normalisation of T (`masks.FILL_RULES`): T(E[dx]) fills every pixel of the
    image, and the sign rule, which turns on every pixel of non-negative mean update, lowered
    Table 1's random row on the selection images (benchmarks/fill_rules.py)."""

    def steps(self, mask_ratio: float) -> int:
        """Fills per mask: one."""
        return 1

    def masks(self, steps: FillSteps, seed, grid: Sequence[int]) -> tf.Tensor:
        """(batch_size, H, W) random masks."""
        return random_masks(seed, steps.batch_size, grid, steps.patch_size,
                            blank_count(grid, steps.mask_ratio))

    def batch(self, steps: FillSteps, grid, image, target, seed) -> MaskBatch:
        """dx of the masked images on their blanks; a mask counts when M(x) is still the target."""
        masks = self.masks(steps, seed, grid)[..., None]
        targets = tf.fill([steps.batch_size], target)
        directions, predictions = steps.direction_and_predictions(image[None] * masks, targets,
                                                                  1.0 - masks)
        return MaskBatch(directions, 1.0 - masks, tf.equal(predictions, target), predictions)

    def batch_sums(self, image, target, seed, batch_number, remaining, *, steps: FillSteps,
                   grid):
        """One compiled step: `batch_size` masks drawn, probed, the kept ones summed."""
        seed = tf.random.experimental.stateless_fold_in(seed, batch_number)
        fields, regions, consistent, predictions = self.batch(steps, grid, image, target, seed)
        keep = consistent & (tf.cumsum(tf.cast(consistent, tf.int32)) <= remaining)
        weights = tf.cast(keep, tf.float32)[:, None, None, None] * regions
        histogram = tf.math.bincount(tf.reshape(predictions, [-1]), minlength=steps.num_classes,
                                     maxlength=steps.num_classes)
        return (tf.reduce_sum(weights * fields, 0), tf.reduce_sum(weights, 0),
                tf.reduce_sum(tf.cast(keep, tf.int32)), histogram)

    def masked_label(self, fill: FillOptions, image: np.ndarray, index: int, grid) -> int:
        """The most frequent class over the first batch of masked inputs M(x) of the image."""
        masks = self.masks(fill.steps, fill.mask_seed(index), grid).numpy()[..., None]
        return int(np.argmax(np.bincount(fill.steps.predict(image[None] * masks),
                                         minlength=fill.steps.num_classes)))

    def fill(self, fill: FillOptions, images: np.ndarray, targets: np.ndarray, grid) -> Fills:
        """T(E[dx]) per image and the example M(x) + T(E[dx]) (Eq. 3-5).

        The example mask is the image's first drawn mask whose M(x) is classified as the target
        (the first drawn mask when none of the first batch is); T is normalised over its blanks.
        """
        steps = fill.steps
        expectations, kept, drawn = self.expectations(fill, images, targets, grid)
        prototypes = steps.fill(tf.constant(expectations), tf.ones_like(images[..., :1])).numpy()
        masks = []
        for index, (image, target) in enumerate(zip(images, targets)):
            first = self.masks(steps, fill.mask_seed(index), grid).numpy()
            hits = np.flatnonzero(steps.predict(image[None] * first[..., None]) == target)
            masks.append(first[hits[0] if hits.size else 0])
        masks = np.stack(masks)[..., None]
        fills = steps.fill(tf.constant(expectations), tf.constant(1.0 - masks)).numpy()
        return Fills(prototypes, expectations, masks[..., 0], images * masks + fills, None, None,
                     kept, drawn)

    def expectations(self, fill: FillOptions, images: np.ndarray, targets: np.ndarray, grid):
        """(E[dx] (B, H, W, C), kept (B,), drawn (B,)), image by image, batch by batch."""
        steps, scalar = fill.steps, tf.TensorSpec((), tf.int32)
        signature = [tf.TensorSpec(images.shape[1:], tf.float32), scalar,
                     tf.TensorSpec((2,), tf.int32), scalar, scalar]
        step = steps.compile(self.batch_sums, signature, key=("batch", images.shape[1:], grid),
                             steps=steps, grid=grid)
        with tqdm(total=len(images) * fill.num_masks, unit="mask", disable=not fill.verbose,
                  desc=f"fill in the blanks ({fill.mode})") as bar:
            sums = [self._expectation(fill, step, index, image, target, bar)
                    for index, (image, target) in enumerate(zip(images, targets))]
        expectations = np.stack([total / np.maximum(count, 1.0) for total, count, _, _ in sums])
        return (expectations.astype(np.float32), np.array([s[2] for s in sums]),
                np.array([s[3] for s in sums]))

    def _expectation(self, fill: FillOptions, step, index: int, image, target: int, bar):
        """Sums of kept directions and their per-pixel counts for one image, batch by batch."""
        total = count = 0.0
        kept = drawn = 0
        batch_size = fill.steps.batch_size
        histogram = np.zeros(fill.steps.num_classes, np.int64)
        while kept < fill.num_masks and drawn < fill.max_draws:
            sums, counts, batch_kept, batch_histogram = step(
                image, np.int32(target), np.array([fill.seed, index], np.int32),
                np.int32(drawn // batch_size), np.int32(fill.num_masks - kept))
            total, count = total + sums.numpy(), count + counts.numpy()
            kept, drawn = kept + int(batch_kept), drawn + batch_size
            histogram += batch_histogram.numpy()
            bar.update(int(batch_kept))
        _check_kept(fill, index, target, kept, drawn, histogram)
        return total, count, kept, drawn


def _check_kept(fill: FillOptions, index: int, target: int, kept: int, drawn: int,
                histogram) -> None:
    """Raises NoMaskKeptError when no mask was kept; warns when fewer than N* were."""
    if kept == 0:
        seen = ", ".join(f"class {c}: {n}" for c, n in enumerate(histogram) if n)
        raise NoMaskKeptError(
            f"targets: expected masked images classified as the target, but none of the "
            f"{drawn} masked versions of image {index} (mask_ratio {fill.steps.mask_ratio}, "
            f"patch_size {fill.steps.patch_size}, mode {fill.mode!r}) was classified as class "
            f"{target}; the predictions were {seen}. Lower mask_ratio, check the target, "
            "or explain the predicted class (targets=None)")
    if kept < fill.num_masks:
        warnings.warn(f"image {index}: only {kept} of {fill.num_masks} masks were kept after "
                      f"{drawn} draws (max_draws); the expectation uses those", stacklevel=5)


class ProgressiveMode:
    """Progressive mode: one sequence of k disjoint masks covering the image, filled in turn.

    Step i blanks M_i of the image filled so far (x with T_1 ... T_{i-1} in place) and fills it
    with T_i(dx); after k steps every pixel is a fill, and that image is the prototype. Nothing
    is averaged or selected: the sequence is drawn once per image (num_masks is unused).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2, Fig. 3.
    """

    name = "progressive"
    fill_rule = "symmetric"
    """The default normalisation of T (`masks.FILL_RULES`): each step fills the pixels whose
    update is positive, the red part of the paper's Fig. 1; min-max scaling also switched on
    pixels of negative update and gave lower progressive accuracies on the selection images
    (benchmarks/fill_rules.py, test images 100-199)."""

    def steps(self, mask_ratio: float) -> int:
        """Fills per sequence: k = round(1 / mask_ratio)."""
        return progressive_steps(mask_ratio)

    def masks(self, steps: FillSteps, seed, grid: Sequence[int]) -> tf.Tensor:
        """(k, H, W): the image's one sequence of k disjoint masks."""
        return progressive_masks(seed, 1, grid, steps.patch_size,
                                 progressive_steps(steps.mask_ratio))[0]

    def masked_label(self, fill: FillOptions, image: np.ndarray, index: int, grid) -> int:
        """The class of M_1(x), the first masked input of the image's sequence."""
        first = self.masks(fill.steps, fill.mask_seed(index), grid)[:1].numpy()[..., None]
        return int(fill.steps.predict(image[None] * first)[0])

    def fill(self, fill: FillOptions, images: np.ndarray, targets: np.ndarray, grid) -> Fills:
        """Each image's first sequence filled step by step (Fig. 3); the final image is T."""
        sequences = np.stack([self.masks(fill.steps, fill.mask_seed(index), grid).numpy()
                              for index in range(len(images))])
        steps, predictions, directions = self.fill_progressively(fill.steps, images, targets,
                                                                 sequences)
        ones = np.ones(len(images), np.int64)
        return Fills(steps[:, -1], directions, sequences[:, 0], steps[:, 0], steps, predictions,
                     ones, ones)

    def fill_progressively(self, steps: FillSteps, images, targets, masks):
        """(steps (n, k, H, W, C), predictions (n, k), directions (n, H, W, C)) as numpy: the
        (n, k, H, W) disjoint `masks` filled in turn, `batch_size` images per compiled step."""
        shape = (None, *np.shape(masks)[1:])
        step = steps.compiled(("progressive", shape), steps.progressive, [
            *steps.signature(), tf.TensorSpec(shape, tf.float32)])
        size = steps.batch_size
        parts = [step(images[i:i + size], targets[i:i + size], masks[i:i + size])
                 for i in range(0, len(images), size)]
        return tuple(np.concatenate([part[j].numpy() for part in parts]) for j in range(3))


MODES = {mode.name: mode for mode in (RandomMode(), ProgressiveMode())}
"""Mode name -> its strategy: how masks are drawn, probed and filled."""
