"""Hand-built classifiers whose confidences the metric tests set exactly."""

import keras
import numpy as np
import pytest


def mean_pixel_classifier(size: int = 4, slope: float = 2.0) -> keras.Model:
    """Two classes with logits (slope*m - 1, 1 - slope*m), m the mean pixel: p0 = sigmoid(2*slope*m
    - 2)."""
    inputs = keras.Input((size, size, 1))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    head = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, head(pooled))
    head.set_weights([np.array([[slope, -slope]], np.float32), np.array([-1.0, 1.0], np.float32)])
    return model


@pytest.fixture(scope="session")
def mean_model() -> keras.Model:
    return mean_pixel_classifier()
