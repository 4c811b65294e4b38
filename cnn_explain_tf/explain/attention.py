"""Transformer methods read from attention weights: attention rollout and gradient x attention."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.explain import tokens
from cnn_explain_tf.explain.base import Explainer, normalize, register, resize, target_scores
from cnn_explain_tf.validation import InputError

__all__ = ["AttentionCapture", "AttentionRollout", "GradientAttention", "attention_rollout",
           "gradient_attention_rollout"]


def attention_rollout(attentions: Sequence[tf.Tensor]) -> tf.Tensor:
    """Attention rollout of per-layer (B, heads, T, T) attention weights (first layer first),
    (B, T, T): row i says how much output token i draws on each input token.

    Per layer the heads are averaged, the residual connection is added as an identity and the
    rows are re-normalised, A_l = norm(0.5 mean_h(W_att,l) + 0.5 I); the layers are chained,
    R = A_L ... A_2 A_1 (R_l = A_l R_(l-1), R_1 = A_1).

    References: Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020, Sec. 3:
    A = 0.5 W_att + 0.5 I with the heads averaged, and the rollout recursion (Eq. 1).
    """
    rollout = None
    for weights in attentions:
        fused = tf.reduce_mean(tf.cast(weights, tf.float32), axis=1)
        mixed = 0.5 * fused + 0.5 * tf.eye(tf.shape(fused)[-1], dtype=tf.float32)
        mixed = mixed / tf.reduce_sum(mixed, axis=-1, keepdims=True)
        rollout = mixed if rollout is None else tf.matmul(mixed, rollout)
    return rollout


def gradient_attention_rollout(attentions: Sequence[tf.Tensor], gradients: Sequence[tf.Tensor]
                               ) -> tf.Tensor:
    """Gradient x attention relevance of per-layer (B, heads, T, T) attention weights and their
    gradients (first layer first), (B, T, T).

    Per layer, A_bar = mean_h((grad A (elementwise) A)^+) (Eq. 5), and the relevance starts at
    the identity and accumulates R = R + A_bar R (Eq. 6), layer by layer. No row normalisation.

    This is the gradient x attention variant of Chefer et al. (CVPR 2021), which weights the
    attention by its gradient times its LRP relevance (Eq. 13) instead of times the attention
    itself; the variant needs no relevance propagation rules.

    References: Chefer, Gur & Wolf, "Generic Attention-model Explainability for Interpreting
    Bi-Modal and Encoder-Decoder Transformers", ICCV 2021, Eq. 5-6 (self-attention rules);
    Chefer, Gur & Wolf, "Transformer Interpretability Beyond Attention Visualization", CVPR 2021,
    Eq. 13-14.
    """
    relevance = None
    for weights, grads in zip(attentions, gradients):
        weights = tf.cast(weights, tf.float32)
        weighted = tf.reduce_mean(tf.nn.relu(tf.cast(grads, tf.float32) * weights), axis=1)
        if relevance is None:
            relevance = tf.eye(tf.shape(weighted)[-1], batch_shape=tf.shape(weighted)[:1])
        relevance = relevance + tf.matmul(weighted, relevance)
    return relevance


class AttentionCapture:
    """Runs the caller's model through `graph.run` and returns its attention weights beside the
    output, without modifying the model.

    Each attention layer is called in its own place (`graph.run`'s `calls`) with
    `return_attention_scores=True`, so the output (and every gradient) flows through the
    returned weights; that holds inside layers that `graph.run` expands too (`graph.EXPANSIONS`,
    e.g. keras-hub's ViT blocks, see `models.hub`).

    Raises:
        InputError: a model without `tokens.ATTENTION_LAYERS`, one called more than once
            (shared), or one with flash attention on (which never forms the weights).
    """

    def __init__(self, model: keras.Model):
        self.layers = tokens.attention_layers(model)
        if not self.layers:
            raise InputError(f"model: expected a transformer with keras.layers.MultiHeadAttention "
                             f"layers, model '{model.name}' has none")
        for layer in self.layers:
            if len(layer._inbound_nodes) > 1 or getattr(layer, "_flash_attention", False):
                raise InputError(f"model: attention layer '{layer.name}' is shared or uses flash "
                                 "attention, which keeps its weights hidden; build it once with "
                                 "flash_attention=False")

    def forward(self, model: keras.Model, images, output: int | None = None
                ) -> tuple[list[tf.Tensor], tf.Tensor]:
        """([(B, heads, T, T) weights per attention layer, in execution order], logits)."""
        found = {}

        def call(layer, *args, **kwargs):
            asked = kwargs.pop("return_attention_scores", False)
            out, weights = layer(*args, return_attention_scores=True, **kwargs)
            found[id(layer)] = weights
            return (out, weights) if asked else out

        _, logits = graph.run(model, images, output=output,
                              calls={layer: call for layer in self.layers})
        return [found[id(layer)] for layer in self.layers], logits


class AttentionExplainer(Explainer):
    """Base of the attention methods: a (B, T, T) token relation -> the class token's row (the
    mean of the patch tokens' rows without a class token) over the patch tokens -> grid ->
    resized, normalised map.

    Args:
        model: a transformer classifier with keras.layers.MultiHeadAttention layers, all
            attending over the same T tokens.
        reshape: "auto" (drop the declared class / register tokens, square grid) or a callable
            mapping (B, T, 1) to (B, h, w, 1), as for CAMs (`tokens.TokenReshape`).
        **kwargs: `output`, `batch_size`.
    """

    def __init__(self, model: keras.Model, *, reshape: str | Callable = "auto", **kwargs):
        super().__init__(model, **kwargs)
        self.capture = AttentionCapture(model)
        self.reshape = tokens.TokenReshape(model, reshape, self.capture.layers[-1:])
        self.class_tokens, registers = tokens.token_layout(model)
        self.prefix = self.class_tokens + registers

    def forward_with_attention(self, images):
        """([(B, heads, T, T) attention weights per layer], logits)."""
        return self.capture.forward(self.model, images, self.output)

    def relevance_map(self, relations: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """(B, H, W) map in [0, 1] of a (B, T, T) token relation."""
        if self.class_tokens:
            row = relations[:, 0]
        else:
            row = tf.reduce_mean(relations[:, self.prefix:], axis=1)
        grid = self.reshape(row[..., None], self.capture.layers[-1].name)[..., 0]
        return normalize(resize(grid, tf.shape(images)[1:3]))


@register
class AttentionRollout(AttentionExplainer):
    """Attention rollout: the class token's row of the rolled-out attention (`attention_rollout`)
    over the patch tokens. Class-agnostic: the map does not depend on the target.

    References: Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020.
    """

    name = "attention_rollout"
    class_specific = False

    def explain_batch(self, images, targets, target=None):
        attentions, _ = self.forward_with_attention(images)
        return self.relevance_map(attention_rollout(attentions), images)


@register
class GradientAttention(AttentionExplainer):
    """Gradient x attention (Chefer et al.'s generic rule): the class token's row of
    `gradient_attention_rollout`, with the gradients of the target score (a softmax head's
    logit) with respect to each layer's attention weights.

    References: Chefer, Gur & Wolf, "Generic Attention-model Explainability for Interpreting
    Bi-Modal and Encoder-Decoder Transformers", ICCV 2021, Eq. 5-6.
    """

    name = "gradient_attention"

    def explain_batch(self, images, targets, target=None):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            attentions, logits = self.forward_with_attention(images)
            scores = target_scores(logits, targets, target)
        gradients = tape.gradient(scores, attentions)
        return self.relevance_map(gradient_attention_rollout(attentions, gradients), images)
