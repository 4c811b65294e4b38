"""Ray Data: the per-batch function in an actor class for `Dataset.map_batches`, and a driver.

Each actor loads the model once (`ModelSpec.load`) and, per shard number it is given, reads that
shard's images, runs the per-batch function and writes the same shard file as the local runner
(`batch.runs.explain_shard`). On a cluster, `ray.init(address="ray://HEAD:10001")` (or
`address="auto"` on a node of it) before the run; the model and the run folder must be on
storage every node reads and writes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import ray

from cnn_explain_tf.batch.models import ModelSpec
from cnn_explain_tf.batch.runs import DatasetResult, Job, explain_shard
from cnn_explain_tf.scale.common import drive

__all__ = ["ShardExplainer", "explain_dataset_ray"]


class ShardExplainer:
    """A `map_batches` actor: {"shard": (N,)} in, {"shard", "images", "skipped"} out.

    Args:
        spec: what the actor loads (`ModelSpec`).
        job: the run's source, folder and shard layout (`batch.runs.Job`).
    """

    def __init__(self, spec: ModelSpec, job: Job):
        self.spec, self.job = spec, job
        self.backend = spec.load()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        counts = [explain_shard(self.backend, self.job, int(shard), self.spec.batch_size)
                  for shard in batch["shard"]]
        return {"shard": np.asarray(batch["shard"]),
                "images": np.array([count[0] for count in counts], np.int64),
                "skipped": np.array([count[1] for count in counts], np.int64)}


def explain_dataset_ray(model, data: str, methods: Sequence[str], out, *,
                        address: str | None = None, num_workers: int = 1,
                        **options) -> DatasetResult:
    """`batch.explain_dataset` on Ray Data: the same arguments and files.

    Args:
        model: a `.keras` path or an exported SavedModel folder every node can read.
        address: the Ray cluster (None: this one if `ray.init` ran, else a local one).
        num_workers: actors, each holding one copy of the model.
        **options: the keyword arguments of `batch.explain_dataset` (verbose is ignored).
    """
    verbose = options.pop("verbose", 1)

    def execute(spec: ModelSpec, job: Job, missing: list[int]) -> None:
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = context.print_on_execution_start = bool(verbose)
        shards = ray.data.from_items([{"shard": shard} for shard in missing])
        done = shards.map_batches(ShardExplainer, fn_constructor_args=(spec, job), batch_size=1,
                                  compute=ray.data.ActorPoolStrategy(size=num_workers)).take_all()
        if sorted(int(row["shard"]) for row in done) != sorted(missing):
            raise RuntimeError(f"ray: expected shards {missing} to be written, got {done}")

    return drive(model, data, methods, out, execute, **options)
