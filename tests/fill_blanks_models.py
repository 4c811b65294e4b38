"""A hand-built classifier whose prototypes are known (a region's brightness)."""

import keras
import numpy as np

QUARTER = np.zeros((8, 8, 1), np.float32)
QUARTER[:4, :4] = 1
"""The region the model looks at: the top-left 4x4 quarter of an 8x8 image."""


def brightness_model(threshold: float = 0.5, weight: float = 0.1) -> keras.Model:
    """Class 1 when the quarter's mean m is above `threshold`, else class 0.

    Logits (w (t - m), w (m - t)): the gradient of the cross-entropy is 0 off the quarter and
    of one sign on it (+ for class 1, - for class 0); a small w keeps the softmax near 1/2, so
    its size is nearly the same everywhere on the quarter (within 1 + w of each other).
    The prototypes are therefore QUARTER (class 1) and 1 - QUARTER (class 0) at threshold 0.5.
    """
    inputs = keras.Input((8, 8, 1))
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    region = QUARTER[..., 0].ravel() / QUARTER.sum()
    dense.set_weights([np.stack([-weight * region, weight * region], 1),
                       np.array([weight * threshold, -weight * threshold], np.float32)])
    return model
