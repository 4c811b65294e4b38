"""The study's classifiers: the paper's three-layer CNN and a five-conv ResNet of similar cost."""

import keras
import pytest

from cnn_explain_tf.models.fill_blanks import ARCHS


def conv_multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of the model's convolutions for one image."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            height, width, filters = layer.output.shape[1:]
            kernel = layer.kernel.shape
            total += height * width * filters * kernel[0] * kernel[1] * kernel[2]
    return total


@pytest.mark.parametrize(("arch", "convs", "adds", "multiply_adds"),
                         [("cnn3", 3, 0, 1_467_648), ("resnet5", 6, 2, 1_718_528)])
def test_architectures_by_hand(arch, convs, adds, multiply_adds):
    model = ARCHS[arch]((28, 28, 1), 10)
    layers = [type(layer).__name__ for layer in model.layers]
    assert layers.count("Conv2D") == convs  # resnet5: five 3x3 convs and a 1x1 projection
    assert layers.count("Add") == adds
    assert model.output.shape == (None, 10)
    # cnn3: 28*28*16*9 + 14*14*32*16*9 + 7*7*32*32*9; resnet5: 28*28*16*9 + 2*14*14*16*16*9
    #   + 7*7*32*16*9 + 7*7*32*32*9 + 7*7*32*16
    assert conv_multiply_adds(model) == multiply_adds
