"""AlexNet and SqueezeNet builders: the published parameter counts, torchvision's shapes."""

import keras
import numpy as np
import pytest

from cnn_explain_tf.models import blocks, classic, zoo
from cnn_explain_tf.validation import InputError

# torchvision.models at 224x224, 1000 classes (the "num_params" of its weights docs): AlexNet
# 61,100,840 (Krizhevsky's single-GPU "one weird trick" widths; the 2012 paper says "60
# million"), SqueezeNet 1.0 1,248,424 (Iandola et al., Table 1: "1.2M" uncompressed, 4.8 MB),
# SqueezeNet 1.1 1,235,496.
PUBLISHED = {"alexnet": 61_100_840, "squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496}


def _parameters(arch: str) -> int:
    if arch == "alexnet":
        return classic.alexnet((224, 224, 3), 1000).count_params()
    return classic.squeezenet((224, 224, 3), 1000, arch[-3:]).count_params()


@pytest.mark.parametrize("arch", sorted(PUBLISHED))
def test_parameter_counts_at_224_match_the_published_ones(arch):
    assert _parameters(arch) == PUBLISHED[arch]


def test_feature_maps_have_torchvision_sizes():
    alexnet = classic.alexnet((224, 224, 3), 1000)
    assert [alexnet.get_layer(f"pool{i}").output.shape[1] for i in (1, 2, 5)] == [27, 13, 6]
    v10 = classic.squeezenet((224, 224, 3), 1000, "1_0")
    # conv1 7x7/2: 109; ceil-mode pools: 54, 27, 13 (floor mode would give 54, 26, 12)
    assert [v10.get_layer(name).output.shape[1] for name in
            ("conv1", "pool1", "pool4", "pool8", "fire9_concat")] == [109, 54, 27, 13, 13]
    v11 = classic.squeezenet((224, 224, 3), 1000, "1_1")
    assert [v11.get_layer(name).output.shape[1] for name in
            ("conv1", "pool1", "pool3", "pool5")] == [111, 55, 27, 13]
    assert v11.get_layer("fire9_concat").output.shape[-1] == 512


def test_fire_module_concatenates_its_expands():
    x = keras.Input((9, 9, 8))
    y = classic.fire(x, 2, 5, "fire")
    assert y.shape[1:] == (9, 9, 10)
    assert keras.Model(x, y).count_params() == (8 * 2 + 2) + (2 * 5 + 5) + (2 * 5 * 9 + 5)


def test_ceil_mode_pool_keeps_the_partial_last_window():
    x = np.zeros((1, 4, 4, 1), np.float32)
    x[0, 3, 3, 0] = 5.0  # only the partial window (rows/cols 2..4) sees it
    inputs = keras.Input((4, 4, 1))
    pooled = keras.Model(inputs, blocks.ceil_max_pool(inputs, "pool"))(x).numpy()
    assert pooled.shape == (1, 2, 2, 1) and pooled[0, 1, 1, 0] == 5.0


@pytest.mark.parametrize("arch", ["alexnet", "squeezenet1_0", "squeezenet1_1"])
def test_zoo_builds_classic_nets_with_their_own_heads(arch):
    model = zoo.build(arch, (16, 16, 1), 3)
    assert model.get_layer("upsample").output.shape[1] >= 31
    probabilities = model(np.random.default_rng(0).random((2, 16, 16, 1), np.float32)).numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert "avg_pool" not in [layer.name for layer in model.layers]


def test_a_weights_file_is_loaded_and_one_that_does_not_fit_is_refused(tmp_path):
    source = classic.squeezenet((64, 64, 3), 5, "1_1")
    source.save_weights(tmp_path / "squeezenet.weights.h5")
    model = zoo.build("squeezenet1_1", (64, 64, 3), 5, weights=str(tmp_path /
                                                                   "squeezenet.weights.h5"))
    assert model.get_layer("imagenet_preprocessing").mode == "torch"
    base = model.get_layer("squeezenet1_1")
    for loaded, saved in zip(base.weights, source.weights, strict=True):
        np.testing.assert_array_equal(loaded.numpy(), saved.numpy())
    with pytest.raises(InputError, match="weights: expected a Keras weights file .* that fits "
                                         "'squeezenet1_0'"):
        zoo.build("squeezenet1_0", (64, 64, 3), 5, weights=str(tmp_path /
                                                               "squeezenet.weights.h5"))


def test_imagenet_weights_are_refused_for_classic_nets():
    with pytest.raises(ValueError, match="Keras has no ImageNet weights for 'alexnet'"):
        zoo.build("alexnet", (224, 224, 3), 1000, weights="imagenet")
