"""Perturbation attributions: Occlusion (sliding patch) and RISE (random masks), batched."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.attributions import SignedAttributions, check_baseline
from cnn_explain_tf.explain.base import (
    Explainer,
    register,
    resolve_targets,
    target_probabilities,
    target_scores,
)
from cnn_explain_tf.validation import InputError, check_positive_int, describe

__all__ = ["RISE", "MaskedScores", "Occlusion", "occlusion_corners", "patch_masks", "static_size"]


def _pair(name: str, value) -> tuple[int, int]:
    """An int or (height, width) pair of ints >= 1."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise InputError(f"{name}: expected an int or a (height, width) pair, got {value!r}")
    return tuple(check_positive_int(name, one) for one in values)


def occlusion_corners(size: tuple[int, int], patch: tuple[int, int], stride: tuple[int, int]
                      ) -> np.ndarray:
    """(P, 2) top-left corners of the patches sliding over an image of `size`, in row order.

    Along each axis the corners are 0, stride, 2 stride, ... plus the last one, size - patch,
    so every pixel is covered. E.g. size 10, patch 4, stride 4: corners 0, 4, 6.
    """
    axes = [sorted(set(range(0, length - side + 1, step)) | {length - side})
            for length, side, step in zip(size, patch, stride)]
    return np.array([(row, col) for row in axes[0] for col in axes[1]], np.int32)


def patch_masks(corners: tf.Tensor, patch: tuple[int, int], size: tuple[int, int]) -> tf.Tensor:
    """(n, H, W) float masks, 1 inside the patch at each of the (n, 2) `corners`."""
    rows = tf.range(size[0])[None, :, None]
    cols = tf.range(size[1])[None, None, :]
    top, left = corners[:, 0, None, None], corners[:, 1, None, None]
    inside = ((rows >= top) & (rows < top + patch[0]) & (cols >= left)
              & (cols < left + patch[1]))
    return tf.cast(inside, tf.float32)


def _masked_inputs(images, masks, fill=None):
    """(B * n, H, W, C) images x masks, image-major: images * m + fill * (1 - m) (fill None:
    zeros, images * m without the fill's two operations)."""
    masks = masks[None, ..., None]
    combined = images[:, None] * masks
    if fill is not None:
        combined += fill * (1.0 - masks)
    return tf.reshape(combined, tf.concat([[-1], tf.shape(images)[1:]], axis=0))


class MaskedScores(SignedAttributions, Explainer):
    """Base of the mask-based methods: sum over masks of weight(score of the masked image) x mask,
    evaluated `batch_size // B` masks at a time (about `batch_size` images per forward pass)."""

    num_masks: int = 0

    def masks(self, indices: tf.Tensor) -> tf.Tensor:
        """(n, H, W) masks of the given mask indices."""
        raise NotImplementedError

    def reference_scores(self, logits, targets, target=None) -> tf.Tensor:
        """(B,) score of the unmasked images (their `logits`), computed once per batch."""
        raise NotImplementedError

    def mask_weights(self, images, masks, targets, reference, target=None) -> tf.Tensor:
        """(B, n) weight of each mask for each image, given the `reference_scores` (`target`:
        the callable target or None)."""
        raise NotImplementedError

    def weighted_mask_sums(self, images, targets, target=None) -> tuple[tf.Tensor, tf.Tensor]:
        """Sums over all masks of weight x mask (B, H, W) and of the weights (B,); -1 targets
        are resolved on the images."""
        _, logits = self.forward(images)
        targets = resolve_targets(logits, targets, target)
        reference = self.reference_scores(logits, targets, target)
        per_pass = self.masks_per_pass(images)
        total, weight_sum = tf.zeros(tf.shape(images)[:3]), tf.zeros(tf.shape(images)[:1])
        for start in tf.range(0, self.num_masks, per_pass):
            masks = self.masks(tf.range(start, tf.minimum(start + per_pass, self.num_masks)))
            weights = self.mask_weights(images, masks, targets, reference, target)
            total += tf.einsum("bn,nhw->bhw", weights, masks)
            weight_sum += tf.reduce_sum(weights, axis=1)
        return total, weight_sum

    def masks_per_pass(self, images) -> tf.Tensor:
        """Masks scored per forward pass: about `batch_size` masked images, at least one mask."""
        return tf.maximum(1, self.batch_size // tf.shape(images)[0])

    def _scores(self, images, masks, fill, targets, score, target):
        """(B, n) `score` (of `target`) of every image under every mask, the rest of the image
        set to `fill` (None: zeros)."""
        count = tf.shape(masks)[0]
        _, logits = self.forward(_masked_inputs(images, masks, fill))
        scores = score(logits, tf.repeat(targets, count), target)
        return tf.reshape(scores, (-1, count))


@register
class Occlusion(MaskedScores):
    """Occlusion: the drop of the target score when a patch of the image is set to `baseline`.

    Signed attributions (B, H, W): each pixel gets the mean score drop over the patches that
    cover it (captum's convention; `aggregation="sum"`: their sum, xplique's). A negative value
    means that occluding the pixel raises the score. The map is the min-max scaled signed drop,
    as the paper maps the class score against the occluder position: regions whose occlusion
    raises the score come out dark (`absolute=True`: the scaled |drop|, the convention before
    version 0.9). Every patch of every image is scored inside one compiled step, about
    `batch_size` occluded images per forward pass.

    Args:
        model: the classifier.
        patch_size: patch side, or (height, width).
        stride: step between patches, or (height, width); None: half the patch (at least 1).
        baseline: the occluding value (a number) or an image of the input shape.
        aggregation: "mean" or "sum" of the drops of the patches covering a pixel.
        absolute: map the magnitude of the drop instead of the signed drop.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: a patch larger than the image, a stride < 1, a bad baseline or aggregation.

    References: Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV
    2014, Sec. 4.2 and Fig. 7 (the correct-class probability as a function of the occluder
    position).
    """

    name = "occlusion"

    def __init__(self, model, patch_size=8, stride=None, baseline=0.0, aggregation: str = "mean",
                 absolute: bool = False, **kwargs):
        super().__init__(model, **kwargs)
        self.size = static_size(self.input_shape)
        self.patch = _pair("patch_size", patch_size)
        if self.patch[0] > self.size[0] or self.patch[1] > self.size[1]:
            raise InputError(f"patch_size: expected a patch no larger than the image "
                             f"{self.size}, got {self.patch}")
        if aggregation not in ("mean", "sum"):
            raise InputError(f"aggregation: expected 'mean' or 'sum', got {aggregation!r}")
        default = tuple(max(1, side // 2) for side in self.patch)
        self.stride = default if stride is None else _pair("stride", stride)
        self.baseline = check_baseline(baseline, self.input_shape)
        self.corners = occlusion_corners(self.size, self.patch, self.stride)
        self.num_masks, self.absolute = len(self.corners), bool(absolute)
        coverage = patch_masks(tf.constant(self.corners), self.patch, self.size)
        self.coverage = (tf.reduce_sum(coverage, axis=0).numpy() if aggregation == "mean"
                         else np.ones(self.size, np.float32))

    def masks(self, indices):
        return patch_masks(tf.gather(tf.constant(self.corners), indices), self.patch, self.size)

    def reference_scores(self, logits, targets, target=None):
        return target_scores(logits, targets, target)

    def mask_weights(self, images, masks, targets, reference, target=None):
        scores = self._scores(images, 1.0 - masks, tf.constant(self.baseline), targets,
                              target_scores, target)
        return reference[:, None] - scores

    def attribution_batch(self, images, targets, target=None):
        return self.weighted_mask_sums(images, targets, target)[0] / tf.constant(self.coverage)


@register
class RISE(MaskedScores):
    """RISE: the mean of random masks weighted by the target probability of the masked image.

    Masks: a `grid_size` x `grid_size` binary grid (each cell kept with `keep_probability`),
    bilinearly upsampled to (grid_size + 1) cells and cropped at a random shift; the grids and
    shifts come from `numpy.random.default_rng(seed)` (same seed, same maps). The signed
    attributions are sum_i (f(x * M_i) - f_mean) M_i / (N p), with f_mean the mean score over the
    masks: the paper's estimate minus f_mean sum_i M_i / (N p), whose expectation is the constant
    f_mean. The control variate removes the Monte Carlo noise of the mask density, and a score
    that does not depend on the input gives 0. Scores are the softmax probability of the target
    class (a callable target's score when one is given); every mask is scored inside one
    compiled step.

    The map is the min-max scaled signed attributions: the paper's saliency map S up to the
    constant shift, which min-max scaling removes, so pixels whose presence lowers the score
    come out dark. `absolute=True` maps |attributions| instead (the convention before version
    0.9; the centring then no longer cancels and such pixels come out bright).

    Args:
        model: the classifier.
        num_masks: N, the number of random masks.
        grid_size: cells per side of the low-resolution grid.
        keep_probability: p, the probability that a cell is kept.
        seed: random seed of the masks.
        absolute: map the magnitude of the attributions instead of their signed values.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: num_masks or grid_size < 1, keep_probability outside (0, 1].

    References: Petsiuk et al., "RISE: Randomized Input Sampling for Explanation of Black-box
    Models", BMVC 2018, Eq. 6: the Monte Carlo estimate S(l) = sum_i f(x * M_i) M_i(l) / (E[M] N),
    and Sec. 3.2: the mask generation (small binary grids, bilinear upsampling, random shift).
    """

    name = "rise"

    def __init__(self, model, num_masks: int = 2000, grid_size: int = 8,
                 keep_probability: float = 0.5, seed: int = 0, absolute: bool = False,
                 **kwargs):
        super().__init__(model, **kwargs)
        self.absolute = bool(absolute)
        self.num_masks = check_positive_int("num_masks", num_masks)
        self.grid_size = check_positive_int("grid_size", grid_size)
        if not 0.0 < float(keep_probability) <= 1.0:
            raise InputError(f"keep_probability: expected a value in (0, 1], got "
                             f"{describe(keep_probability)}")
        self.keep_probability = float(keep_probability)
        self.size = static_size(self.input_shape)
        self.cell = tuple(math.ceil(side / self.grid_size) for side in self.size)
        rng = np.random.default_rng(seed)
        grids = rng.random((self.num_masks, self.grid_size, self.grid_size))
        self.grids = (grids < self.keep_probability).astype(np.float32)
        self.shifts = np.stack([rng.integers(0, side, self.num_masks) for side in self.cell], 1)
        self.mask_sum = sum(np.sum(self.masks(tf.range(start, min(start + 128, num_masks))),
                                   axis=0) for start in range(0, num_masks, 128))

    def masks(self, indices):
        grids = tf.gather(tf.constant(self.grids), indices)[..., None]
        upsampled = tf.image.resize(grids, [(self.grid_size + 1) * side for side in self.cell],
                                    method="bilinear")[..., 0]
        shifts = tf.gather(tf.constant(self.shifts, tf.int32), indices)
        rows = shifts[:, :1] + tf.range(self.size[0])[None]
        cols = shifts[:, 1:] + tf.range(self.size[1])[None]
        cropped = tf.gather(upsampled, rows, axis=1, batch_dims=1)
        return tf.gather(cropped, cols, axis=2, batch_dims=1)

    def reference_scores(self, logits, targets, target=None):
        return target_probabilities(logits, targets, target)

    def mask_weights(self, images, masks, targets, reference, target=None):
        # Shifted by the clean image's score; the centring in attribution_batch removes the
        # shift exactly, and a score that does not depend on the input gives exact zeros.
        scores = self._scores(images, masks, None, targets, target_probabilities, target)
        return scores - reference[:, None]

    def attribution_batch(self, images, targets, target=None):
        total, weight_sum = self.weighted_mask_sums(images, targets, target)
        mean_weight = weight_sum[:, None, None] / self.num_masks
        return ((total - mean_weight * tf.constant(self.mask_sum))
                / (self.num_masks * self.keep_probability))


def static_size(input_shape) -> tuple[int, int]:
    """(H, W) of a model with a fixed input size, which mask methods need."""
    if input_shape[0] is None or input_shape[1] is None:
        raise InputError(f"model: masks need a fixed input size, got input shape {input_shape}")
    return int(input_shape[0]), int(input_shape[1])
