"""Model surgery that leaves the model untouched: layer discovery, taps, linear head, rules."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import keras
import tensorflow as tf

from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.validation import InputError, describe

CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
ACTIVATION_LAYERS = (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
                     keras.layers.ELU, keras.layers.PReLU, keras.layers.Softmax)
# Layers that reshape, resample, pad or regularise: never a "conv-like" CAM layer.
STRUCTURAL = (keras.layers.InputLayer, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
              keras.layers.ZeroPadding2D, keras.layers.Cropping2D, keras.layers.UpSampling2D,
              keras.layers.Dropout, keras.layers.SpatialDropout2D, keras.layers.GaussianNoise,
              keras.layers.Resizing, keras.layers.Rescaling, keras.layers.Flatten,
              keras.layers.Reshape, keras.layers.Permute)
# Layers that only move values around: relevance passes through them unchanged.
RELEVANCE_PASS_THROUGH = (keras.layers.InputLayer, keras.layers.ZeroPadding2D,
                          keras.layers.Cropping2D, keras.layers.Dropout,
                          keras.layers.SpatialDropout2D, keras.layers.GaussianNoise,
                          keras.layers.Flatten, keras.layers.Reshape, keras.layers.Permute)
SQUASHING = (keras.activations.softmax, keras.activations.sigmoid)
RELU_LIKE = (keras.activations.relu, keras.activations.relu6)


@dataclass(frozen=True)
class LayerInfo:
    """A leaf layer met while running the model, with the rank of its output."""

    name: str
    layer: keras.layers.Layer
    rank: int

    @property
    def is_convolution(self) -> bool:
        return isinstance(self.layer, CONVOLUTIONS)

    @property
    def is_conv_like(self) -> bool:
        """A 4-D feature map that is computed (convolution, activation, normalisation, merge)."""
        return self.rank == 4 and not isinstance(self.layer, STRUCTURAL)


class BackwardRules:
    """Hooks that change the backward pass while keeping the forward pass; the default is plain
    gradients.

    `activation(fn, x, relu_like)` applies an element-wise activation; `affine(y)` receives the
    output of every layer that is affine in its input (dense, conv, BN, pooling, merges) before
    its activation.
    """

    changes_gradients = False

    def activation(self, fn, x, relu_like: bool):
        return fn(x)

    def affine(self, y):
        return y


@dataclass
class _Trace:
    rules: BackwardRules
    head: keras.layers.Layer | None
    taps: frozenset = frozenset()
    edits: dict = field(default_factory=dict)
    found: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)


def is_model_graph(model) -> bool:
    """True for Sequential and functional models, whose inner layers can be reached."""
    return isinstance(model, keras.Sequential) or hasattr(model, "_run_through_graph")


def run(model: keras.Model, inputs, *, taps=(), rules: BackwardRules | None = None,
        linearize: bool = True, output: int | None = None, record: bool = False, edits=None):
    """Runs `model` on real tensors layer by layer, returning (tapped outputs, model output).

    Nested Sequential/functional models are entered, so any inner layer can be tapped. Weights
    are the caller's (no copy) and the caller's model is not modified.

    Args:
        model: the classifier.
        inputs: a float tensor batch.
        taps: layers whose outputs are returned, in this order.
        rules: backward-rule hooks (default: plain gradients).
        linearize: return the logits of a softmax/sigmoid head instead of probabilities.
        output: index of the output to return for multi-output models.
        record: also return the list of LayerInfo met, in execution order.
        edits: {layer: function} replacing a layer's output y by function(y) in the forward
            pass (e.g. zeroing a channel, for ablation); the caller's layers are not changed.
    """
    head = output_layer(model, output) if linearize else None
    state = _Trace(rules or BackwardRules(), head, frozenset(id(layer) for layer in taps),
                   {id(layer): edit for layer, edit in (edits or {}).items()})
    outputs = _run_graph(model, inputs, state)
    outputs = select_output(outputs, output)
    tapped = [state.found[id(layer)] for layer in taps]
    return (tapped, outputs, state.seen) if record else (tapped, outputs)


def _run_graph(model, inputs, state: _Trace):
    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            inputs = _visit(layer, state, inputs)
        return inputs
    if hasattr(model, "_run_through_graph"):
        return model._run_through_graph(
            inputs, lambda operation: functools.partial(_visit, operation, state))
    return _visit(model, state, inputs)  # subclassed model: opaque


def _visit(layer, state: _Trace, *args, **kwargs):
    if isinstance(layer, keras.Model) and is_model_graph(layer):
        out = _run_graph(layer, args[0], state)
    elif layer is state.head:
        out = _linearized_call(layer, args, kwargs, state.rules)
    elif state.rules.changes_gradients and isinstance(layer, keras.layers.Layer):
        out = _call_with_rules(layer, args, kwargs, state.rules)
    else:
        out = layer(*args, **kwargs)
    if id(layer) in state.edits:
        out = state.edits[id(layer)](out)
    if isinstance(layer, keras.layers.Layer) and not isinstance(layer, keras.Model):
        state.seen.append(LayerInfo(layer.name, layer, len(getattr(out, "shape", ()))))
    if id(layer) in state.taps:
        state.found[id(layer)] = out
    return out


def _linearized_call(layer, args, kwargs, rules: BackwardRules):
    if _is_squashing_layer(layer):
        return args[0]
    if getattr(layer, "activation", None) in SQUASHING:
        return rules.affine(_call_without_activation(layer, args, kwargs))
    return _call_with_rules(layer, args, kwargs, rules) if rules.changes_gradients else layer(
        *args, **kwargs)


def _call_with_rules(layer, args, kwargs, rules: BackwardRules):
    if isinstance(layer, ACTIVATION_LAYERS):
        return rules.activation(lambda x: layer(x, *args[1:], **kwargs), args[0], _is_relu(layer))
    activation = getattr(layer, "activation", None)
    if activation is not None and activation is not keras.activations.linear:
        pre = rules.affine(_call_without_activation(layer, args, kwargs))
        return rules.activation(activation, pre, activation in RELU_LIKE)
    out = layer(*args, **kwargs)
    return out if isinstance(layer, RELEVANCE_PASS_THROUGH) else rules.affine(out)


class _WithoutActivation:
    """Read-only view of a layer whose activation is the identity; shares the layer's weights."""

    activation = None

    def __init__(self, layer):
        self._layer = layer

    def __getattr__(self, name):
        return getattr(self._layer, name)


def _call_without_activation(layer, args, kwargs):
    """The layer's pre-activation output, computed with its own weights, in the variables' dtype."""
    inputs = tf.cast(args[0], layer.variable_dtype)
    out = type(layer).call(_WithoutActivation(layer), inputs, *args[1:], **kwargs)
    return tf.cast(out, layer.compute_dtype)


def _is_squashing_layer(layer) -> bool:
    if isinstance(layer, keras.layers.Softmax):
        return True
    return isinstance(layer, keras.layers.Activation) and layer.activation in SQUASHING


def _is_relu(layer) -> bool:
    if isinstance(layer, keras.layers.ReLU):
        return float(layer.negative_slope) == 0.0 and float(layer.threshold) == 0.0
    return isinstance(layer, keras.layers.Activation) and layer.activation in RELU_LIKE


def output_layer(model, output: int | None = None):
    """The leaf layer that produces the (selected) model output, looking inside nested models."""
    if isinstance(model, keras.Sequential):
        layer = model.layers[-1]
    elif is_model_graph(model):
        check_output_index(model, output)
        layer = model.outputs[output or 0]._keras_history.operation
    else:
        return None
    nested = isinstance(layer, keras.Model) and is_model_graph(layer)
    return output_layer(layer) if nested else layer


def check_output_index(model, output: int | None) -> None:
    """Requires an output index for multi-output models, and a valid one."""
    count = len(model.outputs) if getattr(model, "outputs", None) else 1
    if output is None and count > 1:
        raise InputError(f"output: this model has {count} outputs; pass output=<index in "
                         f"[0, {count})> to choose the one to explain, got None")
    if output is not None and not (isinstance(output, int) and 0 <= output < count):
        raise InputError(f"output: expected an index in [0, {count}), got {describe(output)}")


def select_output(outputs, output: int | None):
    """Picks one output tensor from a model's (possibly nested) outputs."""
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        return outputs[output or 0]
    return outputs


def input_shape(model) -> tuple:
    """The model's input shape without the batch axis, e.g. (64, 64, 3)."""
    shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
    if shape is None or len(shape) != 4:
        raise InputError(f"model: expected a built image classifier with one input of rank 4 "
                         f"(B, H, W, C), got input shape {shape}")
    return tuple(shape[1:])


def list_layers(model) -> list[LayerInfo]:
    """Leaf layers in execution (CNN) order, entering nested models, found by a graph-mode trace.

    Cached per model in `cache.MODEL_CACHE` (tracing a large network takes seconds); the list
    holds the leaf layers, never the model itself, so the entry goes with the model.
    """
    return list(MODEL_CACHE.get(model, "graph.list_layers", lambda: tuple(_trace_layers(model))))


def _trace_layers(model) -> list[LayerInfo]:
    shape = tuple(32 if size is None else size for size in input_shape(model))
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
    """The layer of `info` if its output is 4-D, else an InputError naming it."""
    if info.rank != 4:
        raise InputError(f"layer: expected a layer with a 4-D output (B, h, w, channels), such as "
                         f"a convolution, got '{info.name}' ({type(info.layer).__name__}) of "
                         f"model '{model.name}', whose output has rank {info.rank}")
    return info.layer
