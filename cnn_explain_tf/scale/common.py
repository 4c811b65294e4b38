"""What the engine runners share: checking that the model is a path, and the driver's run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from cnn_explain_tf.batch import runs
from cnn_explain_tf.batch.local import prepare
from cnn_explain_tf.batch.models import ModelSpec
from cnn_explain_tf.validation import InputError

__all__ = ["drive"]


def drive(model, data, methods, out, execute: Callable, *, batch_size: int = 32,
          wait: bool | None = None, **options) -> runs.DatasetResult:
    """Checks the arguments (loading the model once on the driver), claims the run folder, calls
    `execute(spec, job, missing_shards)` to explain the missing shards on the engine, then
    writes the index and manifest (`runs.finish`).

    Raises:
        InputError: `model` is not a path (workers load the model from storage), or any other
            bad argument, before the engine starts.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise InputError("model: expected a .keras path or an exported SavedModel folder that "
                         f"every worker can read, got a {type(model).__name__} object")
    started = time.perf_counter()
    _, job, config = prepare(model, data, methods, out, batch_size=batch_size, **options)
    spec = ModelSpec(os.fspath(model), tuple(methods),
                     None if options.get("generator") is None else os.fspath(options["generator"]),
                     batch_size, tuple(options.get("metrics", ())))
    with runs.start(job, config, wait):
        missing = runs.missing_shards(job)
        if missing:
            execute(spec, job, missing)
        return runs.finish(job, config, len(missing), started)
