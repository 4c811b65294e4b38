"""Apache Beam: a RunInference `ModelHandler` over the per-batch function, and a `PTransform`.

The handler loads either a `.keras` classifier (building the library's explainers, one per
method) or a SavedModel exported by `cnn-explain export` (calling its signatures, so workers need
only TensorFlow). `ExplainDataset` reads each missing shard's images (files, TFRecords, a .npy or
a tfds split), explains them with `RunInference`, groups them by shard and writes the same shard
files as the local runner; `explain_dataset_beam` drives a whole run (the index and manifest are
written by the driver once the pipeline has finished).

References: Apache Beam, "RunInference" (apache_beam.ml.inference.base.ModelHandler).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import apache_beam as beam
import numpy as np
from apache_beam.ml.inference.base import (
    KeyedModelHandler,
    ModelHandler,
    PredictionResult,
    RunInference,
)
from apache_beam.options.pipeline_options import PipelineOptions

from cnn_explain_tf.batch.models import ModelSpec
from cnn_explain_tf.batch.runs import DatasetResult, Job
from cnn_explain_tf.batch.shards import write_shard
from cnn_explain_tf.batch.sources import open_source
from cnn_explain_tf.batch.step import BatchResult, explain_records
from cnn_explain_tf.batch.writer import release
from cnn_explain_tf.scale.common import drive

__all__ = ["ExplainDataset", "ExplanationModelHandler", "explain_dataset_beam"]

RECORD_KEYS = ("position", "id", "image", "label", "error")


class ExplanationModelHandler(ModelHandler):
    """RunInference handler: records (dicts from `batch.sources`) in, one single-record
    `BatchResult` per record out (as `PredictionResult.inference`).

    Args:
        spec: the model path, methods, generator, batch size and metrics (`ModelSpec`).
        targets: None (the predicted class), an int, or "label".
        keep_images: keep the images in the results (for overlays).
    """

    def __init__(self, spec: ModelSpec, targets=None, keep_images: bool = False):
        super().__init__()
        self.spec, self.targets, self.keep_images = spec, targets, keep_images

    def load_model(self):
        """The backend (`batch.models`), loaded once per worker."""
        return self.spec.load()

    def run_inference(self, batch: Sequence[dict], model, inference_args=None
                      ) -> Iterable[PredictionResult]:
        """The per-batch function on a batch of records, split back into one result each."""
        records = {key: np.stack([record[key] for record in batch]) for key in RECORD_KEYS}
        parts = explain_records(model, records, self.targets, self.keep_images).split()
        return [PredictionResult(int(record["position"]), part)
                for record, part in zip(batch, parts, strict=True)]

    def get_num_bytes(self, batch: Sequence[dict]) -> int:
        return sum(record["image"].nbytes for record in batch)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": self.spec.batch_size}

    def get_metrics_namespace(self) -> str:
        return "cnn_explain_tf"


class ExplainDataset(beam.PTransform):
    """Shard numbers in; each shard's images read, explained and written; (shard, images,
    skipped) out, one per shard.

    Args:
        spec: what the workers load (`ModelSpec`).
        job: the run's source, folder and shard layout (`batch.runs.Job`).
    """

    def __init__(self, spec: ModelSpec, job: Job):
        super().__init__()
        self.spec, self.job = spec, job

    def expand(self, shards):
        handler = ExplanationModelHandler(self.spec, self.job.targets, self.job.overlays)
        return (shards
                | "Read" >> beam.FlatMap(_shard_records, self.job)
                | "Explain" >> RunInference(KeyedModelHandler(handler))
                | "ByShard" >> beam.GroupByKey()
                | "Write" >> beam.Map(_write, self.job))


def _shard_records(shard: int, job: Job):
    source = open_source(job.data, job.input_shape, job.max_pixels)
    iterator = [source.records(*job.positions(shard)).as_numpy_iterator()]  # its only reference
    for record in iterator[0]:
        yield shard, record
    release(iterator)


def _write(grouped: tuple, job: Job) -> tuple[int, int, int]:
    shard, predictions = grouped
    result = BatchResult.concatenate([p.inference for p in predictions]).ordered()
    write_shard(job.out, shard, result, job.map_dtype, job.overlays)
    return shard, len(result), len(result.skipped)


def explain_dataset_beam(model, data: str, methods: Sequence[str], out, *,
                         pipeline_args: Sequence[str] = (), runner: str = "DirectRunner",
                         **options) -> DatasetResult:
    """`batch.explain_dataset` on Apache Beam: the same arguments and files.

    Args:
        model: a `.keras` path or an exported SavedModel folder every worker can read.
        pipeline_args: Beam pipeline options, e.g. ["--project=p", "--region=europe-west1",
            "--temp_location=gs://b/tmp"] for Dataflow.
        runner: "DirectRunner" (local), "DataflowRunner", "FlinkRunner", "SparkRunner".
        **options: the keyword arguments of `batch.explain_dataset` (verbose is ignored).
    """
    options.pop("verbose", None)

    def execute(spec: ModelSpec, job: Job, missing: list[int]) -> None:
        flags = PipelineOptions([f"--runner={runner}", *pipeline_args])
        with beam.Pipeline(options=flags) as pipeline:
            _ = pipeline | "Shards" >> beam.Create(missing) | ExplainDataset(spec, job)

    return drive(model, data, methods, out, execute, **options)
