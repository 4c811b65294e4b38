"""Fill in the blanks' CPU-sized classifiers: the paper's three-layer CNN and a small ResNet."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras

__all__ = ["ARCHS", "build", "cnn3", "resnet5"]


def cnn3(input_shape: Sequence[int], classes: int) -> keras.Model:
    """Three 3x3 conv layers (16, 32, 32 filters, each ReLU and 2x2 max-pooling) and a softmax.

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Section 4.1 ("a
        simple three-layered CNN model trained on MNIST").
    """
    inputs = keras.Input(tuple(input_shape))
    x = inputs
    for filters in (16, 32, 32):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    outputs = keras.layers.Dense(classes, activation="softmax")(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs, name="cnn3")


def resnet5(input_shape: Sequence[int], classes: int) -> keras.Model:
    """A pooled stem conv and two residual blocks of two convs (five convs), global pooling.

    The stem (16 filters, 2x2 max-pooling) halves the input before the blocks (16 filters, then
    2x2 max-pooling, then 32 filters with a 1x1 projection shortcut), so the net costs about
    what `cnn3` costs per image (1.7 vs 1.5 M multiply-adds at 28x28).

    References: "Fill in the Blanks: Rethinking Interpretability in Vision", Table 1 ("ResNet5");
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 (the block).
    """
    inputs = keras.Input(tuple(input_shape))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    for filters in (16, 32):
        shortcut = x if x.shape[-1] == filters else keras.layers.Conv2D(filters, 1)(x)
        y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        y = keras.layers.Conv2D(filters, 3, padding="same")(y)
        x = keras.layers.ReLU()(keras.layers.Add()([shortcut, y]))
        if filters == 16:
            x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x),
                       name="resnet5")


ARCHS: dict[str, Callable[[Sequence[int], int], keras.Model]] = {"cnn3": cnn3, "resnet5": resnet5}
"""Architecture name -> builder (input shape, classes) -> uncompiled classifier."""


def build(arch: str, input_shape: Sequence[int], classes: int) -> keras.Model:
    """The `arch` classifier for (H, W, C) images and `classes` classes."""
    return ARCHS[arch](input_shape, classes)
