"""Heat maps of many models in one comparable form: the paper's methods, `explain_models`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf import explain
from cnn_explain_tf.validation import InputError

__all__ = ["NotApplicable", "PAPER_METHODS", "common_form", "explain_models"]


PAPER_METHODS = ("saliency", "guided_backprop", "deconvnet", "gradcam", "guided_gradcam")
"""The paper's five methods (Sec. 3.1.2): vanilla backprop, guided backprop, deconvnet,
Grad-CAM and guided Grad-CAM."""


@dataclasses.dataclass(frozen=True)
class NotApplicable:
    """A method that could not run on a model, with the reason (shown as "n/a" in tables)."""

    reason: str


def explain_models(models: Mapping[str, keras.Model], images: np.ndarray,
                   methods: Sequence[str], gradcam_layers: Mapping[str, str],
                   options: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """method -> model name -> (N, H, W) maps, or `NotApplicable` where the method fails.

    Every method that takes a `layer` (Grad-CAM, guided Grad-CAM, the other CAMs) explains the
    model's declared layer (the paper's Table 3.2), never a guessed one; a bad-input error of one
    (method, model) becomes `NotApplicable(reason)` instead of stopping the study.

    Raises:
        InputError: a model without a declared Grad-CAM layer.
    """
    missing = sorted(set(models) - set(gradcam_layers))
    if missing:
        raise InputError(f"gradcam_layers: expected a declared Grad-CAM layer for every model, "
                         f"got none for {missing}")
    results: dict[str, dict] = {method: {} for method in methods}
    for method in methods:
        factory = explain.get(method)
        takes_layer = "layer" in inspect.signature(factory).parameters
        for name, model in models.items():
            kwargs = dict((options or {}).get(method, {}))
            if takes_layer:
                kwargs["layer"] = gradcam_layers[name]
            try:
                results[method][name] = factory(model, **kwargs)(images)
            except (ValueError, TypeError, NotImplementedError, tf.errors.OpError) as error:
                results[method][name] = NotApplicable(f"{type(error).__name__}: {error}")
    return results


def common_form(maps, size: tuple[int, int]) -> np.ndarray:
    """Maps of any model to one comparable form: (N, H, W) float32 in [0, 1] at `size`.

    (N, h, w, C) gradient maps are collapsed to 2-D by the largest absolute value over channels
    (Simonyan et al.'s saliency rule, the library's for every gradient method; the paper does
    not say how it collapsed them); then bilinear resizing to `size` and min-max normalisation
    per map (a constant map becomes all zeros).
    """
    maps = np.asarray(maps, np.float32)
    if maps.ndim == 4:
        maps = np.abs(maps).max(axis=-1)
    if maps.ndim != 3:
        raise InputError(f"maps: expected (N, H, W) or (N, H, W, C) maps, got shape {maps.shape}")
    resized = tf.image.resize(maps[..., None], size, method="bilinear")[..., 0].numpy()
    low = resized.min(axis=(1, 2), keepdims=True)
    span = resized.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (resized - low) / np.where(span > 0, span, 1), 0).astype(np.float32)
