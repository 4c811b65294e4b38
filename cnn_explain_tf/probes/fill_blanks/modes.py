"""Fill in the blanks' masking modes as strategy objects: random masks, one progressive sequence."""

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
    threshold_fill,
)

if TYPE_CHECKING:
    from cnn_explain_tf.probes.fill_blanks.probe import FillInTheBlanks

__all__ = ["MODES", "Fills", "MaskBatch", "ProgressiveMode", "RandomMode"]


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

    def masked_label(self, fill: FillInTheBlanks, image: np.ndarray, index: int, grid) -> int:
        """The most frequent class over the first batch of masked inputs M(x) of the image."""
        masks = self.masks(fill, fill.mask_seed(index), grid).numpy()[..., None]
        return int(np.argmax(np.bincount(fill.predict(image[None] * masks),
                                         minlength=fill.num_classes)))

    def fill(self, fill: FillInTheBlanks, images: np.ndarray, targets: np.ndarray,
             grid) -> Fills:
        """T(E[dx]) per image and the example M(x) + T(E[dx]) (Eq. 3-5).

        The example mask is the image's first drawn mask whose M(x) is classified as the target
        (the first drawn mask when none of the first batch is); T is normalised over its blanks.
        """
        expectations, kept, drawn = fill.expectations(images, targets, grid)
        prototypes = threshold_fill(tf.constant(expectations), tf.ones_like(images[..., :1]),
                                    fill.binarize, fill.threshold).numpy()
        masks = []
        for index, (image, target) in enumerate(zip(images, targets)):
            first = self.masks(fill, fill.mask_seed(index), grid).numpy()
            hits = np.flatnonzero(fill.predict(image[None] * first[..., None]) == target)
            masks.append(first[hits[0] if hits.size else 0])
        masks = np.stack(masks)[..., None]
        fills = threshold_fill(tf.constant(expectations), tf.constant(1.0 - masks),
                               fill.binarize, fill.threshold).numpy()
        return Fills(prototypes, expectations, masks[..., 0], images * masks + fills, None, None,
                     kept, drawn)


class ProgressiveMode:
    """Progressive mode: one sequence of k disjoint masks covering the image, filled in turn.

    Step i blanks M_i of the image filled so far (x with T_1 ... T_{i-1} in place) and fills it
    with T_i(dx); after k steps every pixel is a fill, and that image is the prototype. Nothing
    is averaged or selected: the sequence is drawn once per image (num_masks is unused).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2, Fig. 3.
    """

    name = "progressive"

    def steps(self, mask_ratio: float) -> int:
        """Fills per sequence: k = round(1 / mask_ratio)."""
        return progressive_steps(mask_ratio)

    def masks(self, fill: FillInTheBlanks, seed, grid: Sequence[int]) -> tf.Tensor:
        """(k, H, W): the image's one sequence of k disjoint masks."""
        return progressive_masks(seed, 1, grid, fill.patch_size, fill.num_steps)[0]

    def masked_label(self, fill: FillInTheBlanks, image: np.ndarray, index: int, grid) -> int:
        """The class of M_1(x), the first masked input of the image's sequence."""
        first = self.masks(fill, fill.mask_seed(index), grid)[:1].numpy()[..., None]
        return int(fill.predict(image[None] * first)[0])

    def fill(self, fill: FillInTheBlanks, images: np.ndarray, targets: np.ndarray,
             grid) -> Fills:
        """Each image's first sequence filled step by step (Fig. 3); the final image is T."""
        sequences = np.stack([self.masks(fill, fill.mask_seed(index), grid).numpy()
                              for index in range(len(images))])
        steps, predictions, directions = fill.fill_progressively(images, targets, sequences)
        ones = np.ones(len(images), np.int64)
        return Fills(steps[:, -1], directions, sequences[:, 0], steps[:, 0], steps, predictions,
                     ones, ones)


MODES = {mode.name: mode for mode in (RandomMode(), ProgressiveMode())}
"""Mode name -> its strategy: how masks are drawn, probed and filled."""
