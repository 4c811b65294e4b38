"""Statistics of input gradients over noisy copies of the image: SmoothGrad, VarGrad, SquareGrad."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import normalize, register, resolve_targets
from cnn_explain_tf.explain.gradients import InputGradients
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["NoisyGradients", "SmoothGrad", "SquareGrad", "VarGrad"]


class NoisyGradients(InputGradients):
    """Base of the gradient statistics: `num_samples` noisy copies of each image, their input
    gradients in batched passes of about `batch_size` inputs (max(1, batch_size // B) copies of
    each of the B images per pass), and a per-pixel `statistic` of the gradients (the one hook).

    Noise is Gaussian with standard deviation `noise_level * (max - min)` of each image (for
    images spanning [0, 1], xplique's absolute `noise`), drawn from a stateless generator seeded
    by `seed`: same seed, same maps, whatever the number of copies per gradient pass.
    `attributions()` returns the statistic (B, H, W, C); the map is its largest magnitude over
    channels, min-max scaled (as saliency).

    Args:
        model: the classifier.
        num_samples: noisy copies per image.
        noise_level: noise scale relative to each image's value range.
        seed: random seed.
        **kwargs: `output`, `batch_size`.
    """

    min_samples = 1

    def __init__(self, model, num_samples: int = 20, noise_level: float = 0.2, seed: int = 0,
                 **kwargs):
        super().__init__(model, **kwargs)
        self.num_samples = check_positive_int("num_samples", num_samples)
        if self.num_samples < self.min_samples:
            raise InputError(f"num_samples: expected at least {self.min_samples} for "
                             f"{type(self).__name__}, got {num_samples!r}")
        if not 0.0 <= float(noise_level) <= 10.0:
            raise InputError(f"noise_level: expected a value in [0, 10], got {noise_level!r}")
        self.noise_level = float(noise_level)
        self.seed = int(seed)

    def statistic(self, total: tf.Tensor, squares: tf.Tensor, count: int) -> tf.Tensor:
        """(B, H, W, C) statistic from the sum and the sum of squares of `count` gradients."""
        raise NotImplementedError

    def attribution_batch(self, images, targets, target=None) -> tf.Tensor:
        """The (B, H, W, C) `statistic` of one batch's noisy gradients, inside a compiled step:
        max(1, batch_size // B) noisy copies of each image per gradient pass (about
        `batch_size` inputs per pass, as in the other batched methods). A -1 target is the
        class predicted on the clean image, the same for every noisy copy."""
        if target is None:
            targets = resolve_targets(self.forward(images)[1], targets)
        sigma = self.noise_level * (tf.reduce_max(images, axis=(1, 2, 3), keepdims=True)
                                    - tf.reduce_min(images, axis=(1, 2, 3), keepdims=True))
        per_pass = self.copies_per_pass(images)
        total, squares = tf.zeros_like(images), tf.zeros_like(images)
        for start in tf.range(0, self.num_samples, per_pass):
            samples = tf.range(start, tf.minimum(start + per_pass, self.num_samples))
            gradients = self._copies_gradients(images, sigma, samples, targets, target)
            total += tf.reduce_sum(gradients, axis=0)
            squares += tf.reduce_sum(tf.square(gradients), axis=0)
        return self.statistic(total, squares, self.num_samples)

    def _copies_gradients(self, images, sigma, samples, targets, target) -> tf.Tensor:
        """(n, B, H, W, C) `sample_gradients` of the noisy copies `samples` (n indices), from
        ONE pass over their n x B images; copy s adds sigma times the stateless normal draw of
        the batch's shape seeded by [seed, s]."""
        noise = tf.map_fn(lambda sample: tf.random.stateless_normal(
            tf.shape(images), seed=tf.stack([self.seed, sample])), samples,
            fn_output_signature=tf.float32)
        return self.sample_gradients(images[None] + sigma[None] * noise, targets, target)

    def sample_gradients(self, copies, targets, target=None) -> tf.Tensor:
        """The (n, B, H, W, C) input gradients of n noisy copies of the batch, in one pass (a
        hook for element-wise transforms)."""
        return self.stacked_gradients(copies, targets, target)

    def attributions(self, images, targets=None) -> np.ndarray:
        """The (B, H, W, C) statistic as float32 numpy; targets as for `__call__`."""
        return self.run(self.attribution_batch, images, targets)

    def explain_batch(self, images, targets, target=None):
        return normalize(self.reduce(images, self.attribution_batch(images, targets, target)))


@register
class SmoothGrad(NoisyGradients):
    """SmoothGrad: the mean input gradient over noisy copies of the image; signed attributions
    (B, H, W, C). The map is |mean gradient|, max over channels, min-max scaled, as the paper
    (and xplique, tf-keras-vis) visualises it. `absolute_first=True` averages |g| instead (the
    convention before version 0.9): the noise then no longer cancels in the mean.

    Args:
        model: the classifier.
        num_samples: noisy copies per image (n).
        noise_level: sigma relative to each image's value range.
        seed: random seed.
        absolute_first: average the absolute gradients instead of the gradients.
        **kwargs: `output`, `batch_size`.

    References: Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017, Eq. 3:
    M^(x) = 1/n sum_1^n M(x + N(0, sigma^2)).
    """

    name = "smoothgrad"

    def __init__(self, model, num_samples: int = 20, noise_level: float = 0.2, seed: int = 0,
                 absolute_first: bool = False, **kwargs):
        super().__init__(model, num_samples, noise_level, seed, **kwargs)
        self.absolute_first = bool(absolute_first)

    def sample_gradients(self, copies, targets, target=None):
        gradients = super().sample_gradients(copies, targets, target)
        return tf.abs(gradients) if self.absolute_first else gradients

    def statistic(self, total, squares, count):
        return total / count


@register
class SquareGrad(NoisyGradients):
    """SquareGrad (SmoothGrad-squared): the mean squared input gradient over noisy copies.

    References: Hooker et al., "A Benchmark for Interpretability Methods in Deep Neural
    Networks", NeurIPS 2019, Sec. 3 (SmoothGrad^2: 1/n sum_1^n M(x + N(0, sigma^2))^2).
    """

    name = "squaregrad"

    def statistic(self, total, squares, count):
        return squares / count


@register
class VarGrad(NoisyGradients):
    """VarGrad: the unbiased variance of the input gradient over noisy copies (at least 2).

    References: Adebayo et al., "Local Explanation Methods for Deep Neural Networks Lack
    Sensitivity to Parameter Values", ICLR Workshop 2018: VG(x) = V(M(x + N(0, sigma^2)));
    Hooker et al., NeurIPS 2019, Sec. 3.
    """

    name = "vargrad"
    min_samples = 2

    def statistic(self, total, squares, count):
        mean = total / count
        return tf.nn.relu(squares / count - tf.square(mean)) * (count / (count - 1))
