"""A tiny ViT and numpy references for the token and attention tests (reshape, CAM, rollouts)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf.models.vit import build_vit

SIZE, PATCH, DIM, DEPTH = 16, 4, 8, 2
GRID = SIZE // PATCH


def tiny_vit(pooling: str = "class", registers: int = 1, seed: int = 3) -> keras.Model:
    """A 16x16 RGB ViT: 4x4 patches (a 4x4 grid), D = 8, two blocks of two heads, 4 logits."""
    keras.utils.set_random_seed(seed)
    return build_vit((SIZE, SIZE, 3), 4, patch_size=PATCH, dim=DIM, depth=DEPTH, num_heads=2,
                     mlp_dim=16, num_register_tokens=registers, pooling=pooling,
                     head_activation=None)


def bilinear(maps: np.ndarray, size: int) -> np.ndarray:
    """(B, h, w) -> (B, size, size), bilinear with half-pixel centres, edges clamped (the
    convention of tf.image.resize)."""

    def axis(n_in):
        source = np.clip((np.arange(size) + 0.5) * n_in / size - 0.5, 0, n_in - 1)
        low = np.floor(source).astype(int)
        return low, np.minimum(low + 1, n_in - 1), source - low

    rl, rh, rf = axis(maps.shape[1])
    cl, ch, cf = axis(maps.shape[2])
    rows = maps[:, rl] * (1 - rf)[None, :, None] + maps[:, rh] * rf[None, :, None]
    return rows[:, :, cl] * (1 - cf) + rows[:, :, ch] * cf


def min_max(maps: np.ndarray) -> np.ndarray:
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 1e-12, (maps - low) / np.where(span > 1e-12, span, 1), 0.0)


def grid_map(row: np.ndarray, prefix: int) -> np.ndarray:
    """(B, T) token relevance -> the patch tokens on the grid, upsampled and min-max scaled."""
    return min_max(bilinear(row[:, prefix:].reshape(-1, GRID, GRID), SIZE))


def manual_forward(vit: keras.Model, images, targets, prefix: int, pooling: str = "class"):
    """(attention weights per block, their gradients, logits), computed by calling the ViT's
    layers one by one, the attention layers with return_attention_scores=True."""
    layer = vit.get_layer
    images = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        h = layer("tokens")(layer("patch_tokens")(layer("patch_embedding")(images)))
        attentions = []
        for index in range(1, DEPTH + 1):
            normed = layer(f"block{index}_norm1")(h)
            out, weights = layer(f"block{index}_attention")(normed, normed,
                                                             return_attention_scores=True)
            attentions.append(weights)
            h = h + out
            h = h + layer(f"block{index}_mlp2")(layer(f"block{index}_mlp1")(
                layer(f"block{index}_norm2")(h)))
        h = layer("final_norm")(h)
        pooled = h[:, 0] if pooling == "class" else tf.reduce_mean(h[:, prefix:], axis=1)
        logits = layer("head")(pooled)
        scores = tf.gather(logits, targets, batch_dims=1)
    gradients = tape.gradient(scores, attentions)
    return ([a.numpy() for a in attentions], [g.numpy() for g in gradients], logits.numpy())
