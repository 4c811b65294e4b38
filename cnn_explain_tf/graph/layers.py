"""Layer discovery: the input shape, the leaf layers in order, the CAM layer of a model."""

from __future__ import annotations

import keras
import tensorflow as tf

from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.graph.kinds import LayerInfo
from cnn_explain_tf.graph.walk import run
from cnn_explain_tf.validation import InputError, describe


def input_shape(model) -> tuple:
    """The model's input shape without the batch axis, e.g. (64, 64, 3)."""
    shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
    if shape is None or len(shape) != 4:
        raise InputError(f"model: expected a built image classifier with one input of rank 4 "
                         f"(B, H, W, C), got input shape {shape}")
    return tuple(shape[1:])


def list_layers(model) -> list[LayerInfo]:
    """Leaf layers in execution order, nested models entered, traced once and cached per model."""
    return list(MODEL_CACHE.get(model, "graph.list_layers", lambda: tuple(_trace_layers(model))))


def _trace_layers(model) -> list[LayerInfo]:
    shape = tuple(224 if size is None else size for size in input_shape(model))  # ImageNet size
    seen = []
    trace = tf.function(lambda x: seen.extend(run(model, x, linearize=False, record=True)[2]))
    trace.get_concrete_function(tf.TensorSpec((1, *shape), model.inputs[0].dtype))
    return seen


def conv_layers(model) -> list[LayerInfo]:
    """All convolution layers (Conv2D, DepthwiseConv2D, SeparableConv2D), in CNN order."""
    return [info for info in list_layers(model) if info.is_convolution and info.rank == 4]


def find_layer(model, layer: str | keras.layers.Layer | None) -> keras.layers.Layer:
    """Resolves a CAM layer: a name, a layer object, or None for the last conv-like 4-D layer.

    Raises:
        InputError: unknown name (the message lists candidates), a layer whose output is not 4-D
            (B, h, w, channels), e.g. a Dense layer, or no 4-D layer at all.
    """
    layers = list_layers(model)
    candidates = [info for info in layers if info.is_conv_like]
    if not candidates:
        raise InputError("model: a CAM method needs a layer with a 4-D output (B, h, w, channels); "
                         f"model '{model.name}' has none")
    if layer is None:
        return candidates[-1].layer
    for info in layers:
        if info.layer is layer or info.name == layer:
            return _four_dimensional(info, model)
    names = ", ".join(info.name for info in candidates[-12:])
    raise InputError(f"layer: expected the name of a layer in model '{model.name}', got "
                     f"{describe(layer)}; the last 4-D candidates are: {names}")


def _four_dimensional(info: LayerInfo, model) -> keras.layers.Layer:
    if info.rank != 4:
        raise InputError(f"layer: expected a layer with a 4-D output (B, h, w, channels), such as "
                         f"a convolution, got '{info.name}' ({type(info.layer).__name__}) of "
                         f"model '{model.name}', whose output has rank {info.rank}")
    return info.layer
