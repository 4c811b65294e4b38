"""Token layers of transformers: the layer a CAM explains and the tokens -> patch-grid reshape."""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.validation import InputError, describe

__all__ = ["ATTENTION_LAYERS", "NORMALIZATIONS", "TokenReshape", "attention_layers",
           "default_token_layer", "find_cam_layer", "grid_side", "patch_grid", "prefix_tokens",
           "token_layout"]

ATTENTION_LAYERS = (keras.layers.MultiHeadAttention,)
NORMALIZATIONS = (keras.layers.LayerNormalization, keras.layers.RMSNormalization)
RESHAPE_HINT = "reshape=<callable mapping (B, tokens, D) to (B, h, w, D)>"


def token_layout(model: keras.Model) -> tuple[int, int]:
    """(class tokens, register tokens) that open the model's token sequence, as it declares them.

    The model itself or one of its layers declares them with the attributes
    `num_class_tokens` (`models.vit.TokenEmbedding`), `use_class_token` (keras-hub ViT) or a
    `distillation_token` (keras-hub DeiT: class and distillation tokens, 2), and
    `num_register_tokens` (DINOv2); a layer that declares only register tokens is taken to have
    one class token before them (DINOv2's layout). A model that declares nothing has none: (0, 0).
    """
    for owner in (model, *(info.layer for info in graph.list_layers(model))):
        classes = getattr(owner, "num_class_tokens", None)
        if classes is None and hasattr(owner, "use_class_token"):
            classes = int(bool(owner.use_class_token))
        if classes is None and hasattr(owner, "distillation_token"):
            classes = 2  # DeiT: a class and a distillation token
        registers = getattr(owner, "num_register_tokens", None)
        if classes is not None or registers is not None:
            return int(1 if classes is None else classes), int(registers or 0)
    return 0, 0


def prefix_tokens(model: keras.Model) -> int:
    """How many class and register tokens open the model's token sequence (`token_layout`)."""
    return sum(token_layout(model))


def patch_grid(tokens: tf.Tensor, prefix: int, layer: str = "the layer") -> tf.Tensor:
    """(B, prefix + s*s, D) tokens -> (B, s, s, D): the prefix tokens dropped, the patch tokens
    laid out row-major on a square grid (the order of a strided patch embedding).

    Raises:
        InputError: the patch tokens do not form a square grid (`grid_side`).
    """
    side = grid_side(tokens.shape[1], prefix, layer)
    return tf.reshape(tokens[:, prefix:], (-1, side, side, tf.shape(tokens)[2]))


def grid_side(count: int | None, prefix: int, layer: str = "the layer") -> int:
    """The side s of the square grid of `count` tokens after `prefix` class/register tokens.

    Raises:
        InputError: count - prefix is not a square s*s >= 1 (or count is unknown).
    """
    side = math.isqrt(count - prefix) if count is not None and count > prefix else 0
    if side == 0 or side * side != count - prefix:
        raise InputError(
            f"reshape: 'auto' expects the patch tokens of '{layer}' (its tokens after the "
            f"model's {prefix} class/register tokens) to form a square grid, got {count} tokens;"
            f" pass {RESHAPE_HINT}")
    return side


class TokenReshape:
    """Turns a CAM layer's output into a (B, h, w, D) map: 4-D outputs pass unchanged, 3-D
    (B, tokens, D) outputs go through `reshape`.

    `reshape="auto"` drops the class and register tokens the model declares (`prefix_tokens`)
    and lays the rest on a square grid (`patch_grid`); a callable is applied as it is (as
    pytorch-grad-cam's `reshape_transform`, but channels-last) to the activations and to their
    gradients alike.

    Raises:
        InputError: `reshape` neither "auto" nor callable, "auto" for a token layer whose
            patch tokens do not form a square grid, or a callable that does not return 4-D maps
            (checked here on zeros of the layer's output shape when it is known).
    """

    def __init__(self, model: keras.Model, reshape: str | Callable, layers=()):
        if not (reshape == "auto" or callable(reshape)):
            raise InputError(f"reshape: expected 'auto' or a callable mapping (B, tokens, D) to "
                             f"(B, h, w, D), got {describe(reshape)}")
        self.reshape = reshape
        self.prefix = prefix_tokens(model) if reshape == "auto" else 0
        for layer in layers:
            shape = _output_shape(layer)
            if shape is not None and len(shape) == 3 and None not in shape[1:]:
                self(tf.zeros((1, *shape[1:])), layer.name)  # the checks, before any tracing

    def __call__(self, outputs: tf.Tensor, layer: str = "the layer") -> tf.Tensor:
        if outputs.shape.rank == 4:
            return outputs
        if self.reshape == "auto":
            return patch_grid(outputs, self.prefix, layer)
        grid = self.reshape(outputs)
        if len(getattr(grid, "shape", ())) != 4:
            raise InputError(f"reshape: expected the callable to return (B, h, w, D) maps for "
                             f"'{layer}', got shape {tuple(grid.shape)}")
        return tf.cast(grid, tf.float32)


def _output_shape(layer) -> tuple | None:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a shared layer or one never called symbolically
        return None


def attention_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's attention layers (`ATTENTION_LAYERS`), in execution order, nested models
    included."""
    return [info.layer for info in graph.list_layers(model)
            if isinstance(info.layer, ATTENTION_LAYERS)]


def default_token_layer(model: keras.Model) -> keras.layers.Layer | None:
    """The token layer a CAM explains by default: the normalised tokens that enter the LAST
    attention layer (a pre-norm ViT's last block `norm1`; the previous block's output norm in a
    post-norm transformer), among the layers after the last 4-D conv-like layer.

    Why there: the head reads the class token only, and after the last attention nothing mixes
    the patch tokens into it (the MLP and the norms act token by token), so the gradients of the
    score with respect to every later patch token are 0 and a CAM there is empty; the input of
    the last attention is the latest layer whose patch tokens still reach the score. This is
    pytorch-grad-cam's choice for ViT and DeiT (`target_layers = [model.blocks[-1].norm1]`,
    jacobgil/pytorch-grad-cam `tutorials/vision_transformers.md`, "Which target_layer should we
    chose for Vision Transformers?").

    Without a normalisation before the last attention, the last 3-D layer before it; without
    attention layers, the last 3-D layer of a model that has no 4-D one.

    Returns:
        The layer, or None for a model to explain at its last 4-D layer (a CNN).
    """
    layers = graph.list_layers(model)
    last_conv = max((i for i, info in enumerate(layers) if info.is_conv_like), default=-1)
    after = layers[last_conv + 1:]
    attention = [i for i, info in enumerate(after) if isinstance(info.layer, ATTENTION_LAYERS)]
    if not attention and last_conv >= 0:
        return None
    candidates = [info for info in (after[:attention[-1]] if attention else after)
                  if info.rank == 3]
    normalised = [info for info in candidates if isinstance(info.layer, NORMALIZATIONS)]
    chosen = normalised if attention and normalised else candidates
    return chosen[-1].layer if chosen else None


def find_cam_layer(model: keras.Model, layer: str | keras.layers.Layer | None
                   ) -> keras.layers.Layer:
    """Resolves a CAM layer: a 3-D token layer by name or object, else `graph.find_layer` (a
    4-D layer); None picks `default_token_layer` for a transformer, else the last 4-D layer.

    Raises:
        InputError: see `graph.find_layer` (unknown name, a 2-D output such as a Dense head's).
    """
    if layer is None:
        chosen = default_token_layer(model)
        return graph.find_layer(model, None) if chosen is None else chosen
    for info in graph.list_layers(model):
        if (info.layer is layer or info.name == layer) and info.rank == 3:
            return info.layer
    return graph.find_layer(model, layer)
