"""Map similarity (SSIM) and the cascading model-randomisation sanity check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.metrics._checks import as_maps, check_same_shape, reduce
from cnn_explain_tf.validation import InputError, check_images, check_positive_int


def map_similarity(a, b, per_sample: bool = False) -> float | np.ndarray:
    """Structural similarity (SSIM) between two sets of heat maps in [0, 1], per pair.

    Computed by `tf.image.ssim` with max_val=1 and a Gaussian window of size min(11, H, W)
    (sigma 1.5): 1 for identical maps.

    Args:
        a: (B, H, W) maps.
        b: maps of the same shape.
        per_sample: return the (B,) similarities instead of their mean.

    References:
        Wang et al., "Image quality assessment: from error visibility to structural similarity",
        IEEE TIP 2004; the SSIM similarity matrix of "An Evaluation of Explainability of CNN
        Architectures Based on Heat Maps".
    """
    a, b = as_maps("a", a), as_maps("b", b)
    check_same_shape("a", a, "b", b)
    window = min(11, *a.shape[1:])
    values = tf.image.ssim(a[..., None], b[..., None], max_val=1.0, filter_size=window)
    return reduce(values.numpy(), per_sample)


@dataclass(frozen=True)
class SanityCheckResult:
    """Outcome of `sanity_check`.

    Attributes:
        layers: names of the layers after whose randomisation the maps were compared, top
            (output) first; every kernel layer unless `checkpoints` chose fewer.
        similarity: (L,) mean SSIM between the original maps and the maps once every kernel layer
            from the output down to `layers[i]` is randomised.
        passed: True when the maps changed: the fully randomised similarity is below the bound.
    """

    layers: list[str]
    similarity: np.ndarray
    passed: bool


def sanity_check(explainer_factory: Callable[[keras.Model], Callable], model: keras.Model, images,
                 targets=None, max_similarity: float = 0.5, seed: int = 0,
                 checkpoints: int | None = None) -> SanityCheckResult:
    """Cascading model-parameter randomisation: do the maps depend on the learned weights?

    On a copy of `model` (the caller's model is untouched), the layers holding a kernel (a
    trainable weight of rank >= 2) are re-initialised one by one from the output towards the
    input, kernels drawn from Glorot-uniform (Keras's default), biases and normalisation
    parameters kept. After each layer, a fresh explainer `explainer_factory(copy)` explains the
    images for the classes the original model predicted (or `targets`), and the maps are compared
    with the original ones by `map_similarity`. A method whose maps do not change (e.g. an edge
    detector) fails. With `checkpoints`, the randomisation cascades through every layer all the
    same (same seeds, same final model), but maps are computed only after that many evenly
    spaced layers, the last one included: a cheaper curve with the same final similarity.

    Args:
        explainer_factory: model -> explainer called as `explainer(images, targets)` -> (B, H, W).
        model: the trained classifier.
        images: (B, H, W, C) images in [0, 1].
        targets: None (the original model's predicted classes), an int or B ints.
        max_similarity: pass bound on the similarity once every layer is randomised.
        seed: seed of the re-initialisation.
        checkpoints: None (compare after every layer) or the number of comparisons, >= 1.

    References:
        Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018, Sec. 3.1 (cascading
        randomisation from the top).
    """
    images = check_images(images, graph.input_shape(model))
    if checkpoints is not None:
        checkpoints = check_positive_int("checkpoints", checkpoints)
    if targets is None:
        targets = np.argmax(model.predict(images, verbose=0), axis=-1).astype(np.int32)
    reference = explainer_factory(model)(images, targets)
    copy = _copy_model(model)
    layers = _kernel_layers(copy)
    compared = _checkpoint_indices(len(layers), checkpoints)
    similarity = []
    for index, layer in enumerate(layers):
        _reinitialise(layer, seed + index)
        if index in compared:
            similarity.append(map_similarity(reference, explainer_factory(copy)(images, targets)))
    similarity = np.array(similarity, np.float32)
    return SanityCheckResult([layers[index].name for index in sorted(compared)], similarity,
                             bool(similarity[-1] < max_similarity))


def _checkpoint_indices(count: int, checkpoints: int | None) -> set[int]:
    """Indices of `checkpoints` evenly spaced layers among `count`, the last always included
    (every layer for None or checkpoints >= count)."""
    steps = count if checkpoints is None else min(checkpoints, count)
    return {-(-(step + 1) * count // steps) - 1 for step in range(steps)}


def _copy_model(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _kernel_layers(model: keras.Model) -> list[keras.layers.Layer]:
    layers = [info.layer for info in graph.list_layers(model)
              if any(len(w.shape) >= 2 for w in info.layer.trainable_weights)]
    if not layers:
        raise InputError("model: expected a classifier with at least one layer holding a kernel "
                         "(Conv2D, Dense, ...) to randomise, got none")
    return layers[::-1]


def _reinitialise(layer: keras.layers.Layer, seed: int) -> None:
    for weight in layer.trainable_weights:
        if len(weight.shape) >= 2:
            weight.assign(keras.initializers.GlorotUniform(seed)(weight.shape, weight.dtype))
