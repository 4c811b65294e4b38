"""SFT-GAN explainer: a trained LSFT/GSFT generator turns any classifier's CGMAs into a heat map.

| arXiv 2301.08067 | function |
| --- | --- |
| Eq. 3-4 (CGMA conditions of the generator) | `SFTGANExplainer.conditions` |
| the generator's map of any classifier | `SFTGANExplainer.__call__` |
| Eq. 10 (CGMA relevance) | `SFTGANExplainer.cgma_relevance` |
"""

from __future__ import annotations

import warnings
import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import artifacts
from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.explain import pretrained
from cnn_explain_tf.explain.base import Explainer, normalize
from cnn_explain_tf.explain.cgma import IntermediateGradCAMs, cumulative_average
from cnn_explain_tf.models.sft import resize_images
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["SFTGANExplainer", "TrainedGenerator", "load_generator", "read_generator"]

VARIANTS = ("lsft", "gsft")
UNKNOWN_VARIANT_NAME = "sft_gan"


class SFTGANExplainer(Explainer):
    """Explains one classifier with a trained SFT-GAN generator, like every other explainer.

    Each step computes the classifier's k CGMAs (one forward/backward pass), resizes image and
    CGMAs to the generator's resolution (bilinear; grayscale images are repeated to the
    generator's channels, colour ones averaged when it takes one channel), runs the generator and
    resizes the map back to the classifier's input size, all in one compiled step per batch. The
    classifier may be an architecture never seen in training. Like every other explainer's, each
    map is min-max normalised to [0, 1] (Grad-CAM, the GAN's training target, is normalised the
    same way), so its scale is comparable in energy-map metrics; `cgma_relevance` works on the
    raw generator output.

    Usage:
        maps = SFTGANExplainer(model, "runs/gan/generator.keras")(images, targets=None)
        relevance = SFTGANExplainer.pretrained(model, "lsft").cgma_relevance(images)  # (B, k)

    Args:
        model: any Keras classifier with at least k conv layers.
        generator: `[image, cgma] -> (B, H, W, 1)` (e.g. from `build_lsft_generator`), or the
            path of a `train-gan` generator (`.keras` file or its run directory; its JSON
            side-car gives the variant, see `load_generator`).
        variant: "lsft", "gsft" or None (unknown, or the saved one for a path).
        batch_size: images per compiled step.

    Raises:
        InputError: an unknown variant, or a classifier with fewer conv layers than k; for a
            path, see `load_generator`.

    References: Guna et al., "Interpreting CNN Predictions using Conditional GANs",
    arXiv 2301.08067, Sec. 3.1 (CGMA conditions, Eq. 3-4), Sec. 3.2 (the SFT generators) and
    Sec. 5, Eq. 10 (relevance).
    """

    def __init__(self, model: keras.Model, generator: keras.Model | str | Path,
                 variant: str | None = None, batch_size: int = 32):
        if isinstance(generator, (str, Path)):
            generator, variant = read_generator(generator, variant)
        self.generator, self.variant = generator, _check_variant(variant)
        self.image_shape, self.k = generator_shapes(generator)
        super().__init__(model, batch_size=batch_size)
        self.gradcams = IntermediateGradCAMs.for_model(model, self.k, self.batch_size)
        self._generate = generator_step(generator)

    @classmethod
    def pretrained(cls, model: keras.Model, name: str = "lsft", batch_size: int = 32):
        """The explainer of `model` with a generator shipped with the package: `name` is
        "lsft" / "gsft" (the variant's default strategy) or "lsft-s1", "gsft-s1", "lsft-s2",
        "gsft-s2" (`explain.pretrained.card(name)` is its model card). The classifier needs at
        least the generator's k (8) conv layers.

        Raises:
            InputError: an unknown name, or a classifier with fewer than k conv layers.
        """
        return cls(model, pretrained.load(name), pretrained.card(name)["variant"], batch_size)

    @property
    def name(self) -> str:
        """The explainer's name: its variant ("lsft" / "gsft"), else "sft_gan"."""
        return self.variant or UNKNOWN_VARIANT_NAME

    def cgma_relevance(self, images, targets=None) -> np.ndarray:
        """CGMA relevance: how much the map changes when each CGMA is zeroed (Eq. 10).

        relevance_j = sum over pixels |G(x, c) - G(x, c with CGMA j set to 0)|, at the
        generator's resolution; the k ablations of a batch run in one generator call, on
        batches of batch_size // (k + 1) images.

        Returns:
            float32 (B, k), non-negative.

        References: Guna et al., arXiv 2301.08067, Sec. 5, Eq. 10.
        """
        batch_size = max(1, self.batch_size // (self.k + 1))
        return self.run(self.relevance_batch, images, targets, batch_size)

    def relevance(self, images, targets=None) -> np.ndarray:
        """Deprecated alias of `cgma_relevance` (one release)."""
        warnings.warn("SFTGANExplainer.relevance is deprecated; use .cgma_relevance",
                      DeprecationWarning, stacklevel=2)
        return self.cgma_relevance(images, targets)

    def explain_batch(self, images, targets, target=None):
        return self._generate_maps(*self.conditions(images, targets, target),
                                   self.input_shape[:2])

    def relevance_batch(self, images, targets, target=None) -> tf.Tensor:
        """(B, k) Eq. 10 relevance of one batch, inside a compiled step."""
        return self._ablation_relevance(*self.conditions(images, targets, target))

    def conditions(self, images, targets, target=None) -> tuple[tf.Tensor, tf.Tensor]:
        """Images and cumulative CGMAs (Eq. 3-4) at the generator's resolution and channels.

        The CGMAs come from the classifier's shared compiled extractor step
        (`IntermediateGradCAMs.for_model`), so the explainers of one classifier (LSFT, GSFT,
        their relevance) trace its forward and backward pass once between them.
        """
        cams = self.gradcams.compile(self.gradcams.stacked_cams, target=target)
        maps = cumulative_average(cams(images, targets))
        height, width, channels = self.image_shape
        return (resize_images(images, (height, width), channels),
                resize_images(maps, (height, width)))

    def _generate_maps(self, images, cgma, size):
        """(B, H, W) generated maps resized to `size`, min-max normalised per image."""
        heat = tf.cast(self._generate(images, cgma), tf.float32)
        return normalize(resize_images(heat, size)[..., 0])

    def _ablation_relevance(self, images, cgma):
        """(B, k) Eq. 10 relevance; the k ablations and the unablated map in one call."""
        keep = 1.0 - tf.eye(self.k)  # row j zeroes CGMA j
        ablated = cgma[:, None] * keep[None, :, None, None, :]  # (B, k, H, W, k)
        height, width = self.image_shape[:2]
        all_cgma = tf.concat([cgma[:, None], ablated], axis=1)
        all_images = tf.repeat(images[:, None], self.k + 1, axis=1)
        heat = self._generate(tf.reshape(all_images, (-1, *self.image_shape)),
                              tf.reshape(all_cgma, (-1, height, width, self.k)))
        heat = tf.reshape(tf.cast(heat, tf.float32), (-1, self.k + 1, height, width))
        return tf.reduce_sum(tf.abs(heat[:, 1:] - heat[:, :1]), axis=(2, 3))

    @staticmethod
    def load(path: str | Path, variant: str | None = None, k: int | None = None,
             batch_size: int = 32) -> TrainedGenerator:
        """Deprecated (one release): pass the path, `SFTGANExplainer(model, path)`."""
        return load_generator(path, variant, k, batch_size)


class TrainedGenerator:
    """Deprecated (one release): use `SFTGANExplainer(model, generator)`.

    A trained SFT-GAN generator as an explainer factory, `TrainedGenerator(...)(model)`.

    Calling it with a classifier gives that classifier's `SFTGANExplainer`, built once per
    classifier (compiled steps are reused); `explain` and `relevance` take the classifier as
    their first argument.

    Args:
        generator: `[image, cgma] -> (B, H, W, 1)`.
        variant: "lsft", "gsft" or None (unknown).
        batch_size: images per compiled step of the explainers it builds.

    Attributes:
        generator: the Keras generator.
        variant: "lsft", "gsft" or None.
        name: the variant, else "sft_gan".
        k: the number of CGMAs the generator takes.

    References: Guna et al., "Interpreting CNN Predictions using Conditional GANs",
    arXiv 2301.08067.
    """

    def __init__(self, generator: keras.Model, variant: str | None = None, batch_size: int = 32):
        self.generator, self.variant = generator, _check_variant(variant)
        self.k = generator_shapes(generator)[1]
        self.batch_size = check_positive_int("batch_size", batch_size)
        warnings.warn("TrainedGenerator and SFTGANExplainer.load are deprecated; use "
                      "SFTGANExplainer(model, generator) and .cgma_relevance(images)",
                      DeprecationWarning, stacklevel=2)

    @property
    def name(self) -> str:
        """The explainer's name: its variant ("lsft" / "gsft"), else "sft_gan"."""
        return self.variant or UNKNOWN_VARIANT_NAME

    def __call__(self, model: keras.Model) -> SFTGANExplainer:
        """The `SFTGANExplainer` of `model` (its steps cached per classifier and generator)."""
        return MODEL_CACHE.get(model, ("sft_gan.explainer", self.batch_size), lambda: (
            SFTGANExplainer(model, self.generator, self.variant, self.batch_size).detached()),
            owners=(self,))

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
        return self(model)(images, targets)

    def relevance(self, model: keras.Model, images, targets=None) -> np.ndarray:
        """(B, k) CGMA relevance of `model`'s CGMAs (Eq. 10); see `SFTGANExplainer.relevance`.

        References: Guna et al., arXiv 2301.08067, Eq. 10.
        """
        return self(model).cgma_relevance(images, targets)


def load_generator(path: str | Path, variant: str | None = None, k: int | None = None,
                   batch_size: int = 32) -> TrainedGenerator:
    """Loads a `train-gan` generator (`.keras`) and its JSON side-car.

    Args:
        path: the generator's `.keras` file (or the run directory holding generator.keras).
        variant: "lsft"/"gsft" to insist on a variant, None to accept the saved one.
        k: the number of CGMAs the caller will provide, checked against the generator.
        batch_size: images per compiled step.

    Raises:
        InputError: missing file, a model that is no `[image, cgma]` generator, or a variant or
            k that differs from the saved generator.
        artifacts.UnreadableModelError: a file that exists but is corrupt or unreadable.
    """
    generator, variant = read_generator(path, variant)
    trained = TrainedGenerator(generator, variant, batch_size)
    if k is not None and k != trained.k:
        raise InputError(f"k: expected the {trained.k} CGMAs the generator at {path} was "
                         f"trained with, got {k}")
    return trained


def read_generator(path: str | Path, variant: str | None = None
                   ) -> tuple[keras.Model, str | None]:
    """(the generator saved at `path`, its variant): `variant`, checked against the saved one.

    Raises:
        InputError: missing file, a model that is no `[image, cgma]` generator, or a variant
            that differs from the saved generator's.
    """
    path = Path(path) / "generator.keras" if Path(path).is_dir() else Path(path)
    if not path.is_file():
        raise InputError(f"path: expected a generator .keras file, got {path}")
    generator = _read_generator(path)
    saved = (artifacts.read_json(path.with_suffix(".json")) or {}).get("variant")
    if variant is not None and saved is not None and variant != saved:
        raise InputError(f"variant: expected the saved generator's {saved!r}, got {variant!r}")
    return generator, variant or saved


def _read_generator(path: Path) -> keras.Model:
    """The generator saved at `path`; a corrupt file is an `artifacts.UnreadableModelError`."""
    generator = artifacts.load_model(path, "path")
    if len(getattr(generator, "inputs", None) or ()) != 2:
        raise InputError(f"path: expected a generator taking [image, cgma], got {path} holding "
                         f"model '{generator.name}' with {len(generator.inputs)} input(s)")
    return generator


def generator_step(generator: keras.Model):
    """`generator([images, cgma])` (inference) as one tf.function per generator, shared by the
    explainers of every classifier, so the generator is traced once for all of them."""
    def build():
        image_shape, k = generator_shapes(generator)
        spec = [tf.TensorSpec((None, *image_shape), tf.float32),
                tf.TensorSpec((None, *image_shape[:2], k), tf.float32)]
        weak = weakref.ref(generator)  # the step reaches the generator weakly: it is freed
        return tf.function(lambda images, cgma: weak()([images, cgma], training=False),
                           input_signature=spec)

    return MODEL_CACHE.get(generator, "sft_gan.generate", build)


def generator_shapes(generator: keras.Model) -> tuple[tuple, int]:
    """(image shape (H, W, C), k) of a `[image, cgma]` generator."""
    image_spec, cgma_spec = (tuple(i.shape) for i in generator.inputs)
    return image_spec[1:], int(cgma_spec[-1])


def _check_variant(variant: str | None) -> str | None:
    if variant not in (*VARIANTS, None):
        raise InputError(f"variant: expected one of {list(VARIANTS)} or None, got {variant!r}")
    return variant
