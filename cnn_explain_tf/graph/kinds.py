"""Kinds of Keras layers the model walker and the layer discovery tell apart, and `LayerInfo`."""

from __future__ import annotations

from dataclasses import dataclass

import keras

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
