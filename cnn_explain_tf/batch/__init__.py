"""Explain a whole dataset: streamed sources, one per-batch function, sharded maps, index, resume.

`explain_dataset` is the local runner; `cnn_explain_tf.scale` runs the same per-batch function
(`step.explain_records`) and writes the same files on Apache Beam and Ray Data.
"""

from cnn_explain_tf.batch.local import explain_dataset, prepare
from cnn_explain_tf.batch.models import (
    METRICS,
    KerasExplanations,
    ModelSpec,
    SavedModelExplanations,
    load_backend,
)
from cnn_explain_tf.batch.runs import (
    INDEX_FILE,
    MANIFEST_FILE,
    SKIPPED_FILE,
    DatasetResult,
    Job,
    explain_shard,
    finish,
    missing_shards,
    start,
)
from cnn_explain_tf.batch.shards import MAP_DTYPES, load_maps, read_shard, shard_path
from cnn_explain_tf.batch.sources import SCHEMES, Source, open_source
from cnn_explain_tf.batch.step import INDEX_COLUMNS, BatchResult, explain_records

__all__ = ["INDEX_COLUMNS", "INDEX_FILE", "MANIFEST_FILE", "MAP_DTYPES", "METRICS", "SCHEMES",
           "SKIPPED_FILE", "BatchResult", "DatasetResult", "Job", "KerasExplanations",
           "ModelSpec", "SavedModelExplanations", "Source", "explain_dataset", "explain_records",
           "explain_shard", "finish", "load_backend", "load_maps", "missing_shards",
           "open_source", "prepare", "read_shard", "shard_path", "start"]
