"""Peer parity: the same models, images and targets through our explainers and xplique's.

Shared by tests/explain/test_parity.py (thresholds) and benchmarks/parity.py (the docs' table):
each case maps a model to our values and xplique's, both as (B, H, W) maps after the same
normalisation and, where the method has them, as signed values of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from helpers import images, pearson_per_map, same_resolution_classifier

import cnn_explain_tf as cet
from cnn_explain_tf.explain.base import normalize

LAYER = "c3"  # the last conv layer of both parity models, at the input resolution (no resize)
SIZE, CLASSES = 16, 4


def seeded_model() -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """helpers.same_resolution_classifier with logits (seeded weights), 6 random images and
    their predicted classes."""
    model = same_resolution_classifier(size=SIZE, classes=CLASSES, head=None)
    x = images(6, size=SIZE, seed=5)
    return model, x, np.argmax(np.array(model(x)), axis=1)


def patch_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise in [0, 0.4) with a bright 5x5 patch anywhere; the class is the patch's colour
    (red, green, blue or white)."""
    rng = np.random.default_rng(seed)
    x = 0.4 * rng.random((count, SIZE, SIZE, 3), dtype=np.float32)
    labels = rng.integers(0, CLASSES, count)
    colours = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], np.float32)
    for image, label, (top, left) in zip(x, labels, rng.integers(0, SIZE - 5, (count, 2))):
        image[top:top + 5, left:left + 5] = np.maximum(colours[label], 0.2)
    return x, labels


def trained_model() -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """A small CNN trained briefly (seconds) on `patch_images`, 6 held-out images, targets."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.Conv2D(12, 3, padding="same", activation="relu", name=LAYER)(x)
    outputs = keras.layers.Dense(CLASSES)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs, name="trained")
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    train, labels = patch_images(512, seed=0)
    model.fit(train, labels, batch_size=64, epochs=4, verbose=0)
    x, _ = patch_images(6, seed=1)
    return model, x, np.argmax(np.array(model(x)), axis=1)


MODELS = {"seeded": seeded_model, "trained": trained_model}


def with_softmax(model: keras.Model) -> keras.Model:
    """The logit model with a softmax on top (xplique scores what the model outputs; our RISE
    scores the softmax probability)."""
    return keras.Model(model.inputs, keras.layers.Softmax()(model.outputs[0]))


@dataclass(frozen=True)
class Comparison:
    """Per-image Pearson of the normalised maps, and the largest |difference| of signed values
    (None for a method without signed values)."""

    pearson: np.ndarray
    max_abs_difference: float | None


def compare(ours_map, theirs_map, ours_signed=None, theirs_signed=None) -> Comparison:
    difference = None
    if ours_signed is not None:
        difference = float(np.abs(np.asarray(ours_signed) - np.asarray(theirs_signed)).max())
    return Comparison(pearson_per_map(np.asarray(ours_map), np.asarray(theirs_map)), difference)


def minmax(values) -> np.ndarray:
    """Per-image min-max scaling (the library's `normalize`), as numpy."""
    return normalize(np.asarray(values, np.float32)).numpy()


def saliency_map(gradients) -> np.ndarray:
    """The gradient methods' map: largest |value| over channels, min-max scaled."""
    return minmax(np.abs(np.asarray(gradients)).max(axis=-1))


def one_hot(targets: np.ndarray) -> np.ndarray:
    return np.eye(CLASSES, dtype=np.float32)[targets]


def _ours(name: str, model, **options):
    return cet.explain.get(name)(model, **options)


def _raw_gradients(explainer, x, t) -> np.ndarray:
    return explainer.run(explainer.input_gradients, x, t)


def saliency(model, x, t, xplique) -> Comparison:
    ours = _ours("saliency", model)
    theirs = np.asarray(xplique.Saliency(model).explain(x, one_hot(t))).reshape(x.shape[:3])
    mine = np.abs(_raw_gradients(ours, x, t)).max(axis=-1)
    return compare(ours(x, t), minmax(theirs), mine, theirs)


def _modified_gradients(name: str, peer: str):
    def case(model, x, t, xplique) -> Comparison:
        ours = _ours(name, model)
        theirs = np.asarray(getattr(xplique, peer)(model, reducer=None).explain(x, one_hot(t)))
        signed = _raw_gradients(ours, x, t)
        return compare(ours(x, t), saliency_map(theirs), signed, theirs)
    return case


def _signed(name: str, peer: str, options: dict, peer_options: dict):
    def case(model, x, t, xplique) -> Comparison:
        ours = _ours(name, model, **options)
        theirs = getattr(xplique, peer)(model, reducer=None, **peer_options)
        theirs = np.asarray(theirs.explain(x, one_hot(t)))
        return compare(ours(x, t), cet.explain.attribution_map(tf.constant(theirs)).numpy(),
                       ours.attributions(x, t), theirs)
    return case


def _statistic(name: str, peer: str, samples: int = 64):
    """Ours and xplique's on the SAME noisy copies: xplique's noise sampler is replaced by
    ours (stateless normal draws seeded [seed, sample], sigma = 0.2 x each image's range)."""
    def case(model, x, t, xplique) -> Comparison:
        ours = _ours(name, model, num_samples=samples, noise_level=0.2, batch_size=len(x))
        theirs = getattr(xplique, peer)(model, reducer=None, nb_samples=samples, noise=0.2,
                                        batch_size=None)  # one call: every copy at once
        statistic = xplique.SmoothGrad.__mro__[1]  # GradientStatistic
        original = statistic._perturb_samples
        statistic._perturb_samples = staticmethod(lambda inputs, count, noise: _our_noise(
            inputs, count, ours.noise_level, ours.seed))
        try:
            theirs = np.asarray(theirs.explain(x, one_hot(t)))
        finally:
            statistic._perturb_samples = staticmethod(original)
        return compare(ours(x, t), saliency_map(theirs), ours.attributions(x, t), theirs)
    return case


def _our_noise(inputs, count: int, noise_level: float, seed: int) -> tf.Tensor:
    """(B * count, ...) image-major noisy copies, the draws of `NoisyGradients`."""
    sigma = noise_level * (tf.reduce_max(inputs, axis=(1, 2, 3), keepdims=True)
                           - tf.reduce_min(inputs, axis=(1, 2, 3), keepdims=True))
    copies = tf.stack([inputs + sigma * tf.random.stateless_normal(tf.shape(inputs),
                                                                   seed=[seed, sample])
                       for sample in range(count)], axis=1)
    return tf.reshape(copies, (-1, *inputs.shape[1:]))


def _cam(name: str, peer: str):
    def case(model, x, t, xplique) -> Comparison:
        theirs = getattr(xplique, peer)(model, conv_layer=LAYER).explain(x, one_hot(t))
        theirs = np.asarray(theirs).reshape(x.shape[:3])
        return compare(_ours(name, model, layer=LAYER)(x, t), minmax(theirs))
    return case


def occlusion(model, x, t, xplique) -> Comparison:
    """xplique sums the drops of the covering patches: compared with aggregation="sum"."""
    ours = _ours("occlusion", model, patch_size=4, stride=2, aggregation="sum")
    theirs = xplique.Occlusion(model, patch_size=4, patch_stride=2, occlusion_value=0.0)
    theirs = np.asarray(theirs.explain(x, one_hot(t))).reshape(x.shape[:3])
    return compare(ours(x, t), minmax(theirs), ours.attributions(x, t), theirs)


def rise(model, x, t, xplique) -> Comparison:
    """xplique's estimator sum_i f M_i / sum_i M_i, run on OUR seeded masks (its mask sampler
    and mask application are replaced), against our map; the signed values are not on one
    scale (xplique divides by the mask density, we centre), so none are compared."""
    ours = _ours("rise", model, num_masks=1000, grid_size=4)
    masks = ours.masks(np.arange(ours.num_masks)).numpy()[..., None]
    peer = xplique.Rise(with_softmax(model), nb_samples=len(masks), grid_size=4,
                        batch_size=250)
    original = (xplique.Rise._get_masks, xplique.Rise._apply_masks)
    xplique.Rise._get_masks = staticmethod(lambda *args: masks)
    xplique.Rise._apply_masks = staticmethod(lambda single, chosen, value: (single * chosen,
                                                                             chosen))
    try:
        theirs = np.asarray(peer.explain(x, one_hot(t))).reshape(x.shape[:3])
    finally:
        xplique.Rise._get_masks, xplique.Rise._apply_masks = (staticmethod(original[0]),
                                                              staticmethod(original[1]))
    return compare(ours(x, t), minmax(theirs))


def sobol(model, x, t, xplique) -> Comparison:
    """The same (unscrambled) Sobol designs as xplique: equal signed total indices."""
    ours = _ours("sobol", model, grid_size=4, num_designs=16, scramble=False)
    theirs = xplique.SobolAttributionMethod(with_softmax(model), grid_size=4, nb_design=16)
    theirs = np.asarray(theirs.explain(x, one_hot(t))).reshape(x.shape[:3])
    return compare(ours(x, t), minmax(theirs), ours.attributions(x, t), theirs)


def hsic(model, x, t, xplique) -> Comparison:
    """The same (unscrambled) designs as xplique; xplique's values are ours x (n - 1)^2 / n."""
    ours = _ours("hsic", model, grid_size=4, num_designs=64, scramble=False)
    theirs = xplique.HsicAttributionMethod(with_softmax(model), grid_size=4, nb_design=64)
    theirs = np.asarray(theirs.explain(x, one_hot(t))).reshape(x.shape[:3])
    return compare(ours(x, t), minmax(theirs), ours.attributions(x, t) * 63 ** 2 / 64, theirs)


@dataclass(frozen=True)
class Case:
    """One method compared with its xplique counterpart, and the convention notes."""

    method: str
    peer: str
    run: object
    convention: str


CASES = [
    Case("saliency", "Saliency", saliency, "same: max |g| over channels"),
    Case("gradient_x_input", "GradientInput", _signed("gradient_x_input", "GradientInput", {},
                                                      {}), "same signed values"),
    Case("integrated_gradients", "IntegratedGradients",
         _signed("integrated_gradients", "IntegratedGradients", {"steps": 128},
                 {"steps": 129}), "midpoint (ours) vs trapezoidal (xplique) sum, 128 steps"),
    Case("guided_backprop", "GuidedBackprop", _modified_gradients("guided_backprop",
                                                                  "GuidedBackprop"), "same"),
    Case("deconvnet", "DeconvNet", _modified_gradients("deconvnet", "DeconvNet"), "same"),
    Case("gradcam", "GradCAM", _cam("gradcam", "GradCAM"),
         "same (layer at the input resolution: no upsampling)"),
    Case("gradcam++", "GradCAMPP", _cam("gradcam++", "GradCAMPP"),
         "Eq. 19 with sum(A) (ours) vs mean(A) (xplique) in alpha's denominator"),
    Case("smoothgrad", "SmoothGrad", _statistic("smoothgrad", "SmoothGrad"),
         "mean g, then |.|; same noise draws"),
    Case("vargrad", "VarGrad", _statistic("vargrad", "VarGrad"),
         "unbiased variance; same noise draws"),
    Case("squaregrad", "SquareGrad", _statistic("squaregrad", "SquareGrad"),
         "mean g^2; same noise draws"),
    Case("occlusion", "Occlusion", occlusion,
         "aggregation='sum' (xplique); the default 'mean' divides by the patch count"),
    Case("rise", "Rise", rise, "same masks; xplique divides by sum M, ours centres by mean f"),
    Case("sobol", "SobolAttributionMethod", sobol,
         "Jansen total indices; scramble=False gives xplique's designs (default: scrambled)"),
    Case("hsic", "HsicAttributionMethod", hsic,
         "HSIC / (n-1)^2 (ours) vs / n (xplique): the same map"),
]
