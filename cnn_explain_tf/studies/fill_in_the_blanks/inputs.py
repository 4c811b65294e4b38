"""What the study's stages share: a classifier's test images at its input size, probe options."""

from __future__ import annotations

import keras

from cnn_explain_tf import data, graph
from cnn_explain_tf.probes.fill_blanks import patch_grid
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Pair, Study
from cnn_explain_tf.validation import InputError

__all__ = ["pair_images", "probe_options"]


def pair_images(study: Study, pair: Pair, model: keras.Model, split: str = "test"):
    """(images, labels, note) of `split` at the classifier's input size.

    A classifier whose input size differs from the config's image size gets the images resized
    to its own size (the note says so); one whose channels differ from the dataset's is refused.

    Raises:
        InputError: the channels differ, or `patch_size` does not divide the classifier's size.
    """
    height, width, channels = graph.input_shape(model)
    native = data.info(pair.dataset).image_shape[-1]
    if channels != native:
        raise InputError(f"classifier: expected a model taking {native}-channel images of "
                         f"{pair.dataset!r}, got one taking (H, W, C) = "
                         f"{(height, width, channels)}; channels are never converted")
    size = tuple(study.config.image_size)
    note = "" if (height, width) == size else (
        f"images resized from the config's {size[0]}x{size[1]} to the classifier's input "
        f"{height}x{width}")
    images, labels = data.load_arrays(pair.dataset, split, (height, width),
                                      seed=study.config.seed)
    patch_grid((height, width), study.config.patch_size)
    return images, labels, note


def probe_options(study: Study, num_masks: int) -> dict:
    """The `FillInTheBlanks` options of the study, with `num_masks` kept masks."""
    config = study.config
    return {"mask_ratio": config.mask_ratio, "patch_size": config.patch_size,
            "num_masks": num_masks, "threshold": config.threshold,
            "fill_rule": config.fill_rule, "seed": config.seed, "batch_size": 256}
