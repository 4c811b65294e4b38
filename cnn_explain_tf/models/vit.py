"""A small Keras-native vision transformer whose token layout the explainers can read."""

from __future__ import annotations

import keras

__all__ = ["TokenEmbedding", "build_vit"]

POOLINGS = ("class", "mean")


@keras.saving.register_keras_serializable("cnn_explain_tf")
class TokenEmbedding(keras.layers.Layer):
    """Adds learned position embeddings to (B, N, D) patch tokens and prepends learned class and
    register tokens: the output is (B, C + R + N, D), in the order [class tokens, register
    tokens, patch tokens] (the layout of DINOv2 with registers).

    The attributes `num_class_tokens` and `num_register_tokens` declare that layout: the token
    explainers (`explain.tokens`) read them to drop the non-patch tokens.

    Args:
        num_class_tokens: C, 0 or 1 in a usual ViT.
        num_register_tokens: R, extra learned tokens that no head reads.

    References: Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, Eq. 1 (class token
    and position embeddings); Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
    """

    def __init__(self, num_class_tokens: int = 1, num_register_tokens: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_class_tokens = int(num_class_tokens)
        self.num_register_tokens = int(num_register_tokens)

    def build(self, input_shape):
        patches, dim = input_shape[1], input_shape[2]
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.positions = self.add_weight(shape=(1, patches, dim), initializer=init,
                                         name="positions")
        self.prefix = self.add_weight(
            shape=(1, self.num_class_tokens + self.num_register_tokens, dim), initializer=init,
            name="prefix")

    def call(self, patches):
        prefix = keras.ops.tile(self.prefix, (keras.ops.shape(patches)[0], 1, 1))
        return keras.ops.concatenate([keras.ops.cast(prefix, patches.dtype),
                                      patches + keras.ops.cast(self.positions, patches.dtype)],
                                     axis=1)

    def compute_output_shape(self, input_shape):
        prefix = self.num_class_tokens + self.num_register_tokens
        return (input_shape[0], input_shape[1] + prefix, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "num_class_tokens": self.num_class_tokens,
                "num_register_tokens": self.num_register_tokens}


def build_vit(input_shape: tuple[int, int, int], num_classes: int, patch_size: int = 4,
              dim: int = 32, depth: int = 2, num_heads: int = 2, mlp_dim: int = 64,
              num_register_tokens: int = 0, pooling: str = "class",
              head_activation: str | None = "softmax", name: str = "vit") -> keras.Model:
    """A pre-norm ViT: patch embedding (a strided convolution), class and register tokens,
    `depth` blocks of LayerNorm -> MultiHeadAttention -> residual add -> LayerNorm -> MLP ->
    residual add, a final LayerNorm and a dense head on the class token (or on the mean of the
    patch tokens with `pooling="mean"`, which builds no class token).

    Layer names: `patch_embedding`, `tokens`, then per block i (from 1) `block{i}_norm1`,
    `block{i}_attention`, `block{i}_add1`, `block{i}_norm2`, `block{i}_mlp1`, `block{i}_mlp2`,
    `block{i}_add2`; then `final_norm`, `pool` and `head`.

    Args:
        input_shape: (H, W, C); H and W multiples of `patch_size`.
        num_classes: outputs of the head.
        patch_size: side of the square patches.
        dim: token width D.
        depth: number of transformer blocks.
        num_heads: attention heads per block (key width dim // num_heads).
        mlp_dim: hidden width of each block's MLP.
        num_register_tokens: learned register tokens after the class token.
        pooling: "class" (the class token feeds the head) or "mean".
        head_activation: the head's activation ("softmax", or None for logits).

    References: Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
    Recognition at Scale", ICLR 2021, Eq. 1-4.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling: expected one of {POOLINGS}, got {pooling!r}")
    height, width, _ = input_shape
    if height % patch_size or width % patch_size:
        raise ValueError(f"input_shape: expected H and W multiples of patch_size={patch_size}, "
                         f"got {tuple(input_shape)}")
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(dim, patch_size, strides=patch_size, name="patch_embedding")(inputs)
    x = keras.layers.Reshape(((height // patch_size) * (width // patch_size), dim),
                             name="patch_tokens")(x)
    x = TokenEmbedding(int(pooling == "class"), num_register_tokens, name="tokens")(x)
    for index in range(1, depth + 1):
        x = _block(x, f"block{index}", dim, num_heads, mlp_dim)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    if pooling == "class":
        x = keras.layers.Cropping1D((0, x.shape[1] - 1), name="crop")(x)
        x = keras.layers.Flatten(name="pool")(x)
    else:
        if num_register_tokens:
            x = keras.layers.Cropping1D((num_register_tokens, 0), name="crop")(x)
        x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=head_activation, name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def _block(x, name: str, dim: int, num_heads: int, mlp_dim: int):
    """One pre-norm transformer encoder block (ViT Eq. 2-3)."""
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
    h = keras.layers.MultiHeadAttention(num_heads, dim // num_heads, name=f"{name}_attention")(
        h, h)
    x = keras.layers.Add(name=f"{name}_add1")([x, h])
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
    h = keras.layers.Dense(mlp_dim, activation="gelu", name=f"{name}_mlp1")(h)
    h = keras.layers.Dense(dim, name=f"{name}_mlp2")(h)
    return keras.layers.Add(name=f"{name}_add2")([x, h])
