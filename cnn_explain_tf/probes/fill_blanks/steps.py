"""Fill in the blanks' graph steps, shared by one classifier's probes of the same settings."""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import tensorflow as tf

from cnn_explain_tf.cache import MODEL_CACHE
from cnn_explain_tf.explain.base import resolve_targets
from cnn_explain_tf.probes.base import Probe
from cnn_explain_tf.probes.fill_blanks.directions import (
    Direction,
    bfgs_direction,
    gradient_direction,
    value_and_gradient,
)
from cnn_explain_tf.probes.fill_blanks.masks import threshold_fill

__all__ = ["DIRECTIONS", "FillSteps"]

DIRECTIONS: dict[str, Callable[[int], Direction]] = {
    "gradient": lambda bfgs_steps: gradient_direction,
    "bfgs": lambda bfgs_steps: functools.partial(bfgs_direction, steps=bfgs_steps),
}
"""Direction name -> (bfgs_steps -> the update direction function)."""


class FillSteps(Probe):
    """The graph functions of Fill in the blanks for one classifier and one set of settings.

    A step's graph depends on the direction, bfgs_steps, mask_ratio, patch_size, binarize,
    threshold, fill_rule, batch_size and output only (N*, seeds and max_draws are inputs), so
    the probes of one classifier with those settings share one `FillSteps` (`shared`), an entry
    of `cache.MODEL_CACHE` that holds the classifier weakly; its compiled steps go with it.
    """

    def __init__(self, model: keras.Model, *, direction: str, bfgs_steps: int, mask_ratio: float,
                 patch_size: int, binarize: bool, threshold: float, batch_size: int,
                 output: int | None, fill_rule: str = "minmax"):
        super().__init__(model, output=output, batch_size=batch_size)
        self.direction, self.bfgs_steps = direction, bfgs_steps
        self.mask_ratio, self.patch_size = mask_ratio, patch_size
        self.binarize, self.threshold, self.fill_rule = binarize, threshold, fill_rule
        self._update = DIRECTIONS[direction](bfgs_steps)

    @classmethod
    def shared(cls, model: keras.Model, **settings) -> FillSteps:
        """The `FillSteps` of (`model`, `settings`), built once and held weakly by the model."""
        key = ("fill_blanks.steps", tuple(sorted(settings.items())))
        return MODEL_CACHE.get(model, key, lambda: cls(model, **settings).detached())

    def fill(self, direction: tf.Tensor, regions: tf.Tensor) -> tf.Tensor:
        """T(dx) on `regions` (1: fill, 0: keep): normalised, binarised with the settings."""
        return threshold_fill(direction, regions, self.binarize, self.threshold, self.fill_rule)

    def direction_and_predictions(self, images: tf.Tensor, targets: tf.Tensor,
                                  regions: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(dx, predicted classes on `images`) with `regions` free (1) and the rest fixed (0)."""
        value, gradients, logits = value_and_gradient(self._loss_and_logits, images, targets,
                                                      has_aux=True)
        predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
        return self._update(self._loss, images, targets, regions, value, gradients), predictions

    def whole_image_directions(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """dx for whole images (every pixel free), -1 targets resolved to the predicted class."""
        _, logits = self.forward(images)
        targets = resolve_targets(logits, targets)
        return self.direction_and_predictions(images, targets, tf.ones_like(images[..., :1]))[0]

    def progressive(self, images: tf.Tensor, targets: tf.Tensor, masks: tf.Tensor):
        """(steps (n, k, H, W, C), predictions (n, k), directions (n, H, W, C)) of k disjoint
        masks filled in turn, each fill conditioned on the previous ones (Fig. 3)."""
        current, steps, predictions, directions = images, [], [], tf.zeros_like(images)
        for index in range(masks.shape[1]):
            mask = masks[:, index, ..., None]
            direction, predicted = self.direction_and_predictions(current * mask, targets,
                                                                  1.0 - mask)
            current = current * mask + self.fill(direction, 1.0 - mask)
            directions += direction * (1.0 - mask)
            steps.append(current)
            predictions.append(predicted)
        return tf.stack(steps, 1), tf.stack(predictions, 1), directions

    def _loss_and_logits(self, images: tf.Tensor, targets: tf.Tensor):
        """(cross-entropy L(f(x), y) per image on the logits, the logits)."""
        _, logits = self.forward(images)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, tf.cast(logits, tf.float32))
        return loss, logits

    def _loss(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        return self._loss_and_logits(images, targets)[0]
