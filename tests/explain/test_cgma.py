"""CGMA core: Eq. 1-2 layer selection, one-pass intermediate Grad-CAMs, cumulative averages."""

import keras
import numpy as np
import pytest
from helpers import classifier, images

import cnn_explain_tf as cet


@pytest.mark.parametrize("num_layers, k, expected", [
    (13, 8, [0, 2, 4, 6, 7, 9, 11, 12]),   # VGG16, the paper's example
    (16, 8, [0, 3, 5, 7, 9, 11, 13, 15]),  # percents 0,15,29,43,58,72,86,100 -> ceil(p * 15 / 100)
    (53, 8, [0, 8, 16, 23, 31, 38, 45, 52]),  # ResNet50's 53 convolutions
    (5, 3, [0, 2, 4]),
    (2, 2, [0, 1]),
    (8, 8, [0, 1, 2, 3, 4, 5, 6, 7]),  # Eq. 2 gives 7 twice here: evenly spaced fallback
])
def test_select_layers_exact_indices(num_layers, k, expected):
    assert cet.cgma.select_layers(num_layers, k) == expected


@pytest.mark.parametrize("num_layers", range(2, 60))
def test_select_layers_distinct_first_and_last(num_layers):
    for k in range(2, min(num_layers, 12) + 1):
        index = cet.cgma.select_layers(num_layers, k)
        assert index[0] == 0 and index[-1] == num_layers - 1
        assert len(set(index)) == k and index == sorted(index)


def test_select_layers_refuses_k_above_n_and_below_two():
    with pytest.raises(ValueError, match="k: expected at most num_layers=5 layers to select"):
        cet.cgma.select_layers(5, 6)
    with pytest.raises(ValueError, match="k: expected an int >= 2, got 1"):
        cet.cgma.select_layers(5, 1)


@pytest.fixture(scope="module")
def model():
    return classifier(head="softmax", nested=True)


def test_intermediate_gradcams_equal_gradcam_at_each_layer(model):
    x = images(3)
    cams = cet.cgma.intermediate_gradcams(model, x, targets=[0, 1, 2])
    assert cams.shape == (3, 16, 16, 3) and cams.dtype == np.float32
    for index, name in enumerate(["conv1", "conv2", "conv3"]):
        single = cet.explain.GradCAM(model, layer=name)(x, targets=[0, 1, 2])
        np.testing.assert_allclose(cams[..., index], single, atol=1e-5, err_msg=name)


def test_compute_cgma_is_the_cumulative_mean_of_selected_layers(model):
    x = images(2)
    cams = cet.cgma.intermediate_gradcams(model, x)
    cgma = cet.cgma.compute_cgma(model, x, k=2)  # select_layers(3, 2) == [0, 2]
    assert cgma.shape == (2, 16, 16, 2) and 0 <= cgma.min() and cgma.max() <= 1
    np.testing.assert_allclose(cgma[..., 0], cams[..., 0], atol=1e-6)
    np.testing.assert_allclose(cgma[..., 1], (cams[..., 0] + cams[..., 2]) / 2, atol=1e-6)


def test_compute_cgma_refuses_k_above_the_number_of_conv_layers(model):
    with pytest.raises(ValueError, match="k: expected at most the 3 conv layers of model"):
        cet.cgma.compute_cgma(model, images(1), k=4)


def test_vgg16_has_13_conv_layers_and_its_cgma_uses_eq2():
    vgg = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=3)
    convs = cet.graph.conv_layers(vgg)
    assert len(convs) == 13 and convs[0].name == "block1_conv1" and convs[-1].name == "block5_conv3"
    assert cet.cgma.compute_cgma(vgg, images(1, size=32), k=8).shape == (1, 32, 32, 8)


def test_the_last_cgma_layer_is_gradcams_layer_after_batch_norm_and_a_residual_sum():
    # conv -> BN -> ReLU, then a residual block whose 1x1 shortcut conv is traced after the main
    # branch: the raw last convolution is the shortcut, Grad-CAM's layer is the ReLU of the sum
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="c1")(inputs)
    x = keras.layers.ReLU(name="r1")(keras.layers.BatchNormalization(name="bn1")(x))
    main = keras.layers.Conv2D(8, 3, padding="same", name="c2")(x)
    shortcut = keras.layers.Conv2D(8, 1, name="c3_shortcut")(x)
    x = keras.layers.ReLU(name="out")(keras.layers.Add(name="sum")([main, shortcut]))
    head = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, head)
    assert [layer.name for layer in cet.cgma.cgma_layers(model, None)] == ["c1", "c2",
                                                                           "c3_shortcut"]
    assert [layer.name for layer in cet.cgma.cgma_layers(model, 2)] == ["c1", "out"]
    x = images(2)
    cgma = cet.cgma.compute_cgma(model, x, [1, 2], k=2)
    gradcam = cet.explain.GradCAM(model)(x, [1, 2])
    first = cet.explain.GradCAM(model, layer="c1")(x, [1, 2])
    np.testing.assert_allclose(2 * cgma[..., 1] - cgma[..., 0], gradcam, atol=1e-5)
    np.testing.assert_allclose(cgma[..., 0], first, atol=1e-5)
