"""Signed attributions: the shared base, Gradient x Input and Integrated Gradients."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.explain.base import normalize, register, resolve_targets
from cnn_explain_tf.explain.gradients import InputGradients
from cnn_explain_tf.validation import InputError, check_positive_int, describe

__all__ = ["GradientSHAP", "GradientXInput", "IntegratedGradients", "SignedAttributions",
           "attribution_map", "attribution_magnitude", "check_baseline", "check_baselines"]


def attribution_magnitude(attributions: tf.Tensor) -> tf.Tensor:
    """(B, H, W) magnitude of signed attributions: |sum over channels| for (B, H, W, C), |a| for
    (B, H, W). Summing first keeps a pixel's net contribution (channels that cancel, cancel)."""
    if attributions.shape.rank == 4:
        attributions = tf.reduce_sum(attributions, axis=-1)
    return tf.abs(attributions)


def attribution_map(attributions: tf.Tensor, absolute: bool = True) -> tf.Tensor:
    """(B, H, W) map in [0, 1] of signed attributions: min-max scaled `attribution_magnitude`
    when `absolute`, else the min-max scaled signed values (summed over channels), so that
    pixels with negative attributions come out darkest."""
    if absolute:
        return normalize(attribution_magnitude(attributions))
    if attributions.shape.rank == 4:
        attributions = tf.reduce_sum(attributions, axis=-1)
    return normalize(attributions)


class SignedAttributions:
    """Mixin of the explainers with signed attributions (placed before the Explainer base).

    `attributions(images, targets)` returns the signed attributions as float32 numpy; the
    (B, H, W) map of `explainer(images)` is `attribution_map(attributions, self.absolute)`:
    their normalised magnitude by default, the normalised signed values for the methods whose
    paper maps the signed values (`absolute = False`). Subclasses implement `attribution_batch`.
    """

    absolute: bool = True

    def attribution_batch(self, images: tf.Tensor, targets: tf.Tensor, target=None) -> tf.Tensor:
        """Signed attributions of one batch, inside a compiled step (`target`: see
        `Explainer.explain_batch`)."""
        raise NotImplementedError

    def attributions(self, images, targets=None) -> np.ndarray:
        """Signed attributions in batches of `batch_size`; targets as for `__call__`."""
        return self.run(self.attribution_batch, images, targets)

    def explain_batch(self, images, targets, target=None):
        return attribution_map(self.attribution_batch(images, targets, target), self.absolute)


@register
class GradientXInput(SignedAttributions, InputGradients):
    """Gradient x Input: x * d(target score)/dx; signed attributions (B, H, W, C).

    References: Shrikumar et al., "Not Just a Black Box: Learning Important Features Through
    Propagating Activation Differences", arXiv 1605.01713, 2016 (the attribution
    x_i * dS/dx_i); Ancona et al., "Towards better understanding of gradient-based attribution
    methods for Deep Neural Networks", ICLR 2018 (same formula, compared with LRP-epsilon).
    """

    name = "gradient_x_input"

    def attribution_batch(self, images, targets, target=None):
        return images * self.input_gradients(images, targets, target)


def check_baseline(baseline, input_shape) -> np.ndarray:
    """A baseline as float32: a number (every pixel) or an array of the model's input shape.

    Raises:
        InputError: an array of another shape, or non-finite values.
    """
    array = np.asarray(baseline, np.float32)
    expected = tuple(input_shape)
    if array.ndim != 0 and array.shape != expected:
        raise InputError(f"baseline: expected a number or an array of the input shape "
                         f"{expected}, got {describe(np.asarray(baseline))}")
    if not np.all(np.isfinite(array)):
        raise InputError("baseline: expected finite values, got NaN or inf")
    return array


@register
class IntegratedGradients(SignedAttributions, InputGradients):
    """Integrated Gradients: (x - x') times the mean gradient along the straight path x' -> x.

    The integral is the midpoint Riemann sum over `steps` points alpha_k = (k + 1/2) / steps.
    Every interpolated image of a batch is computed inside ONE compiled step, in forward and
    backward passes of B x `steps_per_pass` inputs; by default `steps_per_pass` is
    max(1, batch_size // B), so a pass holds about `batch_size` inputs as in the other batched
    methods (`steps_per_pass=steps`: all steps in one pass; on 2 CPU cores that was about 20 %
    slower than one step per pass, vgg_lite 64x64, batch 16, benchmarks/methods.py). A target of
    -1 (the predicted class) is resolved on the image, not along the path. Completeness: the
    attributions sum to about f(x) - f(x').

    Args:
        model: the classifier.
        steps: points of the Riemann sum.
        baseline: x', a number (every pixel, default 0: black) or an array of the input shape.
        steps_per_pass: interpolation steps per forward/backward pass (None: about
            `batch_size` inputs per pass).
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: a baseline of another shape, or steps / steps_per_pass < 1.

    References: Sundararajan et al., "Axiomatic Attribution for Deep Networks", ICML 2017:
    IG_i(x) = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x'))/dx_i da (Sec. 3), its Riemann-sum
    approximation (Sec. 5) and completeness (Prop. 1).
    """

    name = "integrated_gradients"

    def __init__(self, model, steps: int = 32, baseline=0.0, steps_per_pass: int | None = None,
                 **kwargs):
        self.steps = check_positive_int("steps", steps)
        self.steps_per_pass = None if steps_per_pass is None else min(
            check_positive_int("steps_per_pass", steps_per_pass), self.steps)
        super().__init__(model, **kwargs)
        self.baseline = check_baseline(baseline, self.input_shape)

    def attribution_batch(self, images, targets, target=None):
        if target is None:
            targets = resolve_targets(self.forward(images)[1], targets)
        baseline = tf.broadcast_to(tf.constant(self.baseline), tf.shape(images))
        alphas = (tf.range(self.steps, dtype=tf.float32) + 0.5) / self.steps
        per_pass = (self.copies_per_pass(images) if self.steps_per_pass is None
                    else self.steps_per_pass)
        total = tf.zeros_like(images)
        for start in tf.range(0, self.steps, per_pass):
            chunk = alphas[start:start + per_pass]
            total += self._path_gradients(images, baseline, chunk, targets, target)
        return (images - baseline) * total / self.steps

    def _path_gradients(self, images, baseline, alphas, targets, target):
        """Sum over `alphas` of the input gradients at baseline + alpha (images - baseline)."""
        path = baseline[None] + alphas[:, None, None, None, None] * (images - baseline)[None]
        return tf.reduce_sum(self.stacked_gradients(path, targets, target), axis=0)


def check_baselines(baselines, input_shape) -> np.ndarray:
    """GradientSHAP's baselines as a float32 (K, *input_shape) array: a number, one image of the
    input shape, or K >= 1 such images.

    Raises:
        InputError: another shape, or non-finite values.
    """
    array = np.asarray(baselines, np.float32)
    if array.ndim == len(input_shape) + 1 and array.shape[1:] == tuple(input_shape) and len(
            array):
        for one in array:
            check_baseline(one, input_shape)
        return array
    return np.broadcast_to(check_baseline(array, input_shape), tuple(input_shape))[None].copy()


@register
class GradientSHAP(SignedAttributions, InputGradients):
    """GradientSHAP: the expected gradient x (input - baseline) over random baselines, random
    points on the path and, optionally, Gaussian input noise; signed attributions (B, H, W, C).

    For each of `num_samples` draws k (stateless, seeded by `seed`): a baseline b_k from
    `baselines`, alpha_k ~ U(0, 1) and x_k = x + N(0, sigma^2) with sigma = `noise_level` x
    (max - min) of the image; the attribution is
    1/n sum_k (x_k - b_k) * dS/dx (b_k + alpha_k (x_k - b_k)), captum's GradientShap. In
    expectation its sum is S(x) - E_b S(b) for a model linear between x and the baselines.
    Each gradient pass holds max(1, batch_size // B) draws of each of the B images.

    Args:
        model: the classifier.
        baselines: a number, an image of the input shape or (K, H, W, C) images.
        num_samples: draws per image.
        noise_level: input noise relative to each image's value range (0: none).
        seed: random seed.
        **kwargs: `output`, `batch_size`.

    References: Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions", NeurIPS
    2017 (SHAP values); Erion et al., "Improving performance of deep learning models with
    axiomatic attribution priors and expected gradients", Nature Machine Intelligence 2021,
    Eq. 4 (expected gradients, the estimator with alpha ~ U(0, 1) and b ~ D).
    """

    name = "gradient_shap"

    def __init__(self, model, baselines=0.0, num_samples: int = 16, noise_level: float = 0.0,
                 seed: int = 0, **kwargs):
        super().__init__(model, **kwargs)
        self.baselines = check_baselines(baselines, self.input_shape)
        self.num_samples = check_positive_int("num_samples", num_samples)
        if not 0.0 <= float(noise_level) <= 10.0:
            raise InputError(f"noise_level: expected a value in [0, 10], got {noise_level!r}")
        self.noise_level, self.seed = float(noise_level), int(seed)

    def attribution_batch(self, images, targets, target=None):
        """max(1, batch_size // B) draws of each of the B images per gradient pass."""
        if target is None:
            targets = resolve_targets(self.forward(images)[1], targets)
        sigma = self.noise_level * (tf.reduce_max(images, axis=(1, 2, 3), keepdims=True)
                                    - tf.reduce_min(images, axis=(1, 2, 3), keepdims=True))
        total, per_pass = tf.zeros_like(images), self.copies_per_pass(images)
        for start in tf.range(0, self.num_samples, per_pass):
            samples = tf.range(start, tf.minimum(start + per_pass, self.num_samples))
            steps, points = tf.map_fn(lambda sample: self._draw(images, sigma, sample), samples,
                                      fn_output_signature=(tf.float32, tf.float32))
            total += tf.reduce_sum(steps * self.stacked_gradients(points, targets, target), axis=0)
        return total / self.num_samples

    def _draw(self, images, sigma, sample):
        """Draw `sample` for the batch: (x_k - b_k, the path point b_k + alpha_k (x_k - b_k))."""
        seed = tf.stack([self.seed, sample])
        noisy = images + sigma * tf.random.stateless_normal(tf.shape(images), seed=seed)
        chosen = tf.random.stateless_uniform([tf.shape(images)[0]], seed + 1, 0,
                                             len(self.baselines), tf.int32)
        baseline = tf.gather(tf.constant(self.baselines), chosen)
        alphas = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], seed + 2)
        return noisy - baseline, baseline + alphas * (noisy - baseline)
