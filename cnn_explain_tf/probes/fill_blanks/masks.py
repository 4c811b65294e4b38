"""Fill in the blanks' masks M (random, progressive) and the fill transform T of their blanks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.validation import InputError

__all__ = ["FILL_RULES", "blank_count", "patch_grid", "progressive_masks", "progressive_steps",
           "random_masks", "threshold_fill"]


def patch_grid(size: Sequence[int], patch_size: int) -> tuple[int, int]:
    """(rows, columns) of `patch_size` patches tiling an image of `size` (H, W).

    Raises:
        InputError: `patch_size` does not divide H and W; the message lists the divisors.
    """
    height, width = (int(v) for v in size)
    if height % patch_size or width % patch_size:
        divisors = [d for d in range(1, min(height, width) + 1)
                    if height % d == 0 and width % d == 0]
        raise InputError(f"patch_size: expected a divisor of the image size {height}x{width} "
                         f"(one of {divisors}), got {patch_size}; resize the images or "
                         "pick another patch size (padding would add blanks never filled)")
    return height // patch_size, width // patch_size


def blank_count(grid: Sequence[int], mask_ratio: float) -> int:
    """Patches blanked by one random mask: round(mask_ratio * patches), at least 1.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.1 (each
        mask has eta * n zeros).
    """
    patches = grid[0] * grid[1]
    return int(min(patches, max(1, round(mask_ratio * patches))))


def progressive_steps(mask_ratio: float) -> int:
    """k = round(1 / mask_ratio) (at least 1): the disjoint masks of one progressive partition.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2
        (eta = 1 / k).
    """
    return max(1, round(1 / mask_ratio))


def random_masks(seed: tf.Tensor, count: int, grid: Sequence[int], patch_size: int,
                 blanks: int) -> tf.Tensor:
    """(count, H, W) masks, 1 kept and 0 blank, each blanking exactly `blanks` random patches.

    Args:
        seed: stateless seed, shape (2,).
        count: number of masks.
        grid: (rows, columns) of patches; H = rows * patch_size.
        patch_size: side of a square patch in pixels.
        blanks: patches blanked per mask.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.1 (M as
        a uniform random variable).
    """
    noise = _patch_noise(seed, count, grid)
    # the `blanks` patches of lowest noise (its lowest ranks), by one top-k instead of a sort
    cutoff = -tf.math.top_k(-noise, blanks, sorted=False).values
    blank = noise <= tf.reduce_max(cutoff, axis=-1, keepdims=True)
    return _patches_to_pixels(tf.cast(~blank, tf.float32), grid, patch_size)


def progressive_masks(seed: tf.Tensor, count: int, grid: Sequence[int], patch_size: int,
                      steps: int) -> tf.Tensor:
    """(count, steps, H, W) masks, 1 kept and 0 blank, `steps` disjoint masks per partition.

    The blanks of one partition cover the image; each mask blanks a random 1/steps of the
    patches (the group sizes differ by at most 1).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.2 and
        Fig. 3 (non-overlapping masks M_1 ... M_k).
    """
    ranks = _random_ranks(seed, count, grid)
    groups = ranks * steps // (grid[0] * grid[1])
    masks = tf.cast(groups[:, None, :] != tf.range(steps)[None, :, None], tf.float32)
    return _patches_to_pixels(masks, grid, patch_size)


def _patch_noise(seed, count: int, grid: Sequence[int]) -> tf.Tensor:
    """(count, patches) uniform noise whose order is a uniformly random permutation per row."""
    return tf.random.stateless_uniform((count, grid[0] * grid[1]), seed)


def _random_ranks(seed, count: int, grid: Sequence[int]) -> tf.Tensor:
    """(count, patches) int32: the rank of each patch's noise, a random permutation per row."""
    return tf.argsort(tf.argsort(_patch_noise(seed, count, grid), axis=-1), axis=-1)


def _patches_to_pixels(masks: tf.Tensor, grid: Sequence[int], patch_size: int) -> tf.Tensor:
    """(..., patches) -> (..., rows * patch_size, columns * patch_size), nearest upsampling."""
    masks = tf.reshape(masks, (*masks.shape[:-1], *grid))
    return tf.repeat(tf.repeat(masks, patch_size, axis=-2), patch_size, axis=-1)


FILL_RULES = ("minmax", "positive", "symmetric")
"""The normalisations N of Eq. 4's T(dx) = Binarize(N(dx)) that `threshold_fill` offers, each over
one sample's blanks: "minmax" (dx - min) / (max - min); "positive" max(dx, 0) / max(dx), so only a
positive update can switch a pixel on; "symmetric" (1 + dx / max|dx|) / 2 where dx != 0 and 0
where dx = 0 (a pixel the loss does not depend on has no direction), so threshold 0.5 switches on
exactly the pixels of positive update, the red part of the paper's Fig. 1."""


def threshold_fill(directions: tf.Tensor, regions: tf.Tensor, binarize: bool = True,
                   threshold: float = 0.5, rule: str = "minmax") -> tf.Tensor:
    """T(dx): normalise each sample's direction over its region by `rule`, then binarise it.

    The paper names neither the normalisation nor the threshold of Eq. 4; `FILL_RULES` lists
    the normalisations offered. Min-max scaling ("minmax") maps a sample's smallest update to 0
    and its largest to 1, so at threshold 0.5 it switches on pixels whose update is negative
    whenever the midpoint of the updates is negative.

    Args:
        directions: (n, H, W, C) dx.
        regions: (n, H, W, 1) 1 where the fill applies (the blanks), 0 elsewhere.
        binarize: threshold the normalised values into {0, 1}.
        threshold: values >= threshold become 1.
        rule: one of `FILL_RULES`.

    Returns:
        (n, H, W, C) fills in [0, 1] ({0, 1} with `binarize`), 0 outside the regions.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Eq. 4
        (T = Binarize(normalize(M~(dx)))), Fig. 1 (positive updates in red) and Section 4.6
        (the choice of binarisation).
    """
    inside = tf.broadcast_to(regions > 0, tf.shape(directions))
    scaled = _NORMALISATIONS[rule](directions, inside)
    if binarize:
        scaled = tf.cast(scaled >= threshold, tf.float32)
    return tf.where(inside, scaled, 0.0)


def _extreme(values: tf.Tensor, inside: tf.Tensor, reduce, fill: float) -> tf.Tensor:
    """`reduce` (tf.reduce_min / max) of each sample's `values` over its region, kept dims."""
    return reduce(tf.where(inside, values, fill), axis=[1, 2, 3], keepdims=True)


def _ratio(numerator: tf.Tensor, denominator: tf.Tensor) -> tf.Tensor:
    """numerator / denominator, 0 where the denominator is (near) 0: a flat update fills 0."""
    return tf.math.divide_no_nan(numerator, tf.where(denominator > 1e-12, denominator, 0.0))


def _minmax(directions: tf.Tensor, inside: tf.Tensor) -> tf.Tensor:
    low = _extreme(directions, inside, tf.reduce_min, np.inf)
    return _ratio(directions - low, _extreme(directions, inside, tf.reduce_max, -np.inf) - low)


def _positive(directions: tf.Tensor, inside: tf.Tensor) -> tf.Tensor:
    positive = tf.nn.relu(directions)
    return _ratio(positive, _extreme(positive, inside, tf.reduce_max, 0.0))


def _symmetric(directions: tf.Tensor, inside: tf.Tensor) -> tf.Tensor:
    largest = _extreme(tf.abs(directions), inside, tf.reduce_max, 0.0)
    return tf.where(directions == 0, 0.0, 0.5 + 0.5 * _ratio(directions, largest))


_NORMALISATIONS = {"minmax": _minmax, "positive": _positive, "symmetric": _symmetric}
