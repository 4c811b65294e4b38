"""SFT-GAN explainer: a trained LSFT/GSFT generator turns any classifier's CGMAs into a heat map."""

from __future__ import annotations

import dataclasses
import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import artifacts, cgma
from cnn_explain_tf.explain.base import normalize
from cnn_explain_tf.models.sft import resize_images
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["BoundSFTGANExplainer", "SFTGANExplainer"]

VARIANTS = ("lsft", "gsft")


class SFTGANExplainer:
    """Explains any classifier with a trained SFT-GAN generator.

    `explain` computes the classifier's k CGMAs (one forward/backward pass), resizes image and
    CGMAs to the generator's resolution (bilinear; grayscale images are repeated to the
    generator's channels, colour ones averaged when it takes one channel), runs the generator and
    resizes the map back to the classifier's input size, all in one compiled step per batch
    (traced once per classifier). The classifier may be an architecture never seen in training.
    Like every other explainer's, each map is min-max normalised to [0, 1] (Grad-CAM, the GAN's
    training target, is normalised the same way), so its scale is comparable in energy-map
    metrics; `relevance` works on the raw generator output.

    Args:
        generator: `[image, cgma] -> (B, H, W, 1)`, e.g. from `build_lsft_generator`.
        variant: "lsft", "gsft" or None (unknown).
        batch_size: images per compiled step.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067.
    """

    def __init__(self, generator: keras.Model, variant: str | None = None, batch_size: int = 32):
        if variant not in (*VARIANTS, None):
            raise InputError(f"variant: expected one of {list(VARIANTS)} or None, got {variant!r}")
        image_spec, cgma_spec = (tuple(i.shape) for i in generator.inputs)
        self.generator, self.variant = generator, variant
        self.image_shape, self.k = image_spec[1:], int(cgma_spec[-1])
        self.batch_size = check_positive_int("batch_size", batch_size)
        self._steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def name(self) -> str:
        """The explainer's name: its variant ("lsft" / "gsft"), else "sft_gan"."""
        return self.variant or "sft_gan"

    @classmethod
    def load(cls, path: str | Path, variant: str | None = None, k: int | None = None,
             batch_size: int = 32) -> SFTGANExplainer:
        """Loads a `train-gan` generator (`.keras`) and its JSON side-car.

        Args:
            path: the generator's `.keras` file (or the run directory holding generator.keras).
            variant: "lsft"/"gsft" to insist on a variant, None to accept the saved one.
            k: the number of CGMAs the caller will provide, checked against the generator.
            batch_size: images per compiled step.

        Raises:
            InputError: missing file, or a variant or k that differs from the saved generator.
        """
        path = Path(path) / "generator.keras" if Path(path).is_dir() else Path(path)
        if not path.is_file():
            raise InputError(f"path: expected a generator .keras file, got {path}")
        generator = keras.models.load_model(path, compile=False)
        saved = (artifacts.read_json(path.with_suffix(".json")) or {}).get("variant")
        if variant is not None and saved is not None and variant != saved:
            raise InputError(f"variant: expected the saved generator's {saved!r}, got {variant!r}")
        explainer = cls(generator, variant or saved, batch_size)
        if k is not None and k != explainer.k:
            raise InputError(f"k: expected the {explainer.k} CGMAs the generator at {path} was "
                             f"trained with, got {k}")
        return explainer

    def bind(self, model: keras.Model) -> BoundSFTGANExplainer:
        """This explainer fixed to one classifier, called like every other explainer."""
        return BoundSFTGANExplainer(self, model)

    def explain(self, model: keras.Model, images, targets=None) -> np.ndarray:
        """Heat maps of `model`'s decisions on `images`.

        Args:
            model: any Keras classifier with at least k conv layers.
            images: (B, H, W, C) floats in [0, 1] at the classifier's input size.
            targets: None (the predicted class), an int or B ints; selects the CGMAs' class.

        Returns:
            float32 (B, H, W) in [0, 1] at the classifier's input resolution.

        Raises:
            InputError: bad images or targets, or a classifier with fewer conv layers than k.
        """
        return self._run("explain", model, images, targets, self.batch_size)

    def relevance(self, model: keras.Model, images, targets=None) -> np.ndarray:
        """CGMA relevance: how much the map changes when each CGMA is zeroed (Eq. 10).

        relevance_j = sum over pixels |G(x, c) - G(x, c with CGMA j set to 0)|, at the
        generator's resolution; the k ablations of a batch run in one generator call.

        Returns:
            float32 (B, k), non-negative.

        References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067,
        Eq. 10.
        """
        batch_size = max(1, self.batch_size // (self.k + 1))
        return self._run("relevance", model, images, targets, batch_size)

    def _run(self, head: str, model, images, targets, batch_size: int) -> np.ndarray:
        """Validates, then runs `model`'s compiled CGMAs -> `head` step on batches.

        The step (one per classifier, head and batch size; its signature varies only by batch)
        reuses the classifier's `cgma` extractor, so the CGMAs, resizes and generator call form
        one graph with no host round trip.
        """
        extractor = cgma._extractor(model, self.k, batch_size)
        steps = self._steps.setdefault(extractor, {})
        if head not in steps:
            output_size = extractor.input_shape[:2]
            heads = {"explain": lambda x, c: self._generate_maps(x, c, output_size),
                     "relevance": self._relevance_batch}
            steps[head] = extractor.compile(
                lambda x, t: heads[head](*self._conditions(extractor, x, t)))
        return extractor.run_batched(steps[head], images, targets)

    def _conditions(self, extractor: cgma.IntermediateGradCAMs, images, targets):
        """Images and cumulative CGMAs (Eq. 3-4) at the generator's resolution and channels."""
        maps = cgma.cumulative_average(extractor.explain_batch(images, targets))
        height, width, channels = self.image_shape
        return (resize_images(images, (height, width), channels),
                resize_images(maps, (height, width)))

    def _generate_maps(self, images, cgma, size):
        """(B, H, W) generated maps resized to `size`, min-max normalised per image."""
        heat = tf.cast(self.generator([images, cgma], training=False), tf.float32)
        return normalize(resize_images(heat, size)[..., 0])

    def _relevance_batch(self, images, cgma):
        """(B, k) Eq. 10 relevance; the k ablations and the unablated map in one call."""
        keep = 1.0 - tf.eye(self.k)  # row j zeroes CGMA j
        ablated = cgma[:, None] * keep[None, :, None, None, :]  # (B, k, H, W, k)
        height, width = self.image_shape[:2]
        all_cgma = tf.concat([cgma[:, None], ablated], axis=1)
        all_images = tf.repeat(images[:, None], self.k + 1, axis=1)
        heat = self.generator([tf.reshape(all_images, (-1, *self.image_shape)),
                               tf.reshape(all_cgma, (-1, height, width, self.k))],
                              training=False)
        heat = tf.reshape(tf.cast(heat, tf.float32), (-1, self.k + 1, height, width))
        return tf.reduce_sum(tf.abs(heat[:, 1:] - heat[:, :1]), axis=(2, 3))


@dataclasses.dataclass(frozen=True)
class BoundSFTGANExplainer:
    """An `SFTGANExplainer` fixed to one classifier: `maps = bound(images, targets=None)`."""

    gan: SFTGANExplainer
    model: keras.Model

    @property
    def name(self) -> str:
        return self.gan.name

    def __call__(self, images, targets=None) -> np.ndarray:
        return self.gan.explain(self.model, images, targets)
