"""Global sensitivity analysis on grid masks: the shared base of Sobol and HSIC attributions."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from scipy.stats import qmc

from cnn_explain_tf.explain.base import resolve_targets, target_probabilities
from cnn_explain_tf.explain.perturbations import MaskedScores, static_size
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["GridSensitivity", "check_designs", "sobol_points"]


def sobol_points(count: int, dimension: int, scramble: bool = True, seed: int = 0
                 ) -> np.ndarray:
    """(count, dimension) float32 points of the Sobol' sequence in [0, 1).

    `scramble=True`: Owen-scrambled with `seed` (scipy.stats.qmc.Sobol). `scramble=False`: the
    plain sequence without its first point (0, ..., 0), which is what `tf.math.sobol_sample`
    returns (xplique's samplers). The points are drawn in a power-of-two block and cut to
    `count`, so any count keeps the sequence's order.
    """
    skip = 0 if scramble else 1
    sampler = qmc.Sobol(dimension, scramble=scramble, seed=np.random.default_rng(seed))
    points = sampler.random_base2(max(0, math.ceil(math.log2(count + skip))))
    return points[skip:skip + count].astype(np.float32)


def check_designs(value, power_of_two: bool = False) -> int:
    """The number of designs: an int >= 2 (a variance needs two points), a power of two when
    `power_of_two` (the balance of a Sobol' sequence).

    Raises:
        InputError: anything else, named `num_designs` in the message.
    """
    count = check_positive_int("num_designs", value)
    if count < 2 or (power_of_two and count & (count - 1)):
        kind = "a power of two >= 2" if power_of_two else "an int >= 2"
        raise InputError(f"num_designs: expected {kind}, got {value!r}")
    return count


class GridSensitivity(MaskedScores):
    """Base of the global sensitivity methods (Sobol, HSIC): a fixed design of
    `grid_size` x `grid_size` cell values in [0, 1], each row upsampled (nearest) to a mask M of
    the input size; the target probability of every image x * M (the inpainting perturbation of
    Fel et al. 2021, Sec. 3) is scored about `batch_size` images per forward pass inside one
    compiled step; an estimator turns the (B, masks) scores into one index per cell, which is
    upsampled (bicubic, as xplique) to the input size.

    Subclasses set `design` ((masks, grid_size**2) float32) in `__init__` and implement
    `cell_indices_batch(scores)`.
    """

    design: np.ndarray

    def __init__(self, model, grid_size: int = 8, **kwargs):
        super().__init__(model, **kwargs)
        self.grid_size = check_positive_int("grid_size", grid_size)
        self.size = static_size(self.input_shape)
        if self.grid_size > min(self.size):
            raise InputError(f"grid_size: expected at most the image side {min(self.size)}, "
                             f"got {grid_size}")
        self.dimension = self.grid_size ** 2

    @property
    def num_masks(self) -> int:
        """Rows of the design: forward passes per image (one clean pass besides)."""
        return len(self.design)

    def masks(self, indices):
        cells = tf.reshape(tf.gather(tf.constant(self.design), indices),
                           (-1, self.grid_size, self.grid_size, 1))
        return tf.image.resize(cells, self.size, method="nearest")[..., 0]

    def design_scores(self, images, targets, target=None) -> tf.Tensor:
        """(B, num_masks) target probabilities (a callable target's scores) of every image under
        every mask of the design; -1 targets are resolved on the images."""
        targets = resolve_targets(self.forward(images)[1], targets, target)
        per_pass = self.masks_per_pass(images)
        chunks = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
        for start in tf.range(0, self.num_masks, per_pass):
            masks = self.masks(tf.range(start, tf.minimum(start + per_pass, self.num_masks)))
            scores = self._scores(images, masks, None, targets, target_probabilities, target)
            chunks = chunks.write(start // per_pass, tf.transpose(scores))
        return tf.transpose(chunks.concat())

    def cell_indices_batch(self, scores: tf.Tensor) -> tf.Tensor:
        """(B, grid_size**2) index of each cell from the (B, num_masks) design scores."""
        raise NotImplementedError

    def cell_batch(self, images, targets, target=None):
        """(B, grid_size, grid_size) indices of one batch, inside a compiled step."""
        indices = self.cell_indices_batch(self.design_scores(images, targets, target))
        return tf.reshape(indices, (-1, self.grid_size, self.grid_size))

    def cell_indices(self, images, targets=None) -> np.ndarray:
        """(B, grid_size, grid_size) indices per cell, before upsampling; targets as for
        `__call__`."""
        return self.run(self.cell_batch, images, targets)

    def attribution_batch(self, images, targets, target=None):
        return resize_bicubic(self.cell_batch(images, targets, target), self.size)


def resize_bicubic(maps: tf.Tensor, size) -> tf.Tensor:
    """Bicubic resize of (B, h, w) maps to (B, H, W), as xplique upsamples its GSA maps."""
    return tf.image.resize(maps[..., None], size, method="bicubic")[..., 0]

