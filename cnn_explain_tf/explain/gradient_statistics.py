"""Statistics of input gradients over noisy copies of the image: SmoothGrad, VarGrad, SquareGrad."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import normalize, register
from cnn_explain_tf.explain.gradients import InputGradients
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["NoisyGradients", "SmoothGrad", "SquareGrad", "VarGrad"]


class NoisyGradients(InputGradients):
    """Base of the gradient statistics: `num_samples` noisy copies of each image, one batched
    gradient pass per copy, and a per-pixel `statistic` of the gradients (the one hook).

    Noise is Gaussian with standard deviation `noise_level * (max - min)` of each image (for
    images spanning [0, 1], xplique's absolute `noise`), drawn from a stateless generator seeded
    by `seed`: same seed, same maps. `attributions()` returns the statistic (B, H, W, C); the
    map is its largest magnitude over channels, min-max scaled (as saliency).

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
        """The (B, H, W, C) `statistic` of one batch's noisy gradients, inside a compiled step."""
        sigma = self.noise_level * (tf.reduce_max(images, axis=(1, 2, 3), keepdims=True)
                                    - tf.reduce_min(images, axis=(1, 2, 3), keepdims=True))
        total, squares = tf.zeros_like(images), tf.zeros_like(images)
        for sample in tf.range(self.num_samples):
            noise = tf.random.stateless_normal(tf.shape(images), seed=[self.seed, sample])
            gradients = self.sample_gradients(images + sigma * noise, targets, target)
            total += gradients
            squares += tf.square(gradients)
        return self.statistic(total, squares, self.num_samples)

    def sample_gradients(self, images, targets, target=None) -> tf.Tensor:
        """The input gradients of one noisy copy (a hook for per-sample transforms)."""
        return self.input_gradients(images, targets, target)

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

    def sample_gradients(self, images, targets, target=None):
        gradients = self.input_gradients(images, targets, target)
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
