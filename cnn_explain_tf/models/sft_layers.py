"""The SFT building blocks: the SFT modulation, the SFT layer and the CGMA condition network."""

from __future__ import annotations

import keras
from keras import layers, ops

from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["ConditionNetwork", "SFTLayer", "sft_modulation"]


def sft_modulation(features, gamma, beta):
    """Spatial feature transform: features * (1 + gamma) + beta, element-wise.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Eq. 5-6;
    Wang et al., "Recovering Realistic Texture ... Spatial Feature Transform", CVPR 2018, Eq. 2.
    """
    return features * (1.0 + gamma) + beta


@keras.saving.register_keras_serializable(package="cnn_explain_tf")
class SFTLayer(layers.Layer):
    """Modulates features by a condition map: two 1x1-conv branches give (gamma, beta).

    Called on `[features (B,H,W,filters), condition (B,H,W,c)]`; returns features * (1 + gamma)
    + beta, with gamma and beta each from conv1x1(hidden) -> LeakyReLU(0.1) -> conv1x1(filters).

    Args:
        filters: channels of the modulated features.
        hidden_filters: channels of the branches' hidden 1x1 conv.

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Eq. 5-6.
    """

    def __init__(self, filters: int, hidden_filters: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.hidden_filters = check_positive_int("hidden_filters", hidden_filters)
        self.gamma_branch = [layers.Conv2D(hidden_filters, 1, name="gamma_hidden"),
                             layers.Conv2D(filters, 1, name="gamma")]
        self.beta_branch = [layers.Conv2D(hidden_filters, 1, name="beta_hidden"),
                            layers.Conv2D(filters, 1, name="beta")]

    def build(self, input_shape):
        features_shape, condition_shape = input_shape
        if features_shape[-1] != self.filters:
            raise InputError(f"features: expected {self.filters} channels for SFT layer "
                             f"'{self.name}', got shape {tuple(features_shape)}")
        for hidden, output in (self.gamma_branch, self.beta_branch):
            hidden.build(condition_shape)
            output.build((*condition_shape[:-1], self.hidden_filters))

    def modulation(self, condition):
        """(gamma, beta) of a condition map, each (B, H, W, filters)."""
        return tuple(output(ops.leaky_relu(hidden(condition), 0.1))
                     for hidden, output in (self.gamma_branch, self.beta_branch))

    def call(self, inputs):
        features, condition = inputs
        gamma, beta = self.modulation(condition)
        return sft_modulation(features, gamma, beta)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "hidden_filters": self.hidden_filters}


@keras.saving.register_keras_serializable(package="cnn_explain_tf")
class ConditionNetwork(layers.Layer):
    """Turns CGMA maps into SFT conditions: conv 4x4 -> three 1x1 convs -> conv 3x3.

    The first four convs have `filters` channels and LeakyReLU(0.1); the last has
    `output_filters`. All keep the resolution ('same' padding). With `per_map=True` the network is
    shared across the k input maps: each map (B,H,W,1) is processed on its own (folded into the
    batch, one call for all k) and a list of k conditions (B,H,W,output_filters) is returned;
    otherwise the k maps form one global condition.

    Args:
        filters: channels of the hidden convs (128 in the paper).
        output_filters: channels of the condition (32 in the paper).
        per_map: one condition per input map (LSFT) instead of one for all (GSFT).

    References: "Interpreting CNN Predictions using Conditional GANs", arXiv 2301.08067, Sec. 3.2.
    """

    def __init__(self, filters: int = 128, output_filters: int = 32, per_map: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.output_filters = check_positive_int("output_filters", output_filters)
        self.per_map = bool(per_map)
        self.convs = [layers.Conv2D(filters, 4, padding="same", name="conv4x4"),
                      *(layers.Conv2D(filters, 1, name=f"conv1x1_{i}") for i in range(1, 4)),
                      layers.Conv2D(output_filters, 3, padding="same", name="conv3x3")]

    def build(self, input_shape):
        shape = (*input_shape[:-1], 1 if self.per_map else input_shape[-1])
        for conv in self.convs:
            conv.build(shape)
            shape = (*shape[:-1], conv.filters)

    def call(self, maps):
        if not self.per_map:
            return self._network(maps)
        count = maps.shape[-1]
        height, width = ops.shape(maps)[1], ops.shape(maps)[2]
        folded = ops.reshape(ops.transpose(maps, (0, 3, 1, 2)), (-1, height, width, 1))
        conditions = ops.reshape(self._network(folded),
                                 (-1, count, height, width, self.output_filters))
        return [conditions[:, index] for index in range(count)]

    def _network(self, x):
        for conv in self.convs[:-1]:
            x = ops.leaky_relu(conv(x), 0.1)
        return self.convs[-1](x)

    def compute_output_shape(self, input_shape):
        shape = (*input_shape[:-1], self.output_filters)
        return [shape] * input_shape[-1] if self.per_map else shape

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "output_filters": self.output_filters, "per_map": self.per_map}
