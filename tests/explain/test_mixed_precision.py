"""Mixed precision: every registered explainer on mixed_float16 / mixed_bfloat16 models gives
finite float32 maps that agree with the same weights in float32.

Tolerances. The unit roundoff is u = 2**-11 (4.9e-4) for float16 and 2**-8 (3.9e-3) for
bfloat16. Maps that are continuous functions of the activations (CAMs, perturbation scores,
LRP) move by a few u: CONTINUOUS methods must agree within MAX_DIFFERENCE at every pixel. Input
gradients of a ReLU network are not continuous: a pre-activation within about u of zero flips
its gate, which changes that pixel's gradient by a finite amount (the float32 model alone, fed
the images rounded to float16, changes its input gradients by 13% of their largest value here).
So every method is held to a bound on the whole map instead: mean absolute difference at most
MEAN_DIFFERENCE and Pearson correlation at least MIN_CORRELATION. Measured on this model and
batch for the 31 explainers registered on 2026-12-06 (float16 / bfloat16): the CONTINUOUS
methods' largest pixel difference 0.0024 / 0.0178 (LRP epsilon-plus-flat, LIME), every method's
mean difference at most 0.0056 / 0.0147 (saliency, Sobol) and correlation at least 0.998 / 0.987
(saliency); the bounds leave a margin of about 2. An explainer added to the registry later is
held to the whole-map bounds until it is listed in CONTINUOUS.
"""

from contextlib import contextmanager

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import CNN_EXPLAINERS, images
from test_contract import build

import cnn_explain_tf as cet
from cnn_explain_tf import serving

POLICIES = ("mixed_float16", "mixed_bfloat16")
MAX_DIFFERENCE = {"mixed_float16": 0.005, "mixed_bfloat16": 0.03}
MEAN_DIFFERENCE = {"mixed_float16": 0.01, "mixed_bfloat16": 0.03}
MIN_CORRELATION = {"mixed_float16": 0.99, "mixed_bfloat16": 0.97}
CONTINUOUS = {"ablationcam", "deconvnet", "eigencam", "gradcam", "gradcam++", "hirescam",
              "kernel_shap", "layercam", "lime", "lrp_alpha_beta", "lrp_epsilon",
              "lrp_epsilon_alpha2_beta1", "lrp_epsilon_gamma_box", "lrp_epsilon_plus_flat",
              "lrp_gamma", "lrp_zplus", "occlusion", "rise", "scorecam", "xgradcam"}
# Registered explainers that cannot be built from the model alone (none so far; the SFT-GAN
# explainer, which needs a trained generator, is not registered).


@contextmanager
def global_policy(name: str):
    """Sets the Keras global dtype policy for the block, restoring the previous one after."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


@pytest.fixture(autouse=True)
def policy_is_restored():
    before = keras.mixed_precision.global_policy().name
    yield
    assert keras.mixed_precision.global_policy().name == before == "float32"


def build_model(policy: str) -> keras.Model:
    """A 12x12 CNN (conv, BN, conv, GAP, dense logits) with its softmax in float32, the Keras
    mixed-precision guide's layout, built under `policy`."""
    with global_policy(policy):
        keras.utils.set_random_seed(1)
        inputs = keras.Input((12, 12, 3))
        x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="c1")(inputs)
        x = keras.layers.BatchNormalization(name="bn")(x)
        x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x)
        x = keras.layers.Dense(3, name="logits")(keras.layers.GlobalAveragePooling2D()(x))
        outputs = keras.layers.Activation("softmax", dtype="float32", name="softmax")(x)
        return keras.Model(inputs, outputs, name=f"model_{policy}")


@pytest.fixture(scope="module")
def models():
    """The float32 model and one model per mixed policy, all with the float32 model's weights."""
    found = {"float32": build_model("float32")}
    for policy in POLICIES:
        found[policy] = build_model(policy)
        found[policy].set_weights(found["float32"].get_weights())
    return found


@pytest.fixture(scope="module")
def batch():
    return images(4, size=12)


def test_the_mixed_models_compute_in_low_precision(models):
    assert models["mixed_float16"].get_layer("c1").compute_dtype == "float16"
    assert models["mixed_bfloat16"].get_layer("c2").compute_dtype == "bfloat16"
    assert models["mixed_float16"].get_layer("c1").kernel.dtype == "float32"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", CNN_EXPLAINERS)
def test_maps_agree_with_the_float32_model(models, batch, name, policy):
    expected = build(name, models["float32"])(batch)
    maps = build(name, models[policy])(batch)
    assert maps.dtype == np.float32 and maps.shape == expected.shape
    assert np.isfinite(maps).all()
    difference = np.abs(maps - expected)
    assert difference.mean() <= MEAN_DIFFERENCE[policy]
    assert np.corrcoef(maps.ravel(), expected.ravel())[0, 1] >= MIN_CORRELATION[policy]
    if name in CONTINUOUS:
        assert difference.max() <= MAX_DIFFERENCE[policy]


def test_the_policy_is_restored_when_building_fails():
    with pytest.raises(ValueError), global_policy("mixed_float16"):
        raise ValueError("build failed")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_export_of_a_mixed_float16_model_equals_the_library(models, batch, tmp_path):
    model = models["mixed_float16"]
    result = serving.export(model, tmp_path / "mixed", ("gradcam",), verbose=0)
    loaded = tf.saved_model.load(str(result.path))
    outputs = loaded.signatures["gradcam"](images=tf.constant(batch),
                                           targets=tf.constant([-1, 0, 1, 2], tf.int32))
    resolved = outputs["targets"].numpy()
    assert resolved[1:].tolist() == [0, 1, 2]
    np.testing.assert_allclose(outputs["maps"].numpy(), cet.explain.GradCAM(model)(
        batch, resolved), atol=1e-5)
    np.testing.assert_allclose(outputs["probabilities"].numpy(), model(batch), atol=1e-3)
