"""Fill in the blanks' masking modes as strategy objects: random masks, progressive partitions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import tensorflow as tf

from cnn_explain_tf.probes.fill_blanks.masks import (
    blank_count,
    progressive_masks,
    progressive_steps,
    random_masks,
)

if TYPE_CHECKING:
    from cnn_explain_tf.probes.fill_blanks.probe import FillInTheBlanks

__all__ = ["MODES", "Example", "MaskBatch", "ProgressiveMode", "RandomMode"]


class MaskBatch(NamedTuple):
    """What one compiled step learns from `batch_size` masks of one image."""

    fields: tf.Tensor
    """(n, H, W, C) the fill directions of the masks."""
    regions: tf.Tensor
    """(n, H, W, 1) where each field counts in the expectation (1) or not (0)."""
    consistent: tf.Tensor
    """(n,) bool: the masked image (every step of a partition) is classified as the target."""
    predictions: tf.Tensor
    """(n,) or (n, k) int32 classes predicted on the masked images."""


class Example(NamedTuple):
    """One example mask per image and the image it fills, for the result."""

    masks: np.ndarray
    filled: np.ndarray
    steps: np.ndarray | None


class RandomMode:
    """Random mode: masks blanking round(ratio * patches) random patches; E[dx] over the kept.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.1, Eq. 5.
    """

    name = "random"

    def steps(self, mask_ratio: float) -> int:
        """Fills per mask: one."""
        return 1

    def masks(self, fill: FillInTheBlanks, seed, grid: Sequence[int]) -> tf.Tensor:
        """(batch_size, H, W) random masks."""
        return random_masks(seed, fill.batch_size, grid, fill.patch_size,
                            blank_count(grid, fill.mask_ratio))

    def batch(self, fill: FillInTheBlanks, grid, image, target, seed) -> MaskBatch:
        """dx of the masked images on their blanks; a mask counts when M(x) is still the target."""
        masks = self.masks(fill, seed, grid)[..., None]
        targets = tf.fill([fill.batch_size], target)
        directions, predictions = fill.direction_and_predictions(image[None] * masks, targets,
                                                                 1.0 - masks)
        return MaskBatch(directions, 1.0 - masks, tf.equal(predictions, target), predictions)

    def example(self, fill: FillInTheBlanks, grid, seeds, images, targets, prototypes) -> Example:
        """Each image's first mask, filled with its prototype: M(x) + T(E[dx]) (Eq. 3)."""
        masks = tf.concat([self.masks(fill, s, grid)[:1] for s in seeds], 0).numpy()
        filled = images * masks[..., None] + (1 - masks[..., None]) * prototypes
        return Example(masks, filled, None)


class ProgressiveMode:
    """Progressive mode: k disjoint masks filled in turn; a partition counts when every step is
    still classified as the target, and the prototype is T of the mean final fill.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2, Fig. 3.
    """

    name = "progressive"

    def steps(self, mask_ratio: float) -> int:
        """Fills per partition: k = round(1 / mask_ratio)."""
        return progressive_steps(mask_ratio)

    def masks(self, fill: FillInTheBlanks, seed, grid: Sequence[int]) -> tf.Tensor:
        """(batch_size, k, H, W) partitions into k disjoint masks."""
        return progressive_masks(seed, fill.batch_size, grid, fill.patch_size, fill.num_steps)

    def batch(self, fill: FillInTheBlanks, grid, image, target, seed) -> MaskBatch:
        """The final fill of each partition, over the whole image."""
        masks = self.masks(fill, seed, grid)
        images = tf.tile(image[None], [fill.batch_size, 1, 1, 1])
        steps, predictions = fill.fill_progressively(images, tf.fill([fill.batch_size], target),
                                                     masks[..., None])
        consistent = tf.reduce_all(tf.equal(predictions, target), axis=1)
        return MaskBatch(steps[:, -1], tf.ones_like(masks[:, 0, ..., None]), consistent,
                         predictions)

    def example(self, fill: FillInTheBlanks, grid, seeds, images, targets, prototypes) -> Example:
        """Each image's first partition filled step by step (Fig. 3); the first step's mask."""
        partitions = tf.concat([self.masks(fill, s, grid)[:1] for s in seeds], 0)
        steps = fill.fill_progressively(tf.constant(images), tf.constant(targets),
                                        partitions[..., None])[0].numpy()
        return Example(partitions[:, 0].numpy(), steps[:, 0], steps)


MODES = {mode.name: mode for mode in (RandomMode(), ProgressiveMode())}
"""Mode name -> its strategy: how masks are drawn, probed and shown."""
