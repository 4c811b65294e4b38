"""Explain a dataset on an engine: the per-batch function of `batch` on Apache Beam and Ray Data.

`scale.beam` (extra `[beam]`): a RunInference `ModelHandler` and the `ExplainDataset`
PTransform; `scale.ray` (extra `[ray]`): an actor class for `Dataset.map_batches`. Both write the
same shards, index and manifest as the local runner (`batch.explain_dataset`). The engines are
imported only when these modules are.
"""

import importlib

__all__ = ["beam", "ray"]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
