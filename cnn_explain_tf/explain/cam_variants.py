"""More CAMs on BaseCAM's hooks: HiResCAM, XGrad-CAM, LayerCAM, EigenCAM, Ablation-CAM."""

from __future__ import annotations

import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.explain.base import normalize, register, target_scores
from cnn_explain_tf.explain.cam import BaseCAM
from cnn_explain_tf.validation import InputError

__all__ = ["AblationCAM", "EigenCAM", "HiResCAM", "LayerCAM", "XGradCAM", "ablation_weights",
           "first_principal_component", "hirescam_map", "layercam_map", "xgradcam_weights"]


def hirescam_map(activations: tf.Tensor, gradients: tf.Tensor) -> tf.Tensor:
    """HiResCAM map: ReLU of the channel sum of gradient x activation, (B, h, w, K) -> (B, h, w).

    Where the gradients are constant over space (a GAP + dense head on the layer) this is
    Grad-CAM's map.

    References: Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
    convolutional neural networks", arXiv 2011.08891, 2020: the HiResCAM equation
    A~ = ReLU(sum_k dS/dA_k (element-wise) A_k), beside Grad-CAM's.
    """
    return tf.nn.relu(tf.reduce_sum(gradients * activations, axis=-1))


def xgradcam_weights(activations: tf.Tensor, gradients: tf.Tensor) -> tf.Tensor:
    """XGrad-CAM channel weights, (B, h, w, K) -> (B, K).

    w_k = sum_ij (A_k,ij / sum_ij A_k,ij) * g_k,ij: the gradients averaged with the normalised
    activations as weights (0 for a channel whose activations sum to 0).

    References: Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation
    of CNNs", BMVC 2020: the closed-form weights alpha_k = sum_xy (A_k(x,y) / sum_xy A_k(x,y))
    dS/dA_k(x,y) that satisfy the sensitivity and conservation axioms approximately.
    """
    totals = tf.reduce_sum(activations, axis=(1, 2), keepdims=True)
    return tf.reduce_sum(tf.math.divide_no_nan(activations, totals) * gradients, axis=(1, 2))


def layercam_map(activations: tf.Tensor, gradients: tf.Tensor) -> tf.Tensor:
    """LayerCAM map: ReLU of the channel sum of relu(gradient) x activation, (B, h, w).

    References: Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
    Localization", IEEE TIP 2021: the location weights w_ij^k = relu(dS/dA_ij^k) and the map
    M = ReLU(sum_k w^k (element-wise) A^k).
    """
    return tf.nn.relu(tf.reduce_sum(tf.nn.relu(gradients) * activations, axis=-1))


def first_principal_component(activations: tf.Tensor) -> tf.Tensor:
    """Projection of each pixel's K activations on their first principal component, (B, h, w).

    Per image, the (h*w, K) activation matrix is centred over pixels and projected on its first
    right singular vector (as pytorch-grad-cam's `get_2d_projection`). A singular vector's sign
    is arbitrary; it is chosen so that the projection correlates positively with the mean
    activation over channels, so bright feature regions come out positive.

    References: Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components",
    IJCNN 2020: the map A V_1, A = U S V^T, the projection on the first principal component.
    """
    shape = tf.shape(activations)
    pixels = tf.reshape(activations, (shape[0], -1, shape[3]))
    centred = pixels - tf.reduce_mean(pixels, axis=1, keepdims=True)
    _, _, right = tf.linalg.svd(centred)
    projection = tf.einsum("bpk,bk->bp", centred, right[:, :, 0])
    agreement = tf.reduce_sum(projection * tf.reduce_mean(pixels, axis=2), axis=1, keepdims=True)
    projection *= tf.where(agreement < 0.0, -1.0, 1.0)
    return tf.reshape(projection, shape[:3])


def ablation_weights(scores: tf.Tensor, ablated: tf.Tensor) -> tf.Tensor:
    """Ablation-CAM channel weights (y - y_k) / y, (B,) and (B, K) -> (B, K); 0 where y = 0.

    y is the target score of the image, y_k the score with channel k of the layer set to zero.
    As in the paper (and pytorch-grad-cam), the slope is divided by y itself: for a negative
    score (e.g. the least likely class's logit) a channel whose removal lowers the score gets a
    negative weight, and the map shows the channels whose removal raises it.

    References: Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for Deep Convolutional
    Network via Gradient-free Localization", WACV 2020: the slope w_k = (y^c - y^c_k) / y^c and
    the map ReLU(sum_k w_k A_k).
    """
    scores = scores[:, None]
    return tf.math.divide_no_nan(scores - ablated, scores)


@register
class HiResCAM(BaseCAM):
    """HiResCAM: the element-wise product of gradients and activations, summed over channels.

    References: Draelos & Carin, arXiv 2011.08891, 2020.
    """

    name = "hirescam"

    def cam_map(self, activations, gradients, images, targets, target=None):
        return hirescam_map(activations, gradients)


@register
class XGradCAM(BaseCAM):
    """XGrad-CAM: channels weighted by their activation-weighted mean gradient.

    References: Fu et al., "Axiom-based Grad-CAM", BMVC 2020.
    """

    name = "xgradcam"

    def cam_weights(self, activations, gradients, images, targets, target=None):
        return xgradcam_weights(activations, gradients)


@register
class LayerCAM(BaseCAM):
    """LayerCAM: activations weighted pixel by pixel by their positive gradients.

    With several layers (`layer=[...]`, CNN order) the maps are fused from one forward and one
    backward pass: each layer's map (min-max normalised) is scaled by tanh(gamma * M / max M),
    the paper's scaling of shallow-layer maps (applied to every layer; it is monotone), and the
    scaled maps are averaged and normalised.

    Args:
        model: the classifier.
        layer: a layer or a list of layers (see `BaseCAM`).
        gamma: the fusion scale (the paper's 2).
        **kwargs: `output`, `batch_size`.

    References: Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
    Localization", IEEE TIP 2021: the map (see `layercam_map`) and the scaling
    M^ = tanh(gamma M / max M) of shallow-layer maps before they are combined.
    """

    name = "layercam"

    def __init__(self, model, layer=None, gamma: float = 2.0, **kwargs):
        super().__init__(model, layer, **kwargs)
        if not float(gamma) > 0.0:
            raise InputError(f"gamma: expected a value > 0, got {gamma!r}")
        self.gamma = float(gamma)

    def cam_map(self, activations, gradients, images, targets, target=None):
        return layercam_map(activations, gradients)

    def aggregate(self, cams):
        if len(cams) == 1:
            return cams[0]
        scaled = [tf.tanh(self.gamma * cam) for cam in cams]  # each cam has max 1 (or is 0)
        return normalize(tf.add_n(scaled) / len(scaled))


@register
class EigenCAM(BaseCAM):
    """EigenCAM: the first principal component of the layer's activations. Gradient-free and
    class-agnostic: the map does not depend on the target.

    References: Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components",
    IJCNN 2020.
    """

    name = "eigencam"
    uses_gradients = False
    class_specific = False

    def cam_map(self, activations, gradients, images, targets, target=None):
        return tf.nn.relu(first_principal_component(activations))


@register
class AblationCAM(BaseCAM):
    """Ablation-CAM: a channel's weight is the relative drop of the target score when the channel
    is set to zero. Gradient-free.

    The B x (K + 1) forward passes (every channel ablated, plus the intact image) run in chunks
    of `batch_size` inside the compiled step; the ablation edits the layer's output while the
    caller's model runs (`graph.run(edits=...)`), nested models included.

    Args:
        model: the classifier.
        layer: ONE 4-D layer (see `BaseCAM`).
        **kwargs: `output`, `batch_size`.

    Raises:
        InputError: a list of several layers.

    References: Desai & Ramaswamy, "Ablation-CAM", WACV 2020 (see `ablation_weights`).
    """

    name = "ablationcam"
    uses_gradients = False

    def __init__(self, model, layer=None, **kwargs):
        super().__init__(model, layer, **kwargs)
        if len(self.layers) != 1:
            raise InputError(f"layer: Ablation-CAM explains one layer, got {len(self.layers)}")

    def cam_weights(self, activations, gradients, images, targets, target=None):
        channels = activations.shape[-1]
        total = tf.shape(images)[0] * (channels + 1)
        chunk = tf.minimum(self.batch_size, total)
        scores = tf.map_fn(
            lambda start: self._ablated_scores(images, targets, target, start, chunk, total,
                                                channels),
            tf.range(0, total, chunk), fn_output_signature=tf.TensorSpec((None,), tf.float32))
        scores = tf.reshape(tf.reshape(scores, (-1,))[:total], (-1, channels + 1))
        return ablation_weights(scores[:, channels], scores[:, :channels])

    def _ablated_scores(self, images, targets, target, start, chunk, total, channels):
        """Target scores of the (image, channel) pairs start..start+chunk of the flattened
        (B, K + 1) grid; channel K is the intact image."""
        pairs = tf.minimum(tf.range(start, start + chunk), total - 1)
        image_index, channel_index = pairs // (channels + 1), pairs % (channels + 1)
        keep = 1.0 - tf.one_hot(channel_index, channels)  # index K: nothing ablated

        def ablate(output):
            return output * tf.cast(keep, output.dtype)[:, None, None, :]

        _, logits = graph.run(self.model, tf.gather(images, image_index), output=self.output,
                              edits={self.layers[0]: ablate})
        return target_scores(logits, tf.gather(targets, image_index), target)
