"""tf.data pipelines: embedded offline datasets with masks, tfds and image-folder loaders."""

from cnn_explain_tf.data.base import DatasetInfo, DatasetNotPreparedError
from cnn_explain_tf.data.cache import cache_dir
from cnn_explain_tf.data.pipeline import class_split, info, list_datasets, load, load_arrays

__all__ = [
    "DatasetInfo",
    "DatasetNotPreparedError",
    "cache_dir",
    "class_split",
    "info",
    "list_datasets",
    "load",
    "load_arrays",
]
