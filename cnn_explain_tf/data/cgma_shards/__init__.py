"""CGMA datasets: sharded TFRecords of (image, CGMAs, target Grad-CAM) with JSON manifests.

`spec` says what a dataset is built with, `reader` reads it back; the writer, which needs the
explainers, is `cnn_explain_tf.training.cgma_writer` (the `build-cgma` job).
"""

from cnn_explain_tf.data.cgma_shards.reader import load_cgma_shards, read_manifests
from cnn_explain_tf.data.cgma_shards.spec import (
    MANIFEST,
    PRESETS,
    SEMANTICS,
    SOURCE_SPLIT,
    SPLITS,
    ShardSpec,
    parse_shard,
)

__all__ = ["MANIFEST", "PRESETS", "SEMANTICS", "SOURCE_SPLIT", "SPLITS", "ShardSpec",
           "load_cgma_shards", "parse_shard", "read_manifests"]
