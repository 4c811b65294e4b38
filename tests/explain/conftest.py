"""Shared fixtures of the explainer tests: the logit model and batch compared with tf-keras-vis."""

import numpy as np
import pytest
from helpers import images, same_resolution_classifier


@pytest.fixture(scope="module")
def linear_model():
    """A 12x12 classifier without a softmax head (its outputs are the logits)."""
    return same_resolution_classifier(head=None)


@pytest.fixture(scope="module")
def batch(linear_model):
    """Four images and the model's predicted classes."""
    x = images(4, size=12)
    return x, np.argmax(np.array(linear_model(x)), axis=1)
