"""Tests for SFT layers, the condition network, LSFT/GSFT generators and the discriminator."""

import dataclasses

import keras
import numpy as np
import pytest

from cnn_explain_tf.models import sft, sft_layers
from cnn_explain_tf.training.precision import mixed_precision
from cnn_explain_tf.validation import InputError

TINY = sft.GeneratorSize(channels=8, num_blocks=6, condition_filters=8, condition_channels=4)
BUILDERS = {"lsft": sft.build_lsft_generator, "gsft": sft.build_gsft_generator}


def _inputs(batch=3, size=16, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((batch, size, size, 3), np.float32),
            rng.random((batch, size, size, k), np.float32)]


def _set_weights(layer, kernel_value, bias_value):
    for conv in (*layer.gamma_branch, *layer.beta_branch):
        conv.kernel.assign(np.full(conv.kernel.shape, kernel_value, np.float32))
        conv.bias.assign(np.full(conv.bias.shape, bias_value, np.float32))


def test_sft_modulation_matches_hand_computation():
    features = np.array([1.0, -2.0, 0.5], np.float32)
    gamma = np.array([0.0, 1.0, -0.5], np.float32)
    beta = np.array([0.5, 0.0, 2.0], np.float32)
    np.testing.assert_allclose(sft_layers.sft_modulation(features, gamma, beta), [1.5, -4.0, 2.25])


def test_sft_layer_matches_hand_computation_with_known_weights():
    layer = sft_layers.SFTLayer(1, hidden_filters=1)
    features = np.array([[[[2.0]], [[3.0]]]], np.float32)  # (1, 2, 1, 1)
    condition = np.array([[[[1.0]], [[-1.0]]]], np.float32)
    layer([features, condition])
    _set_weights(layer, kernel_value=2.0, bias_value=0.0)
    # hidden = leaky_relu(2c, 0.1) -> [2, -0.2]; gamma = beta = 2 * hidden -> [4, -0.4]
    expected = [2.0 * (1 + 4.0) + 4.0, 3.0 * (1 - 0.4) - 0.4]
    np.testing.assert_allclose(layer([features, condition]).numpy().ravel(), expected, rtol=1e-6)


def test_sft_layer_config_round_trip_and_channel_check():
    layer = sft_layers.SFTLayer(6, hidden_filters=5, name="s")
    clone = sft_layers.SFTLayer.from_config(layer.get_config())
    assert (clone.filters, clone.hidden_filters, clone.name) == (6, 5, "s")
    with pytest.raises(InputError, match="features: expected 6 channels"):
        layer([np.zeros((1, 4, 4, 3), np.float32), np.zeros((1, 4, 4, 2), np.float32)])


def test_condition_network_per_map_is_the_shared_network_on_each_map_alone():
    maps = _inputs(batch=2, size=8, k=3)[1]
    per_map = sft_layers.ConditionNetwork(8, 4, per_map=True)
    single = sft_layers.ConditionNetwork(8, 4)
    conditions = per_map(maps)
    single(maps[..., :1])
    single.set_weights(per_map.get_weights())
    assert len(conditions) == 3 and conditions[0].shape == (2, 8, 8, 4)
    for index, condition in enumerate(conditions):
        np.testing.assert_allclose(condition, single(maps[..., index:index + 1]), atol=1e-5)
    clone = sft_layers.ConditionNetwork.from_config(per_map.get_config())
    assert (clone.filters, clone.output_filters, clone.per_map) == (8, 4, True)


@pytest.mark.parametrize("downsample", [1, 4])
@pytest.mark.parametrize("variant", ["lsft", "gsft"])
def test_generator_any_batch_size_range_and_keras_reload(variant, downsample, tmp_path):
    generator = BUILDERS[variant]((16, 16, 3), 4, dataclasses.replace(TINY, downsample=downsample))
    for batch in (1, 3, 16):
        heat = generator(_inputs(batch)).numpy()
        assert heat.shape == (batch, 16, 16, 1) and heat.dtype == np.float32
        assert np.all((heat >= 0) & (heat <= 1)) and np.all(np.isfinite(heat))
    generator.save(tmp_path / "g.keras")
    reloaded = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_array_equal(reloaded(_inputs()).numpy(), generator(_inputs()).numpy())
    clone = keras.Model.from_config(generator.get_config())
    assert clone.count_params() == generator.count_params()


def _condition_of_block(generator, block):
    sft_layer = generator.get_layer(f"sft_block{block}_sft")
    return keras.Model(generator.inputs, sft_layer.input[1])


def test_lsft_block_j_reacts_only_to_cgma_j_and_gsft_blocks_to_all():
    image, cgma = _inputs(batch=2, k=4)
    lsft = sft.build_lsft_generator((16, 16, 3), 4, TINY)
    gsft = sft.build_gsft_generator((16, 16, 3), 4, TINY)
    for j in range(4):
        changed = cgma.copy()
        changed[..., j] = 1.0 - changed[..., j]
        for block in range(1, 5):
            before, after = (_condition_of_block(lsft, block)([image, c]).numpy()
                             for c in (cgma, changed))
            assert np.array_equal(before, after) == (block != j + 1), (j, block)
            before, after = (_condition_of_block(gsft, block)([image, c]).numpy()
                             for c in (cgma, changed))
            assert not np.array_equal(before, after)


def test_sft_blocks_alternate_in_the_paper_layout_and_size_is_checked():
    assert sft.sft_blocks(16, 8) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert sft.sft_blocks(8, 8) == list(range(8))
    paper = sft.build_lsft_generator((64, 64, 3), 8, "paper")
    names = [layer.name for layer in paper.layers]
    assert sum(n.endswith("_sft") for n in names) == 8
    assert sum(n.startswith("res_block") and n.endswith("_add") for n in names) == 8
    with pytest.raises(InputError, match="num_blocks"):
        sft.build_lsft_generator((16, 16, 3), 8, TINY)
    with pytest.raises(InputError, match="size: expected one of"):
        sft.build_gsft_generator((16, 16, 3), 4, "huge")
    with pytest.raises(InputError, match="image_shape"):
        sft.build_lsft_generator((16, 16), 4, TINY)
    with pytest.raises(InputError, match="size.downsample: expected a factor dividing .* 16x16"):
        sft.build_lsft_generator((16, 16, 3), 4, dataclasses.replace(TINY, downsample=3))


def test_reduced_resolution_generator_runs_its_trunk_at_a_quarter_size():
    generator = sft.build_gsft_generator((16, 16, 3), 4, dataclasses.replace(TINY, downsample=4))
    assert generator.get_layer("head").output.shape == (None, 4, 4, 8)
    assert sft.GENERATOR_SIZES["quick"].downsample == 4
    assert sft.GENERATOR_SIZES["paper"].downsample == 1


def test_discriminator_gives_float32_patch_logits_even_under_mixed_precision():
    with mixed_precision(policy="mixed_bfloat16"):
        discriminator = sft.build_discriminator((16, 16, 3), filters=4, num_downsamples=2)
        generator = sft.build_gsft_generator((16, 16, 3), 4, TINY)
    image, cgma = _inputs()
    logits = discriminator([image, generator([image, cgma]).numpy()])
    assert logits.shape == (3, 4, 4, 1) and logits.dtype == "float32"
