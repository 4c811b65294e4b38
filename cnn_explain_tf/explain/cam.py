"""Class activation maps: one base pipeline, one channel-weighting hook per method."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from cnn_explain_tf.explain import tokens
from cnn_explain_tf.explain.base import (
    Explainer,
    normalize,
    register,
    resize,
    resolve_targets,
    target_probabilities,
    target_scores,
)
from cnn_explain_tf.validation import InputError, check_positive_int

LayerSpec = str | keras.layers.Layer | None


def gradcam_weights(gradients: tf.Tensor) -> tf.Tensor:
    """Grad-CAM channel weights: spatial mean of the gradients, (B, h, w, K) -> (B, K).

    References: Selvaraju et al., "Grad-CAM", ICCV 2017, Eq. 1.
    """
    return tf.reduce_mean(gradients, axis=(1, 2))


def gradcam_plus_plus_weights(activations: tf.Tensor, gradients: tf.Tensor,
                              alpha_normalization: str | None = None) -> tf.Tensor:
    """Grad-CAM++ channel weights, (B, h, w, K) -> (B, K), with the exponential-score closed form.

    alpha_ij = g_ij^2 / (2 g_ij^2 + sum_ab(A_ab) g_ij^3) (0 where g_ij = 0) and
    w_k = sum_ij(alpha_ij * relu(g_ij)), as in the paper (and pytorch-grad-cam, xplique). The
    exp(score) factor cancels in alpha and only scales the map, which is normalised afterwards.
    With activations >= 0 the denominator is positive wherever g > 0, the only positions that
    reach the weights, so the weights are bounded.

    `alpha_normalization="all"` divides alpha by its sum over every position as the authors'
    code and tf-keras-vis do; where gradients are negative, 2 + sum(A) g can approach 0 and
    flip a channel's weight. `"positive"` divides by the sum over the positive-gradient
    positions only (w_k becomes an alpha-weighted mean of the positive gradients).

    References: Chattopadhyay et al., "Grad-CAM++", WACV 2018, Eq. 19 (alpha) and Eq. 10 (w).
    """
    if alpha_normalization not in (None, "all", "positive"):
        raise InputError(f"alpha_normalization: expected None, 'all' or 'positive', got "
                         f"{alpha_normalization!r}")
    squared = tf.square(gradients)
    denominator = 2.0 * squared + tf.reduce_sum(activations, axis=(1, 2), keepdims=True) * (
        squared * gradients)
    alphas = squared / tf.where(squared == 0.0, 1.0, denominator)
    if alpha_normalization is not None:
        counted = alphas if alpha_normalization == "all" else tf.where(gradients > 0, alphas, 0.0)
        alpha_sums = tf.reduce_sum(counted, axis=(1, 2), keepdims=True)
        alphas = alphas / tf.where(alpha_sums == 0.0, 1.0, alpha_sums)
    return tf.reduce_sum(alphas * tf.nn.relu(gradients), axis=(1, 2))


def weighted_cam(activations: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """ReLU of the weighted channel sum, (B, h, w, K) x (B, K) -> (B, h, w)."""
    return tf.nn.relu(tf.einsum("bhwk,bk->bhw", activations, weights))


class BaseCAM(Explainer):
    """Shared CAM pipeline: activations (and gradients) -> channel weights -> weighted sum -> ReLU
    -> resize to the input -> normalise, per layer; then `aggregate` turns the per-layer maps into
    one. Subclasses override only `cam_weights` (and, for a multi-layer method, `aggregate`);
    the rarer element-wise methods (HiResCAM, LayerCAM, EigenCAM) override `cam_map` instead.

    Several layers are explained from one forward and one backward pass (one tape).

    Token layers: a layer whose output is (B, tokens, D) (a transformer's) is turned into a
    (B, h, w, D) map by `reshape`, activations and gradients alike, before the weighting
    (`tokens.TokenReshape`, the counterpart of pytorch-grad-cam's `reshape_transform`).

    Args:
        model: the classifier.
        layer: name or layer object of the 4-D or 3-D token layer to explain, or a list of them
            (CNN order); None picks, for a transformer, the normalised tokens entering its last
            attention layer (`tokens.default_token_layer`), else the last conv-like layer, also
            inside nested models.
        reshape: for token layers: "auto" (drop the class and register tokens the model
            declares, lay the patch tokens on a square grid) or a callable mapping
            (B, tokens, D) to (B, h, w, D).
        **kwargs: `output`, `batch_size` (see `Explainer`).

    Raises:
        InputError: an unknown layer, or one whose output is neither 4-D (B, h, w, channels) nor
            3-D tokens, e.g. a Dense head; a bad `reshape`, or "auto" on patch tokens that do
            not form a square grid; raised here, before anything is traced.
    """

    uses_gradients = True

    def __init__(self, model: keras.Model, layer: LayerSpec | Sequence[LayerSpec] = None, *,
                 reshape: str | Callable = "auto", **kwargs):
        super().__init__(model, **kwargs)
        several = isinstance(layer, (list, tuple))
        if several and not layer:
            raise InputError("layer: expected at least one layer to explain, got an empty list")
        self.layers = [tokens.find_cam_layer(model, one)
                       for one in (layer if several else [layer])]
        self.layer = self.layers[0] if len(self.layers) == 1 else None
        self.reshape = tokens.TokenReshape(model, reshape, self.layers)

    def cam_weights(self, activations, gradients, images, targets, target=None) -> tf.Tensor:
        """(B, K) channel weights. `gradients` is None when `uses_gradients` is False."""
        raise NotImplementedError

    def cam_map(self, activations, gradients, images, targets, target=None) -> tf.Tensor:
        """(B, h, w) map at the layer's resolution, before resizing and normalisation: the ReLU
        of the channel sum weighted by `cam_weights`. Element-wise methods override this."""
        return weighted_cam(activations, self.cam_weights(activations, gradients, images,
                                                          targets, target))

    def aggregate(self, cams: list[tf.Tensor]) -> tf.Tensor:
        """One (B, H, W) map from the per-layer maps: the map itself for one layer, else the
        min-max normalised mean of the layers' maps."""
        if len(cams) == 1:
            return cams[0]
        return normalize(tf.add_n(cams) / len(cams))

    def explain_batch(self, images, targets, target=None):
        return self.aggregate(self.layer_cams(images, targets, target))

    def layer_cams(self, images, targets, target=None) -> list[tf.Tensor]:
        """The (B, H, W) map of each of `layers`, each normalised to [0, 1] on its own, for the
        class indices `targets` (-1: predicted) or, when given, the callable `target`'s score."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            activations, logits = self.forward(images, taps=self.layers)
            scores = target_scores(logits, targets, target)
        targets = resolve_targets(logits, targets, target)
        gradients = (tape.gradient(scores, activations) if self.uses_gradients
                     else [None] * len(activations))
        return [self._layer_cam(a, g, images, targets, target, layer.name)
                for a, g, layer in zip(activations, gradients, self.layers)]

    def _layer_cam(self, activations, gradients, images, targets, target, name) -> tf.Tensor:
        activations = self.reshape(tf.cast(activations, tf.float32), name)
        if gradients is not None:
            gradients = self.reshape(tf.cast(gradients, tf.float32), name)
        cam = self.cam_map(activations, gradients, images, targets, target)
        return normalize(resize(cam, tf.shape(images)[1:3]))


@register
class GradCAM(BaseCAM):
    """Grad-CAM: channels weighted by their mean gradient.

    References: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
    Gradient-based Localization", ICCV 2017.
    """

    name = "gradcam"

    def cam_weights(self, activations, gradients, images, targets, target=None):
        return gradcam_weights(gradients)


@register
class GradCAMPlusPlus(BaseCAM):
    """Grad-CAM++: pixel-wise weighting of positive gradients.

    Args:
        model: the classifier.
        layer: see `BaseCAM`.
        alpha_normalization: None (the paper's Eq. 19, as pytorch-grad-cam and xplique),
            "all" (the authors' code and tf-keras-vis) or "positive"; see
            `gradcam_plus_plus_weights`.
        **kwargs: `output`, `batch_size`.

    References: Chattopadhyay et al., "Grad-CAM++: Generalized Gradient-based Visual Explanations
    for Deep Convolutional Networks", WACV 2018, Eq. 19.
    """

    name = "gradcam++"

    def __init__(self, model, layer=None, alpha_normalization: str | None = None, **kwargs):
        super().__init__(model, layer, **kwargs)
        gradcam_plus_plus_weights(tf.ones((1, 1, 1, 1)), tf.ones((1, 1, 1, 1)),
                                  alpha_normalization)  # validates the option
        self.alpha_normalization = alpha_normalization

    def cam_weights(self, activations, gradients, images, targets, target=None):
        return gradcam_plus_plus_weights(activations, gradients, self.alpha_normalization)


@register
class ScoreCAM(BaseCAM):
    """Score-CAM: each channel, upsampled and min-max scaled, masks the input; its weight is the
    softmax probability of the target class on the masked input (a callable target's score when
    one is given). Gradient-free.

    The forward passes are batched over images, one compiled pass per channel. With `max_channels`,
    only the channels of highest spatial standard deviation (per image) are scored; the rest get
    weight 0.

    Args:
        model: the classifier.
        layer: see `BaseCAM`.
        max_channels: score at most this many channels per image (None: all).
        **kwargs: `output`, `batch_size`.

    References: Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
    Networks", CVPR Workshops 2020.
    """

    name = "scorecam"
    uses_gradients = False

    def __init__(self, model, layer=None, max_channels: int | None = None, **kwargs):
        super().__init__(model, layer, **kwargs)
        self.max_channels = None if max_channels is None else check_positive_int(
            "max_channels", max_channels)

    def cam_weights(self, activations, gradients, images, targets, target=None):
        channels = activations.shape[-1]
        count = channels if self.max_channels is None else min(self.max_channels, channels)
        chosen = tf.math.top_k(tf.math.reduce_std(activations, axis=(1, 2)), k=count).indices
        low_res = tf.transpose(tf.gather(activations, chosen, axis=3, batch_dims=1), (0, 3, 1, 2))
        total = tf.shape(images)[0] * count
        chunk = tf.minimum(self.batch_size, total)
        scores = tf.map_fn(
            lambda start: self._masked_probabilities(images, targets, target, low_res, start,
                                                      chunk, total),
            tf.range(0, total, chunk), fn_output_signature=tf.TensorSpec((None,), tf.float32))
        scores = tf.reshape(tf.reshape(scores, (-1,))[:total], (-1, count))
        return tf.reduce_sum(tf.one_hot(chosen, channels) * scores[..., None], axis=1)

    def _masked_probabilities(self, images, targets, target, low_res, start, chunk, total):
        """Target probabilities for the (image, channel) pairs start..start+chunk of the flattened
        (B, count) grid; masks are upsampled per chunk so memory stays at one chunk of images."""
        pairs = tf.minimum(tf.range(start, start + chunk), total - 1)
        image_index, channel_index = pairs // tf.shape(low_res)[1], pairs % tf.shape(low_res)[1]
        masks = tf.gather_nd(low_res, tf.stack([image_index, channel_index], axis=1))
        masks = normalize(resize(masks, tf.shape(images)[1:3]))
        _, logits = self.forward(tf.gather(images, image_index) * masks[..., None])
        return target_probabilities(logits, tf.gather(targets, image_index), target)


@register
class GuidedGradCAM(Explainer):
    """Guided Grad-CAM: the guided-backprop map multiplied by the Grad-CAM map, then normalised.

    Args:
        model: the classifier.
        layer: the Grad-CAM layer (see `BaseCAM`).
        reshape: the Grad-CAM layer's token reshape (see `BaseCAM`).
        **kwargs: `output`, `batch_size`.

    References: Selvaraju et al., "Grad-CAM", ICCV 2017, Section 3.
    """

    name = "guided_gradcam"

    def __init__(self, model, layer=None, *, reshape: str | Callable = "auto", **kwargs):
        from cnn_explain_tf.explain.gradients import GuidedBackprop

        super().__init__(model, **kwargs)
        self.gradcam = GradCAM(model, layer, reshape=reshape, **kwargs)
        self.guided = GuidedBackprop(model, **kwargs)

    def explain_batch(self, images, targets, target=None):
        # Both parts resolve -1 to the same predicted class, so targets pass through unchanged.
        return normalize(self.gradcam.explain_batch(images, targets, target)
                         * self.guided.explain_batch(images, targets, target))
