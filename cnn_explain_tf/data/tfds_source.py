"""Image classification datasets from TensorFlow Datasets (``"tfds:NAME"``), never downloaded."""

from __future__ import annotations

import tensorflow as tf

from cnn_explain_tf.data.base import DatasetInfo, DatasetNotPreparedError, check_split
from cnn_explain_tf.validation import InputError

__all__ = ["tfds_info", "tfds_dataset"]


def tfds_info(name: str, data_dir: str | None = None) -> DatasetInfo:
    """Returns the metadata of tfds dataset ``name`` (no data needs to be present)."""
    features = _builder(name, data_dir).info.features
    image_shape = tuple(features["image"].shape)
    label = features["label"]
    return DatasetInfo(
        name=f"tfds:{name}",
        num_classes=label.num_classes,
        class_names=tuple(label.names),
        image_shape=(image_shape[0], image_shape[1], image_shape[2] or 3),
        semantics=None,
        has_masks=False,
    )


def tfds_dataset(name: str, split: str, data_dir: str | None = None) -> tf.data.Dataset:
    """Returns ``(image uint8 (H,W,C), label int64)`` pairs of a prepared tfds split.

    Raises:
        DatasetNotPreparedError: The dataset has not been downloaded and prepared in ``data_dir``.
        ValueError: Unknown dataset, not an image classification dataset, or unknown split.
    """
    builder = _builder(name, data_dir)
    known_splits = builder.info.splits
    if known_splits:  # empty while unprepared; split slices like "train[:10%]" are allowed
        check_split(split.split("[")[0], known_splits.keys(), f"tfds:{name}")
    try:
        return builder.as_dataset(split=split, as_supervised=True, shuffle_files=False)
    except AssertionError as error:  # tfds's signal for "no prepared data here"
        raise DatasetNotPreparedError(
            f"tfds dataset {name!r} is not prepared in data_dir={data_dir!r} and is never "
            f"downloaded at load time. On a machine with network access run "
            f"`tfds.builder({name!r}, data_dir=...).download_and_prepare()`, then pass that "
            f"data_dir (or copy the prepared folder to ~/tensorflow_datasets)."
        ) from error


def _builder(name: str, data_dir: str | None):
    """Returns the tfds builder of an image classification dataset ``name``."""
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as error:
        raise InputError(f"unknown tfds dataset {name!r} (from 'tfds:{name}')") from error
    features = builder.info.features
    has_label = "label" in features and hasattr(features["label"], "num_classes")
    if "image" not in features or not has_label:
        raise ValueError(
            f"tfds dataset {name!r} is not an image classification dataset: it needs 'image' and "
            f"class 'label' features, got {sorted(features.keys())}"
        )
    return builder
