"""A toy evaluation set for the protocol tests: images with a known foreground square."""

import numpy as np
from helpers import classifier

import cnn_explain_tf as cet
from cnn_explain_tf.protocols.common import EvalSet

SIZE, COUNT = 16, 4
MASK = np.zeros((COUNT, SIZE, SIZE), np.float32)
MASK[:, 4:10, 5:11] = 1.0  # a 6x6 foreground square: 36 of 256 pixels


def square_images() -> np.ndarray:
    """Background noise in [0, 0.5), foreground square at 1: the foreground is `image > 0.75`."""
    rng = np.random.default_rng(0)
    background = 0.5 * rng.random((COUNT, SIZE, SIZE, 3), dtype=np.float32)
    return np.where(MASK[..., None] > 0, 1.0, background).astype(np.float32)


def square_set() -> EvalSet:
    """A tiny classifier with the square images, all of class 0."""
    return EvalSet("squares", "tiny", classifier(size=SIZE), square_images(),
                   np.zeros(COUNT, np.int64), MASK)


def oracle(model):
    """Lights exactly the bright pixels (the foreground of clean images); ignores the model."""
    return lambda images, targets=None: (np.asarray(images).min(-1) > 0.75).astype(np.float32)


def constant(value: float):
    """A factory of maps that are `value` everywhere."""
    def factory(model):
        return lambda images, targets=None: np.full(np.shape(images)[:3], value, np.float32)
    return factory


def constant_brightness(model):
    """The image's mean channel: a 'map' that does not depend on the model at all."""
    return lambda images, targets=None: np.asarray(images).mean(-1)


def gradcam(model):
    return cet.explain.get("gradcam")(model)
