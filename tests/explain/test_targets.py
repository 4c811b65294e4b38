"""Targets: callables and target classes on multi-label, regression and segmentation models."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf.explain import targets as T
from cnn_explain_tf.validation import InputError

GRADIENT_AND_CAM = ["saliency", "gradcam", "layercam", "ablationcam", "integrated_gradients",
                    "occlusion"]
SEGMENTATION_METHODS = ["saliency", "guided_backprop", "gradcam", "gradcam++", "hirescam",
                        "xgradcam", "layercam", "eigencam", "ablationcam", "scorecam",
                        "integrated_gradients", "gradient_x_input", "occlusion", "rise"]


def regressor(size: int = 16, outputs: int = 3) -> keras.Model:
    """conv trunk + GAP + a linear vector output (a box or keypoint regressor)."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(outputs, name="box")(x), name="regressor")


def segmenter(size: int = 8, classes: int = 3) -> keras.Model:
    """A fully convolutional net with a per-pixel softmax over `classes`, (B, H, W, classes)."""
    keras.utils.set_random_seed(4)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="features")(inputs)
    outputs = keras.layers.Conv2D(classes, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="segmenter")


def build(name, model, **options):
    defaults = {"integrated_gradients": {"steps": 8}, "rise": {"num_masks": 32},
                "occlusion": {"patch_size": 4}}
    return cet.explain.get(name)(model, **{**defaults.get(name, {}), **options})


def input_gradient(model, x, score):
    """d score(linearised model output) / d x, by hand (the head's logits via graph.run)."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(score(cet.graph.run(model, x)[1]))
    return tape.gradient(value, x).numpy()


@pytest.mark.parametrize("name", GRADIENT_AND_CAM)
def test_multi_label_target_explains_one_sigmoid_label(name):
    model = classifier(head="sigmoid")
    x = images(3)
    explainer = build(name, model)
    by_index = explainer(x, 1)
    np.testing.assert_allclose(explainer(x, T.MultiLabel(1)), by_index, atol=1e-5)
    np.testing.assert_allclose(explainer(x, lambda output: output[:, 1]), by_index, atol=1e-5)
    assert not np.allclose(explainer(x, T.MultiLabel(2)), by_index, atol=1e-3)


def test_multi_label_probability_scales_the_logit_gradient_per_image():
    model = classifier(head="sigmoid")
    x = images(2)
    saliency = cet.explain.VanillaGradients(model)
    np.testing.assert_allclose(saliency(x, T.MultiLabel(1, probability=True)), saliency(x, 1),
                               atol=1e-5)


@pytest.mark.parametrize("name", GRADIENT_AND_CAM)
def test_regression_output_target(name):
    model = regressor()
    x = images(2)
    explainer = build(name, model, **({"layer": "conv"} if "cam" in name else {}))
    by_target = explainer(x, T.RegressionOutput(2))
    np.testing.assert_allclose(by_target, explainer(x, lambda output: output[:, 2]), atol=1e-6)
    np.testing.assert_allclose(by_target, explainer(x, 2), atol=1e-6)


def minmax(maps):
    low = maps.min(axis=(1, 2), keepdims=True)
    return (maps - low) / (maps.max(axis=(1, 2), keepdims=True) - low)


def test_regression_gradient_equals_the_hand_computed_gradient():
    model = regressor()
    x = images(2)
    expected = minmax(np.abs(input_gradient(model, x, lambda output: output[:, 1])).max(axis=-1))
    got = cet.explain.VanillaGradients(model)(x, T.RegressionOutput(1))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_segmentation_region_sums_one_class_inside_the_mask():
    model = segmenter()
    x = images(2, size=8)
    mask = np.zeros((8, 8), np.float32)
    mask[2:5, 3:7] = 1.0
    target = T.SegmentationRegion(1, mask)
    gradient = input_gradient(model, x, lambda out: tf.reduce_sum(out[..., 1] * mask, (1, 2)))
    np.testing.assert_allclose(cet.explain.VanillaGradients(model)(x, target),
                               minmax(np.abs(gradient).max(axis=-1)), atol=1e-5)
    for name in SEGMENTATION_METHODS:
        maps = build(name, model, **({"layer": "features"} if "cam" in name else {}))(x, target)
        assert maps.shape == (2, 8, 8) and np.isfinite(maps).all(), name
    signed = cet.explain.GradientXInput(model).attributions(x, target)
    np.testing.assert_allclose(signed, x * gradient, rtol=1e-4, atol=1e-7)
    whole = cet.explain.VanillaGradients(model)(x, T.SegmentationRegion(1))
    assert not np.allclose(whole, cet.explain.VanillaGradients(model)(x, target), atol=1e-3)


def test_targets_on_a_segmentation_model_are_checked():
    model = segmenter()
    x = images(2, size=8)
    saliency = cet.explain.VanillaGradients(model)
    with pytest.raises(InputError, match=r"segmentation mask of the output size \(8, 8\), got a "
                                         r"mask of shape \(4, 4\)"):
        saliency(x, T.SegmentationRegion(1, np.ones((4, 4))))
    with pytest.raises(InputError, match=r"category in \[0, 3\), got 5"):
        saliency(x, T.SegmentationRegion(5))
    with pytest.raises(InputError, match=r"need a \(B, classes\) model output.*\(None, 8, 8, 3\)"):
        saliency(x, 1)
    with pytest.raises(InputError, match=r"expects a \(B, N\) vector output"):
        saliency(x, T.ClassLogit(1))


def test_bad_callable_and_label_targets_name_what_was_expected():
    model = classifier(head="sigmoid")
    gradcam = cet.explain.GradCAM(model)
    x = images(2)
    with pytest.raises(InputError, match=r"to a \(B,\) score, got shape \(B, 4\)"):
        gradcam(x, lambda output: output)
    with pytest.raises(InputError, match=r"to a \(B,\) score \(B=2\), got shape \(4,\)"):
        gradcam(x, lambda output: tf.reduce_sum(output, axis=0))
    with pytest.raises(InputError, match=r"score, got shape \(\)"):
        gradcam(x, lambda output: tf.reduce_sum(output))
    with pytest.raises(InputError, match=r"label index in \[0, 4\), got 4"):
        gradcam(x, T.MultiLabel(4))
    with pytest.raises(TypeError, match="index: expected an int or None"):
        T.ClassLogit(1.5)


def test_class_targets_agree_with_indices_and_compile_once_per_target():
    model = classifier(head="softmax")
    x = images(3)
    explainer = cet.explain.GradCAM(model, batch_size=2)
    target = T.ClassLogit(3)
    np.testing.assert_allclose(explainer(x, target), explainer(x, 3), atol=1e-6)
    np.testing.assert_allclose(explainer(x, T.ClassLogit()), explainer(x), atol=1e-6)
    explainer(images(1), target)
    step = explainer.compile(explainer.explain_batch, target=target)
    assert step.experimental_get_tracing_count() == 1
    probability = cet.explain.VanillaGradients(model)(x, T.ClassProbability(3))
    assert probability.shape == (3, 16, 16) and np.isfinite(probability).all()


def test_score_cam_takes_a_callable_target_score():
    model = classifier(head="softmax")
    x = images(2)
    scorecam = cet.explain.ScoreCAM(model, max_channels=4)
    np.testing.assert_allclose(scorecam(x, T.ClassProbability(2)), scorecam(x, 2), atol=1e-5)


def test_every_compiled_step_takes_callable_targets():
    model = classifier(head="softmax")
    x = images(2)
    cams = cet.cgma.IntermediateGradCAMs(model)
    np.testing.assert_allclose(cams.cams(x, T.ClassLogit(2)), cams.cams(x, 2), atol=1e-6)
    lrp = cet.explain.LRPEpsilon(model)
    np.testing.assert_allclose(lrp.attributions(x, lambda logits: logits[:, 1]),
                               lrp.attributions(x, 1),
                               atol=1e-6)
    ig = cet.explain.IntegratedGradients(model, steps=4)
    np.testing.assert_allclose(ig.attributions(x, T.ClassLogit(0)), ig.attributions(x, 0),
                               atol=1e-7)
