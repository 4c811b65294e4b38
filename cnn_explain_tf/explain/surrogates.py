"""LIME and KernelSHAP: weighted linear surrogates of the model fitted on superpixel coalitions."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cnn_explain_tf.cache import weak_method
from cnn_explain_tf.explain.attributions import SignedAttributions, check_baseline
from cnn_explain_tf.explain.base import (
    Explainer,
    register,
    resolve_targets,
    target_probabilities,
    target_scores,
)
from cnn_explain_tf.explain.perturbations import static_size
from cnn_explain_tf.explain.superpixels import Superpixels, grid_segments, segment_means
from cnn_explain_tf.explain.surrogate_fits import (
    efficient_least_squares,
    lime_kernel,
    shapley_coalitions,
    weighted_ridge,
)
from cnn_explain_tf.validation import InputError, check_choice, check_positive_int, describe

__all__ = ["LIME", "KernelSHAP"]


class _Surrogate(SignedAttributions, Explainer):
    """Base of LIME and KernelSHAP: superpixel coalitions, their scores, a weighted linear fit.

    Each image is segmented (`Superpixels`) into d superpixels; `num_samples` coalitions
    z in {0, 1}^d (with their weights) come from `numpy.random.default_rng([seed, d])`, so an
    image's result depends only on the image and the seed, not on the batch. A coalition's
    image keeps the superpixels with z_j = 1 and sets the others to `baseline`. All coalitions
    of all images of a batch are scored inside one compiled step, about `batch_size` masked
    images per forward pass. Subclasses give `sample(num_features, rng)` and `fit`.
    """

    absolute = False
    graph_options = {"segmentation": "grid"}

    def __init__(self, model, num_samples: int = 1000, segmentation="slic", num_segments: int = 50,
                 compactness: float | None = None, baseline=0.0, probabilities: bool = False,
                 seed: int = 0, absolute: bool = False, **kwargs):
        super().__init__(model, **kwargs)
        self.num_samples = check_positive_int("num_samples", num_samples)
        self.superpixels = Superpixels(segmentation, num_segments, compactness)
        self.grid = (grid_segments(static_size(self.input_shape), num_segments)
                     if segmentation == "grid" else None)
        if isinstance(baseline, str) and baseline != "mean":
            raise InputError(f"baseline: expected a number, an image or 'mean', got "
                             f"{describe(baseline)}")
        self.baseline = baseline if isinstance(baseline, str) else check_baseline(
            baseline, self.input_shape)
        self.probabilities, self.absolute = bool(probabilities), bool(absolute)
        self.seed = int(seed)

    @property
    def in_graph(self) -> bool:
        """Whether the compiled step is TensorFlow only (grid superpixels), as a SavedModel
        for TF Serving needs: SLIC and callable segmentations run in Python
        (`tf.numpy_function`), which an exported signature cannot call."""
        return self.grid is not None

    def sample(self, num_features: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
        """((num_samples, d) binary coalitions, (num_samples,) weights) for d features."""
        raise NotImplementedError

    def fit(self, coalitions, weights, scores, clean, empty, feature_mask) -> tf.Tensor:
        """(B, D) coefficients of the surrogate (see `weighted_ridge`)."""
        raise NotImplementedError

    @tf.autograph.experimental.do_not_convert  # numpy, called once while tracing
    def coalitions(self, num_features: int) -> tuple[np.ndarray, np.ndarray]:
        """The seeded `sample` of an image with `num_features` superpixels, as float32."""
        rng = np.random.default_rng([self.seed, int(num_features)])
        coalitions, weights = self.sample(int(num_features), rng)
        return coalitions.astype(np.float32), weights.astype(np.float32)

    def features(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(B, H, W) superpixels, (B, n, D) coalitions (zero beyond an image's d) and (B, n)
        weights of a batch; D the batch's largest d."""
        segments = self.superpixels(np.asarray(images))
        sizes = segments.reshape(len(segments), -1).max(axis=1) + 1
        sampled = {size: self.coalitions(size) for size in set(sizes.tolist())}
        coalitions = np.zeros((len(images), self.num_samples, sizes.max()), np.float32)
        weights = np.zeros((len(images), self.num_samples), np.float32)
        for index, size in enumerate(sizes):
            coalitions[index, :, :size], weights[index] = sampled[size]
        return segments, coalitions, weights

    def _graph_features(self, images):
        """`features` inside the graph: constants for the grid, else a numpy callback."""
        if self.grid is not None:
            count = tf.shape(images)[:1]
            coalitions, weights = self.coalitions(self.grid.max() + 1)
            return (tf.tile(self.grid[None], tf.concat([count, [1, 1]], 0)),
                    tf.tile(coalitions[None], tf.concat([count, [1, 1]], 0)),
                    tf.tile(weights[None], tf.concat([count, [1]], 0)))
        segments, coalitions, weights = tf.numpy_function(
            weak_method(self.features), [images], (tf.int32, tf.float32, tf.float32),
            stateful=False)
        segments.set_shape(images.shape[:3])
        coalitions.set_shape((None, self.num_samples, None))
        weights.set_shape((None, self.num_samples))
        return segments, coalitions, weights

    def _fill(self, images, segments):
        """(B, H, W, C) the images with every superpixel removed (set to the baseline)."""
        if isinstance(self.baseline, str):
            return segment_means(images, segments)
        return tf.zeros_like(images) + tf.constant(self.baseline)

    def coalition_scores(self, images, fill, segments, coalitions, targets, target=None):
        """(B, n) scores of the coalition images, (B,) of the images and (B,) of `fill`."""
        score = target_probabilities if self.probabilities else target_scores
        count = tf.shape(images)[0]
        _, logits = self.forward(tf.concat([images, fill], axis=0))
        targets = resolve_targets(logits[:count], targets, target)
        ends = score(logits, tf.tile(targets, [2]), target)
        per_pass = tf.maximum(1, self.batch_size // count)
        passes = (self.num_samples + per_pass - 1) // per_pass
        found = tf.TensorArray(tf.float32, size=passes, infer_shape=False)
        for index in tf.range(passes):
            chunk = coalitions[:, index * per_pass:(index + 1) * per_pass]
            masks = tf.gather(chunk, segments, axis=2, batch_dims=1)[..., None]
            masked = images[:, None] * masks + fill[:, None] * (1.0 - masks)
            _, logits = self.forward(tf.reshape(masked, tf.concat([[-1], tf.shape(images)[1:]],
                                                                   0)))
            kept = tf.shape(chunk)[1]
            found = found.write(index, tf.transpose(tf.reshape(
                score(logits, tf.repeat(targets, kept), target), (count, kept))))
        return tf.transpose(found.concat()), ends[:count], ends[count:]

    def attribution_batch(self, images, targets, target=None):
        segments, coalitions, weights = self._graph_features(images)
        fill = self._fill(images, segments)
        scores, clean, empty = self.coalition_scores(images, fill, segments, coalitions,
                                                     targets, target)
        sizes = tf.reduce_max(segments, axis=[1, 2]) + 1
        mask = tf.sequence_mask(sizes, tf.shape(coalitions)[2], tf.float32)
        coefficients = self.fit(coalitions, weights, scores, clean, empty, mask)
        return tf.gather(coefficients, segments, batch_dims=1)


@register
class LIME(_Surrogate):
    """LIME on superpixels: a weighted ridge regression of the target score on coalitions.

    Coalitions: uniform random z in {0, 1}^d, the first one all ones (the image itself), as
    the lime package; weights `lime_kernel`; the surrogate: scikit-learn's Ridge (alpha, free
    intercept). The signed attributions (B, H, W) give every pixel its superpixel's
    coefficient. Differences to the peers: the lime package segments with quickshift, fills
    with the superpixel mean (here `baseline="mean"`) and explains probabilities (here
    `probabilities=True`); xplique weighs samples by exp(-||x - x_z||^2 / 45^2) on pixel values
    with Ridge(alpha=2), 150 samples and a grey (0.5) fill; here the kernel is the lime
    package's, on the coalition vector.

    Args:
        model: the classifier.
        num_samples: coalitions per image (forward passes per image).
        kernel_width: w of `lime_kernel`.
        distance: "cosine" or "euclidean" (`lime_kernel`).
        alpha: the ridge penalty (0: weighted least squares).
        segmentation, num_segments, compactness: see `superpixels.Superpixels`.
        baseline: the value of removed superpixels: a number, an image, or "mean".
        probabilities: explain the softmax probability instead of the logit.
        seed: seed of the coalitions.
        absolute: map |attributions| instead of the signed values.
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: num_samples < 1, kernel_width <= 0, alpha < 0, an unknown distance,
            segmentation or baseline.

    References: Ribeiro et al., "'Why Should I Trust You?': Explaining the Predictions of Any
    Classifier", KDD 2016, Eq. 1 (the explanation argmin L + Omega), Eq. 2 (the locally
    weighted square loss) and Sec. 3.4 (pi_x(z) = exp(-D(x, z)^2 / sigma^2), superpixels).
    """

    name = "lime"

    def __init__(self, model, num_samples: int = 1000, kernel_width: float = 0.25,
                 distance: str = "cosine", alpha: float = 1.0, **kwargs):
        super().__init__(model, num_samples, **kwargs)
        self.distance = check_choice("distance", distance, ("cosine", "euclidean"))
        if not float(kernel_width) > 0.0:
            raise InputError(f"kernel_width: expected a number > 0, got {describe(kernel_width)}")
        if not float(alpha) >= 0.0:
            raise InputError(f"alpha: expected a number >= 0, got {describe(alpha)}")
        self.kernel_width, self.alpha = float(kernel_width), float(alpha)

    def sample(self, num_features, rng):
        coalitions = rng.integers(0, 2, (self.num_samples, num_features))
        coalitions[0] = 1
        return coalitions, lime_kernel(coalitions, self.kernel_width, self.distance)

    def fit(self, coalitions, weights, scores, clean, empty, feature_mask):
        return weighted_ridge(coalitions, weights, scores, self.alpha, feature_mask)


@register
class KernelSHAP(_Surrogate):
    """KernelSHAP on superpixels: Shapley values of the superpixels by weighted regression.

    Coalitions and weights: `surrogate_fits.shapley_coalitions` (all of them, weighted by the
    Shapley kernel, when 2^d - 2 <= num_samples: the exact Shapley values; else drawn from the
    Shapley kernel, weight 1, as captum and xplique). The fit (`efficient_least_squares`) keeps
    phi_0 = f(baseline) and sum_j phi_j = f(x) - f(baseline) exactly, as the shap package
    (captum: weights of 1e6 on the empty and full coalitions); xplique fits an unconstrained
    linear regression whose coefficients need not add up to f(x) - f(baseline). Attributions:
    each pixel gets its superpixel's Shapley value.

    Args:
        model: the classifier.
        num_samples: coalitions per image (forward passes per image, plus one).
        **kwargs: `segmentation`, `num_segments`, `compactness`, `baseline`, `probabilities`,
            `seed`, `absolute` (as `LIME`), `output`, `batch_size`.

    References: Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions", NeurIPS
    2017, Theorem 2 (the Shapley kernel; pi(z) infinite for |z| in {0, M}, i.e. the constraints
    above) and Eq. 8 (the Shapley values).
    """

    name = "kernel_shap"

    def sample(self, num_features, rng):
        return shapley_coalitions(self.num_samples, num_features, rng)

    def fit(self, coalitions, weights, scores, clean, empty, feature_mask):
        return efficient_least_squares(coalitions, weights, scores, clean, empty, feature_mask)
