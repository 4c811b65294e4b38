"""Runs a model layer by layer without modifying it: taps, edits, a linearised head, rules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import tensorflow as tf

from cnn_explain_tf.graph.kinds import (
    ACTIVATION_LAYERS,
    RELEVANCE_PASS_THROUGH,
    RELU_LIKE,
    SQUASHING,
    LayerInfo,
)
from cnn_explain_tf.validation import InputError, describe


class BackwardRules:
    """Hooks that change the backward pass but not the forward pass; the default: plain gradients.

    `activation(fn, x, relu_like)` applies an element-wise activation; `affine(y)` receives the
    output of every layer that is affine in its input (dense, conv, BN, pooling, merges) before
    its activation, computed as `affine_layer(layer, fn, x)` = affine(fn(x)) from the input(s) x:
    LRP rules that reweight the layer override `affine_layer`.
    """

    changes_gradients = False

    def activation(self, fn, x, relu_like: bool):
        return fn(x)

    def affine(self, y):
        return y

    def affine_layer(self, layer, fn, x):
        return self.affine(fn(x))


@dataclass
class _Trace:
    rules: BackwardRules
    head: keras.layers.Layer | None
    taps: frozenset = frozenset()
    edits: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    found: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)


def is_model_graph(model) -> bool:
    """True for Sequential and functional models, whose inner layers can be reached."""
    return isinstance(model, keras.Sequential) or hasattr(model, "_run_through_graph")


EXPANSIONS: dict[str, Callable] = {}
"""{"module.QualName" of a custom layer class: expand(layer, call, *args, **kwargs)}, computing
layer(*args, **kwargs) with each inner layer called as call(inner, ...), so `run` enters it."""


def expansion(layer) -> Callable | None:
    """The EXPANSIONS entry of `layer`'s class or of its nearest registered base class."""
    names = (f"{cls.__module__}.{cls.__qualname__}" for cls in type(layer).__mro__)
    return next((EXPANSIONS[name] for name in names if name in EXPANSIONS), None)


def run(model: keras.Model, inputs, *, taps=(), rules: BackwardRules | None = None,
        linearize: bool = True, output: int | None = None, record: bool = False, edits=None,
        calls=None):
    """Runs `model` on real tensors layer by layer, returning (tapped outputs, model output).

    Nested Sequential/functional models and layers with an EXPANSIONS entry are entered, so any
    inner layer can be tapped. Weights are the caller's; the caller's model is not modified.

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
        calls: {layer: function(layer, *args, **kwargs)} computing the layer's output in place
            of its own call (e.g. asking an attention layer for its weights as well).
    """
    head = output_layer(model, output) if linearize else None
    state = _Trace(rules or BackwardRules(), head, frozenset(id(layer) for layer in taps),
                   {id(layer): edit for layer, edit in (edits or {}).items()},
                   {id(layer): call for layer, call in (calls or {}).items()})
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
    expand = expansion(layer)  # no assignment expression: AutoGraph cannot convert one
    if id(layer) in state.calls:
        out = state.calls[id(layer)](layer, *args, **kwargs)
    elif isinstance(layer, keras.Model) and is_model_graph(layer):
        out = _run_graph(layer, args[0], state)
    elif expand is not None:
        out = expand(layer, lambda inner, *a, **k: _visit(inner, state, *a, **k), *args, **kwargs)
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
        return rules.affine_layer(layer, lambda x: _call_without_activation(
            layer, (x, *args[1:]), kwargs), args[0])
    return _call_with_rules(layer, args, kwargs, rules) if rules.changes_gradients else layer(
        *args, **kwargs)


def _call_with_rules(layer, args, kwargs, rules: BackwardRules):
    if isinstance(layer, ACTIVATION_LAYERS):
        return rules.activation(lambda x: layer(x, *args[1:], **kwargs), args[0], _is_relu(layer))
    _check_reachable(layer)
    activation = getattr(layer, "activation", None)
    if callable(activation) and activation is not keras.activations.linear:
        pre = rules.affine_layer(layer, lambda x: _call_without_activation(
            layer, (x, *args[1:]), kwargs), args[0])
        return rules.activation(activation, pre, activation in RELU_LIKE)
    if isinstance(layer, RELEVANCE_PASS_THROUGH):
        return layer(*args, **kwargs)
    return rules.affine_layer(layer, lambda x: layer(x, *args[1:], **kwargs), args[0])


def _check_reachable(layer) -> None:
    """Refuses a custom layer that hides activations from the backward rules (no expansion)."""
    if not type(layer).__module__.startswith("keras.") and any(
            isinstance(inner, ACTIVATION_LAYERS) or getattr(inner, "activation", None) not in (
                None, keras.activations.linear) for inner in layer._flatten_layers()[1:]):
        raise InputError(f"model: layer '{layer.name}' ({type(layer).__name__}) hides its "
                         "activations from this method's backward rules; use plain gradients "
                         "(saliency, gradcam, ...) or a perturbation method")


class _WithoutActivation:
    """Read-only view of a layer whose activation is the identity; shares the layer's weights
    but those named in `weights` (e.g. kernel=...)."""

    activation = None

    def __init__(self, layer, **weights):
        self._layer = layer
        self.__dict__.update(weights)

    def __getattr__(self, name):
        return getattr(self._layer, name)


def _call_without_activation(layer, args, kwargs, **weights):
    """The layer's pre-activation output, computed with its own weights (but `weights`), in the
    variables' dtype."""
    inputs = tf.cast(args[0], layer.variable_dtype)
    out = type(layer).call(_WithoutActivation(layer, **weights), inputs, *args[1:], **kwargs)
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


def call_with_weights(layer, inputs, **weights):
    """The pre-activation output of `layer` on `inputs` with the named weights replaced (e.g.
    `kernel=`, `bias=None, use_bias=False`); the layer is not changed."""
    return _call_without_activation(layer, (inputs,), {}, **weights)
