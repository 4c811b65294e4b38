"""Detectors: the DetectionBox target against hand-computed scores and pytorch-grad-cam's rule,
packed detector outputs, and CAM / gradient methods on a detector's backbone."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import images

import cnn_explain_tf as cet
from cnn_explain_tf.explain.targets import DetectionBox, box_iou
from cnn_explain_tf.models.detection import pack_detector, pack_retinanet
from cnn_explain_tf.validation import InputError

# One image, N = 3 detections, C = 2 classes: (x_min, y_min, x_max, y_max, s0, s1).
OUTPUT = np.array([[[0, 0, 2, 4, 1.0, 3.0],     # IoU with REFERENCE: 4 / 8 = 0.5
                    [0, 0, 2, 3, 2.0, -1.0],    # 4 / 6 = 2/3
                    [5, 5, 6, 6, 0.5, 0.25]]],  # 0 (disjoint)
                  np.float32)
REFERENCE = [0, 0, 2, 2]


def value(target, output=OUTPUT):
    return np.array(target(tf.constant(output)))


def test_box_iou_by_hand():
    np.testing.assert_allclose(np.array(box_iou(tf.constant(OUTPUT[..., :4]),
                                                tf.constant(REFERENCE, tf.float32))),
                               [[0.5, 2 / 3, 0.0]], rtol=1e-6)


def test_degenerate_boxes_have_zero_area():
    # torchvision's box_iou computes (x_max - x_min) * (y_max - y_min) unclamped: a box with
    # both sides negative would get a positive area; here it has none, so its IoU is 0.
    flipped = tf.constant([[2.0, 2.0, 0.0, 0.0]])
    assert float(box_iou(flipped, tf.constant([0.0, 0.0, 2.0, 2.0]))[0]) == 0.0


def test_class_score_of_one_detection_or_the_best_one():
    np.testing.assert_allclose(value(DetectionBox(1, box_index=1)), [-1.0])
    np.testing.assert_allclose(value(DetectionBox(1)), [3.0])  # max over detections
    np.testing.assert_allclose(value(DetectionBox(0)), [2.0])


def test_match_adds_the_iou_of_the_best_overlapping_detection():
    # Detection 1 overlaps most (2/3) and predicts class 0: 2.0 + 2/3.
    np.testing.assert_allclose(value(DetectionBox(0, match=REFERENCE)), [2.0 + 2 / 3],
                               rtol=1e-6)
    np.testing.assert_allclose(value(DetectionBox(0, match=REFERENCE, iou_weight=3.0)),
                               [2.0 + 2.0], rtol=1e-6)
    np.testing.assert_allclose(value(DetectionBox(0, match=REFERENCE, iou_weight=0.0)), [2.0])


def test_match_scores_zero_below_the_threshold_or_for_another_class():
    assert value(DetectionBox(1, match=REFERENCE))[0] == 0.0  # detection 1 predicts class 0
    assert value(DetectionBox(0, match=REFERENCE, iou_threshold=0.7))[0] == 0.0
    # box_index 0 has IoU 0.5, not above the default threshold 0.5 (strict, as the peer's).
    assert value(DetectionBox(1, box_index=0, match=REFERENCE))[0] == 0.0
    np.testing.assert_allclose(value(DetectionBox(1, box_index=0, match=REFERENCE,
                                                  iou_threshold=0.4)), [3.5])


def test_several_reference_boxes_sum_their_terms():
    target = DetectionBox([0, 0], match=[REFERENCE, [5, 5, 6, 6]], iou_threshold=0.1)
    # [5, 5, 6, 6] matches detection 2 exactly (IoU 1), whose highest class is 0 (0.5).
    np.testing.assert_allclose(value(target), [(2.0 + 2 / 3) + (0.5 + 1.0)], rtol=1e-6)


def pytorch_grad_cam_score(output, labels, boxes, iou_threshold=0.5):
    """pytorch-grad-cam's FasterRCNNBoxScoreTarget.__call__ in numpy, on one image's
    detections with "scores" = each detection's highest class score and "labels" its class."""
    detected, scores = output[:, :4], output[:, 4:]
    total = 0.0
    for box, label in zip(boxes, labels):
        low = np.maximum(detected[:, :2], box[:2])
        high = np.minimum(detected[:, 2:], box[2:])
        overlap = np.prod(np.clip(high - low, 0, None), axis=1)
        areas = np.prod(detected[:, 2:] - detected[:, :2], axis=1)
        ious = overlap / (areas + np.prod(np.subtract(box[2:], box[:2])) - overlap)
        index = ious.argmax()
        if ious[index] > iou_threshold and scores[index].argmax() == label:
            total += ious[index] + scores[index].max()
    return total


def test_equals_pytorch_grad_cam_box_score_target_on_random_detections():
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 10, (4, 20, 2, 2))
    output = np.concatenate([corners.min(axis=2).reshape(4, 20, 2),
                             corners.max(axis=2).reshape(4, 20, 2),
                             rng.normal(size=(4, 20, 3))], axis=-1).astype(np.float32)
    boxes, labels = output[0, :3, :4], output[0, :3, 4:].argmax(axis=1)
    ours = value(DetectionBox(labels, match=boxes, iou_threshold=0.3), output)
    expected = [pytorch_grad_cam_score(one, labels, boxes, 0.3) for one in output]
    assert expected[0] > 3.0  # image 0 matches its own boxes
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


@pytest.mark.parametrize("bad, error, named", [
    (dict(class_id=[0, 1], match=REFERENCE), InputError, "class_id"),
    (dict(class_id=0, match=[2, 2, 0, 0]), InputError, "match"),
    (dict(class_id=0, match=REFERENCE, iou_threshold=1.0), InputError, "iou_threshold"),
    (dict(class_id=1.5), TypeError, "class_id"),
    (dict(class_id=0, box_index="3"), TypeError, "box_index"),
])
def test_bad_arguments_name_themselves(bad, error, named):
    with pytest.raises(error, match=f"^{named}: expected"):
        DetectionBox(**bad)


def test_check_refuses_outputs_and_indices_that_do_not_fit():
    with pytest.raises(InputError, match=r"\(B, N, 4 \+ classes\)"):
        DetectionBox(0).check((None, 10))
    with pytest.raises(InputError, match="class index in \\[0, 2\\)"):
        DetectionBox(2).check((None, 3, 6))
    with pytest.raises(InputError, match="detection index in \\[0, 3\\)"):
        DetectionBox(0, box_index=3).check((None, 3, 6))


def tiny_detector(size: int = 16, classes: int = 3) -> keras.Model:
    """A one-stage detector on a 4x4 grid of 4-pixel anchors: boxes = anchor + conv deltas,
    class logits from a 1x1 conv; outputs {"boxes": (B, 16, 4), "scores": (B, 16, 3)}."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="backbone_1")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="backbone_2")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    cells = np.stack(np.meshgrid(np.arange(4), np.arange(4)), -1).reshape(16, 2) * 4.0
    anchors = np.concatenate([cells, cells + 4.0], axis=1).astype(np.float32)
    deltas = keras.layers.Reshape((16, 4))(keras.layers.Conv2D(4, 1, name="box_deltas")(x))
    scores = keras.layers.Reshape((16, classes))(keras.layers.Conv2D(
        classes, 1, name="class_logits")(x))
    return keras.Model(inputs, {"boxes": keras.ops.add(deltas, anchors), "scores": scores},
                       name="tiny_detector")


@pytest.fixture(scope="module")
def packed():
    return pack_detector(tiny_detector())


def test_pack_detector_concatenates_boxes_and_scores(packed):
    x = images(2)
    raw = tiny_detector()(x)
    np.testing.assert_allclose(np.array(packed(x)), np.concatenate(
        [raw["boxes"], raw["scores"]], axis=-1), atol=1e-6)
    with pytest.raises(InputError, match="boxes: expected one of the detector's outputs"):
        pack_detector(tiny_detector(), boxes="bbox")


def hand_gradcam(model, layer, x, target):
    """Grad-CAM by hand: channel means of d score / d activations, ReLU of the weighted sum,
    bilinear resize, min-max normalisation."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        (activations,), output = cet.graph.run(model, x, taps=[model.get_layer(
            "tiny_detector").get_layer(layer)])
        score = tf.reduce_sum(target(output))
    gradients = tape.gradient(score, activations).numpy()
    cam = np.maximum(np.einsum("bhwk,bk->bhw", activations.numpy(), gradients.mean((1, 2))), 0)
    cam = tf.image.resize(cam[..., None], x.shape[1:3], method="bilinear")[..., 0].numpy()
    low, high = cam.min((1, 2), keepdims=True), cam.max((1, 2), keepdims=True)
    return np.divide(cam - low, high - low, out=np.zeros_like(cam), where=high > low)


@pytest.mark.parametrize("target", [DetectionBox(2, box_index=5),
                                    DetectionBox(1, match=[4, 4, 8, 8], iou_threshold=0.0)],
                         ids=["box_index", "match"])
def test_gradcam_on_the_backbone_equals_a_hand_written_gradcam(packed, target):
    x = images(3, seed=1)
    maps = cet.explain.GradCAM(packed, layer="backbone_2")(x, target)
    assert (maps.max(axis=(1, 2)) == 1.0).sum() >= 2  # at least two images' maps are not flat
    np.testing.assert_allclose(maps, hand_gradcam(packed, "backbone_2", x, target), atol=1e-5)


@pytest.mark.parametrize("name", ["eigencam", "saliency", "integrated_gradients", "layercam"])
def test_methods_explain_one_detection(packed, name):
    x = images(3, seed=2)
    maps = cet.explain.get(name)(packed)(x, DetectionBox(0, box_index=9))
    assert maps.shape == (3, 16, 16) and np.isfinite(maps).all()
    assert maps.min() >= 0.0 and maps.max() == pytest.approx(1.0)


def test_class_indices_are_refused_with_a_hint(packed):
    with pytest.raises(InputError, match="pass a callable target"):
        cet.explain.GradCAM(packed)(images(2), 1)


def tiny_retinanet():
    """A keras-hub RetinaNet on a 3-stage ResNet (random weights, 64x64 inputs, 720 anchors)
    whose box head's last convolution is zeroed: every decoded box is its anchor."""
    keras_hub = pytest.importorskip("keras_hub")
    keras.utils.set_random_seed(0)
    encoder = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[7], stackwise_num_filters=[64, 16, 16],
        stackwise_num_blocks=[1, 1, 1], stackwise_num_strides=[1, 2, 2],
        block_type="basic_block", use_pre_activation=False, image_shape=(64, 64, 3))
    backbone = keras_hub.models.RetinaNetBackbone(image_encoder=encoder, min_level=3,
                                                  max_level=4, use_p5=False,
                                                  image_shape=(64, 64, 3))
    detector = keras_hub.models.RetinaNetObjectDetector(backbone=backbone, num_classes=3,
                                                        pre_logits_num_conv_layers=1)
    last = detector.box_head.prediction_layer
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    return detector


def test_retinanet_anchor_match_and_gradcam_on_its_backbone():
    detector = tiny_retinanet()
    packed = pack_retinanet(detector)
    x = images(2, size=64, seed=3)
    output = np.array(packed(x))
    anchors = detector.anchor_generator(np.zeros((1, 64, 64, 3), np.float32))
    anchors = np.concatenate([np.array(a) for a in anchors.values()])
    np.testing.assert_allclose(output[0, :, :4], anchors, atol=1e-4)  # zeroed box head
    k = 100
    label = int(output[0, k, 4:].argmax())
    target = DetectionBox(label, match=anchors[k])  # matches anchor k exactly (IoU 1)
    logits = np.array(detector(x)["cls_logits"])
    np.testing.assert_allclose(value(target, output)[0], logits[0, k, label] + 1.0, rtol=1e-5)
    gradcam = cet.explain.GradCAM(packed, layer="stack2_block0_out")
    # The IoU of a fixed box has no gradient: the map is the class logit's.
    np.testing.assert_allclose(gradcam(x[:1], target), gradcam(x[:1], DetectionBox(
        label, box_index=k)), atol=1e-6)
    eigen = cet.explain.EigenCAM(packed, layer="stack2_block0_out")(x, target)
    assert eigen.shape == (2, 64, 64) and np.isfinite(eigen).all()
