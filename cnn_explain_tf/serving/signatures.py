"""Serving signatures: explainers' own graph steps behind in-graph input checks, traced once."""

from __future__ import annotations

import copy
from collections.abc import Callable

import keras
import tensorflow as tf

from cnn_explain_tf import graph
from cnn_explain_tf.data.image_limits import MAX_PIXELS, pixel_limit_check
from cnn_explain_tf.explain import Explainer
from cnn_explain_tf.explain.targets import region_score
from cnn_explain_tf.validation import InputError, check_positive_int

__all__ = ["SignatureBuilder", "probability_function"]

IMAGES, IMAGES_BYTES, TARGETS = "images", "images_bytes", "targets"
CATEGORY, MASK = "category", "mask"


def probability_function(model: keras.Model, output: int | None = None) -> Callable:
    """Maps the linearised head's logits (`graph.run`) to the classifier's probabilities: the
    head's sigmoid, else a softmax (also for a linear head); the identity for a subclassed model,
    whose output `graph.run` cannot linearise."""
    head = graph.output_layer(model, output)
    if head is None:
        return tf.identity
    return tf.sigmoid if getattr(head, "activation", None) is keras.activations.sigmoid else (
        tf.nn.softmax)


def _observed(explainer: Explainer) -> tuple[Explainer, list]:
    """A shallow copy of `explainer` that records each (inputs, logits) of its forward passes.

    The signature reads the logits of the pass on its own images from it (CAMs and the
    input-gradient methods run one), so probabilities and predicted classes cost no second
    forward pass; the caller's explainer is not changed.
    """
    observed, passes = copy.copy(explainer), []

    def forward(images, *args, **kwargs):
        tapped, logits = explainer.forward(images, *args, **kwargs)
        passes.append((images, logits))
        return tapped, logits

    observed.forward = forward
    return observed, passes


class SignatureBuilder:
    """Builds the serving functions of one classifier: a single dict argument each, traced.

    Every function takes one dict (so `keras.layers.TFSMLayer` can call it with one argument,
    and its SignatureDef inputs are the dict's keys) and returns a dict of named outputs:

    - probabilities: {"images"} -> {"probabilities"}
    - an explainer's signature: {"images", "targets"} -> {"maps", "targets", "probabilities"}
    - for a segmenter (a (B, H, W, classes) output): {"images", "category" () int32, "mask"
      (H, W) float32 at the output resolution} -> {"maps", "scores" (B,), "probabilities"
      (B, H, W, classes)}: the maps of `SegmentationRegion(category, mask)`, one region per
      request (shared by its images), and each image's region score (the sum of the
      category's logits weighted by the mask).

    With `encoded=True`, "images" is replaced by "images_bytes": (B,) PNG/JPEG/BMP/GIF strings,
    decoded to the model's channels, scaled to [0, 1] and resized (bilinear) in the graph. The
    width and height are read from each header first and an image of more than `max_pixels`
    pixels (all frames of a GIF) is refused before it is decoded, so a request of N images
    costs at most N x `max_pixels` pixels of decoding memory.

    The library's input checks are repeated inside the graph, so a server refuses what
    `explainer(images)` refuses (an `InvalidArgumentError` naming the input): an empty batch,
    an image size other than the model's, values outside [0, 1] (NaN included), a targets
    length other than the batch size, a class index outside [-1, classes). -1 means the
    predicted class; the `targets` output holds the resolved classes. A segmentation
    signature refuses a category outside [0, classes) and a mask with a non-finite value.

    The graph sees only float32 images and int32 targets. Called from Python
    (`loaded.signatures[name](images=..., targets=...)`), TensorFlow converts NumPy arrays and
    lists to these dtypes before the checks run: float targets are truncated (1.7 -> 1),
    int64 targets wrap to int32 (2**32 + 1 -> 1), uint8 images become floats in [0, 255]
    (refused by the range check unless every value is 0 or 1). Pass int32 targets and float32
    images in [0, 1]; what the cast hides cannot be refused in the graph.

    Args:
        model: the classifier or segmenter (one (B, H, W, C) input).
        output: the output to serve for multi-output models.
        max_pixels: the largest encoded image (width x height) the "_bytes" functions decode.

    Raises:
        TypeError, InputError: `max_pixels` is not an int >= 1, or the output is neither
            (B, classes) nor (B, H, W, classes).
    """

    def __init__(self, model: keras.Model, output: int | None = None,
                 max_pixels: int = MAX_PIXELS):
        self.model, self.output = model, output
        self.max_pixels = check_positive_int("max_pixels", max_pixels)
        self.input_shape = graph.input_shape(model)
        graph.check_output_index(model, output)
        self.output_shape = tuple(graph.select_output(model.outputs, output).shape)
        if len(self.output_shape) not in (2, 4):
            raise InputError(f"model: expected a (B, classes) classifier output or a (B, H, W, "
                             f"classes) segmentation output to serve, got output shape "
                             f"{self.output_shape}")
        self.segmentation = len(self.output_shape) == 4
        self.num_classes = int(self.output_shape[-1])
        self.squash = probability_function(model, output)

    def probabilities(self, encoded: bool = False) -> tf.types.experimental.GenericFunction:
        """The traced {"images"} -> {"probabilities"} function (the classifier's softmax/sigmoid
        output; a softmax is applied to a linear head)."""

        def serve(inputs):
            return {"probabilities": self._probabilities(self._images(inputs, encoded))}

        return self._traced(serve, encoded, with_targets=False)

    def explanation(self, explainer: Explainer, encoded: bool = False
                    ) -> tf.types.experimental.GenericFunction:
        """The traced signature of `explainer`: its own `explain_batch` on the checked inputs.

        Raises:
            Exception: whatever tracing `explainer.explain_batch` raises (a step that is not
                graph-compatible).
        """

        def serve(inputs):
            images = self._images(inputs, encoded)
            if self.segmentation:
                return self._region_explanation(explainer, images, inputs)
            targets = self._targets(inputs[TARGETS], tf.shape(images)[0])
            maps, logits = self._explain(explainer, images, targets)
            probabilities = self.squash(logits)
            predicted = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return {"maps": maps, "targets": tf.where(targets < 0, predicted, targets),
                    "probabilities": probabilities}

        return self._traced(serve, encoded, with_targets=True)

    def _explain(self, explainer: Explainer, images: tf.Tensor, targets: tf.Tensor,
                 target: Callable | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        """(maps, float32 logits): the explainer's step and the logits of its own forward pass
        on `images` (a second pass only for a step that runs none)."""
        observed, passes = _observed(explainer)
        maps = observed.explain_batch(images, targets, target)
        rank = len(self.output_shape)
        logits = [out for seen, out in passes if seen is images and out.shape.rank == rank]
        logits = logits[0] if logits else graph.run(self.model, images, output=self.output)[1]
        return maps, tf.cast(logits, tf.float32)

    def _region_explanation(self, explainer: Explainer, images: tf.Tensor, inputs: dict
                            ) -> dict:
        """The segmentation signature's outputs: the maps of `SegmentationRegion(category,
        mask)` with both as (checked) tensors, the region scores and the probabilities."""
        category, mask = self._region(inputs[CATEGORY], inputs[MASK])

        def target(output):
            return region_score(output, category, mask)

        maps, logits = self._explain(explainer, images, tf.fill(tf.shape(images)[:1], -1),
                                     target)
        return {"maps": maps, "scores": target(logits), "probabilities": self.squash(logits)}

    def _traced(self, serve: Callable, encoded: bool, with_targets: bool):
        """`serve` as a tf.function over its dict signature, traced now (with AutoGraph, so the
        explainers' Python loops over tensors become graph loops)."""
        if encoded:
            spec = {IMAGES_BYTES: tf.TensorSpec((None,), tf.string, name=IMAGES_BYTES)}
        else:
            spec = {IMAGES: tf.TensorSpec((None, *self.input_shape), tf.float32, name=IMAGES)}
        if with_targets and self.segmentation:
            spec[CATEGORY] = tf.TensorSpec((), tf.int32, name=CATEGORY)
            spec[MASK] = tf.TensorSpec(self.output_shape[1:3], tf.float32, name=MASK)
        elif with_targets:
            spec[TARGETS] = tf.TensorSpec((None,), tf.int32, name=TARGETS)
        function = tf.function(serve, input_signature=[spec])
        function.get_concrete_function()
        return function

    def _probabilities(self, images: tf.Tensor) -> tf.Tensor:
        """The probabilities from the linearised head's logits (one forward pass)."""
        return self.squash(tf.cast(graph.run(self.model, images, output=self.output)[1],
                                   tf.float32))

    def _images(self, inputs: dict, encoded: bool) -> tf.Tensor:
        if encoded:
            return self._decoded(_not_empty(inputs[IMAGES_BYTES], IMAGES_BYTES))
        images = _not_empty(tf.ensure_shape(inputs[IMAGES], (None, *self.input_shape)), IMAGES)
        inside = tf.reduce_all((images >= 0.0) & (images <= 1.0))
        tf.debugging.Assert(inside, [
            "images: expected values in [0, 1] (NaN refused); scale 8-bit images by 1/255; "
            "got range", tf.reduce_min(images), tf.reduce_max(images)])
        return images

    def _decoded(self, encoded: tf.Tensor) -> tf.Tensor:
        """(B,) encoded images -> (B, H, W, C) float32 in [0, 1] at the model's size; each
        is decoded only after its header passed the pixel limit."""
        height, width, channels = self.input_shape

        def decode(contents):
            with tf.control_dependencies([pixel_limit_check(contents, self.max_pixels,
                                                            IMAGES_BYTES)]):
                contents = tf.identity(contents)
            image = tf.io.decode_image(contents, channels=channels, dtype=tf.float32,
                                       expand_animations=False)
            image = tf.image.resize(image, (height, width), method="bilinear")
            return tf.clip_by_value(tf.ensure_shape(image, self.input_shape), 0.0, 1.0)

        return tf.map_fn(decode, encoded, fn_output_signature=tf.TensorSpec(self.input_shape,
                                                                           tf.float32))

    def _targets(self, targets: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
        tf.debugging.Assert(tf.equal(tf.shape(targets)[0], batch), [
            "targets: expected one class index per image (-1: the predicted class), got",
            tf.shape(targets)[0], "targets for", batch, "images"])
        inside = tf.reduce_all((targets >= -1) & (targets < self.num_classes))
        tf.debugging.Assert(inside, [
            f"targets: expected class indices in [-1, {self.num_classes}) (-1: the predicted "
            "class), got", targets], summarize=16)
        return targets

    def _region(self, category: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The segmentation category and mask, after in-graph checks of their values (a mask
        of another size stops at `ensure_shape`: "Shape of tensor mask [16,16] is not
        compatible with expected shape [8,8]")."""
        inside = (category >= 0) & (category < self.num_classes)
        check_category = tf.debugging.Assert(inside, [
            f"category: expected a segmentation class in [0, {self.num_classes}), got",
            category])
        finite = tf.reduce_all(tf.math.is_finite(mask))
        check_mask = tf.debugging.Assert(finite, [
            "mask: expected finite weights (NaN and inf refused), got range",
            tf.reduce_min(mask), tf.reduce_max(mask)])
        with tf.control_dependencies([check_category, check_mask]):
            return tf.identity(category), tf.ensure_shape(tf.identity(mask),
                                                          self.output_shape[1:3])


def _not_empty(batch: tf.Tensor, name: str) -> tf.Tensor:
    """`batch`, run only after an assertion that it holds at least one image (the library's
    message, instead of an error from the first layer)."""
    check = tf.debugging.Assert(tf.shape(batch)[0] > 0, [
        f"{name}: expected at least one image, got an empty batch of shape", tf.shape(batch)],
        summarize=4)
    with tf.control_dependencies([check]):
        return tf.identity(batch)
