"""Linear models for the metric tests: known attributions (p0 = 0.5 + sum(w * x)) and known
confidences (p0 = sigmoid(2 sum(w * x)))."""

import keras
import numpy as np


def linear_probability_model(weights: np.ndarray) -> keras.Model:
    """Two classes with probabilities (0.5 + s, 0.5 - s), s = sum(weights * image): the class-0
    probability is linear in the pixels, so w * x is its exact attribution (sum |w| <= 0.5 keeps
    it in [0, 1] for images in [0, 1])."""
    inputs = keras.Input((*weights.shape, 1))
    head = keras.layers.Dense(2)
    model = keras.Model(inputs, head(keras.layers.Flatten()(inputs)))
    column = weights.reshape(-1, 1).astype(np.float32)
    head.set_weights([np.concatenate([column, -column], axis=1), np.full(2, 0.5, np.float32)])
    return model


def linear_case(size: int = 4, count: int = 32, seed: int = 0):
    """(model, images (count, size, size, 1), weights) with mixed-sign weights, sum |w| = 0.5."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(size, size))
    weights = (0.5 * weights / np.abs(weights).sum()).astype(np.float32)
    images = rng.random((count, size, size, 1)).astype(np.float32)
    return linear_probability_model(weights), images, weights


def probability(weights: np.ndarray, image: np.ndarray) -> float:
    """The linear model's class-0 probability, by hand."""
    return float(0.5 + np.sum(weights * image[..., 0]))


def weighted_pixel_classifier(weights: np.ndarray) -> keras.Model:
    """Two classes with logits (s, -s), s = sum(weights * image): p0 = sigmoid(2s)."""
    inputs = keras.Input((*weights.shape, 1))
    flat = keras.layers.Flatten()(inputs)
    head = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, head(flat))
    column = weights.reshape(-1, 1).astype(np.float32)
    head.set_weights([np.concatenate([column, -column], axis=1), np.zeros(2, np.float32)])
    return model
