"""One contract every explainer (SFT-GAN included) honours: shape, range, batch sizes, nested
models, no NaN, no side effects."""

import keras
import numpy as np
import pytest
from helpers import CNN_EXPLAINERS, cheap_explainer, classifier, images, tiny_generator, weights_of

import cnn_explain_tf as cet
from cnn_explain_tf.validation import InputError

MODELS = {
    "flat-softmax": lambda: classifier(head="softmax"),
    "nested-softmax": lambda: classifier(head="softmax", nested=True),
    "flat-logits": lambda: classifier(head=None),
}
_built = {}
# Every registered explainer, plus the SFT-GAN one (not registered: it needs a trained generator).
EXPLAINERS = [*CNN_EXPLAINERS, "sft_gan"]


def model_for(kind):
    if kind not in _built:
        _built[kind] = MODELS[kind]()
    return _built[kind]


def build(name, model):
    if name == "sft_gan":
        return cet.explain.SFTGANExplainer(model, sft_gan_generator(), "lsft")
    return cheap_explainer(name, model)


def sft_gan_generator():
    """An untrained tiny LSFT generator (16x16 RGB, k=3), built once."""
    if "sft_gan" not in _built:
        _built["sft_gan"] = tiny_generator(16, 3, k=3)
    return _built["sft_gan"]


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("name", EXPLAINERS)
def test_every_explainer_honours_the_contract(name, kind):
    model = model_for(kind)
    before, outputs_before = weights_of(model), np.array(model(images()))
    explainer = build(name, model)
    for batch in (1, 5):
        maps = explainer(images(batch))
        assert maps.shape == (batch, 16, 16) and maps.dtype == np.float32
        assert np.isfinite(maps).all() and maps.min() >= 0.0 and maps.max() <= 1.0
        assert np.isclose(maps.max(axis=(1, 2)), 1.0).all()  # every map uses the full range
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(model)))
    assert np.array_equal(outputs_before, np.array(model(images())))
    assert model.layers[-1].activation.__name__ == ("softmax" if "softmax" in kind else "linear")


@pytest.mark.parametrize("name", EXPLAINERS)
def test_targets_select_the_class(name):
    model = model_for("flat-softmax")
    explainer = build(name, model)
    x = images(3)
    predicted = np.argmax(np.array(model(x)), axis=1)
    np.testing.assert_allclose(explainer(x), explainer(x, targets=predicted), atol=1e-5)
    other = (predicted + 1) % 4
    if getattr(explainer, "class_specific", True):  # EigenCAM's map ignores the target
        assert not np.allclose(explainer(x, targets=other), explainer(x, targets=predicted),
                               atol=1e-3)


@pytest.mark.parametrize("name", EXPLAINERS)
def test_grayscale_is_broadcast_to_the_models_channels(name):
    model = model_for("flat-logits")
    gray = images(2, channels=1)
    explainer = build(name, model)
    np.testing.assert_allclose(explainer(gray), explainer(np.repeat(gray, 3, axis=3)), atol=1e-5)


def test_nested_and_flat_models_give_the_same_maps():
    flat, nested = model_for("flat-softmax"), model_for("nested-softmax")
    nested.set_weights(flat.get_weights())
    x = images(2)
    for name in EXPLAINERS:
        np.testing.assert_allclose(build(name, flat)(x), build(name, nested)(x), atol=1e-4,
                                   err_msg=name)


def test_registry_lists_every_method_and_rejects_unknown_names():
    assert set(cet.explain.names()) == {
        "saliency", "smoothgrad", "guided_backprop", "deconvnet", "gradcam", "gradcam++",
        "scorecam", "guided_gradcam", "lrp_epsilon", "hirescam", "xgradcam", "layercam",
        "eigencam", "ablationcam", "gradient_x_input", "integrated_gradients", "occlusion",
        "rise", "vargrad", "squaregrad", "gradient_shap", "lrp_zplus", "lrp_alpha_beta",
        "lrp_gamma", "lrp_epsilon_plus_flat", "lrp_epsilon_alpha2_beta1", "lrp_epsilon_gamma_box",
        "lime", "kernel_shap", "sobol", "hsic", "attention_rollout", "gradient_attention",
        "deeplift", "fullgrad", "fem"}
    assert cet.explain.get("Guided-Backprop") is cet.explain.GuidedBackprop
    with pytest.raises(InputError, match="gradcam, gradcam\\+\\+"):
        cet.explain.get("gradcamm")


def test_batches_of_any_size_compile_once():
    explainer = cet.explain.GradCAM(model_for("flat-logits"), batch_size=4)
    for batch in (1, 3, 4, 9):
        explainer(images(batch))
    assert explainer.compile(explainer.explain_batch).experimental_get_tracing_count() == 1


def test_every_explainer_is_a_model_runner_with_one_compiled_step():
    model = model_for("flat-logits")
    for name in EXPLAINERS:
        explainer = build(name, model)
        assert isinstance(explainer, cet.explain.Explainer), name
        for batch in (1, 3):
            explainer(images(batch))
        step = explainer.compile(explainer.explain_batch)
        assert step.experimental_get_tracing_count() == 1, name


def test_keras_applications_base_nested_in_a_sequential():
    base = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(32, 32, 3),
                                        alpha=0.25)
    model = keras.Sequential([keras.Input((32, 32, 3)), base,
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, activation="softmax")])
    assert cet.explain.GradCAM(model).layer.name == "conv_pw_13_relu"
    assert len(cet.graph.conv_layers(model)) == 27
    x = images(2, size=32)
    for name in ["gradcam", "guided_backprop", "lrp_epsilon"]:  # ReLU6 rules, depthwise, BN
        maps = build(name, model)(x)
        assert maps.shape == (2, 32, 32) and np.isfinite(maps).all(), name
