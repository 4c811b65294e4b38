"""`explain_dataset`: the local runner, streaming a source through the per-batch function to shards.

References: the batch-inference pattern of Apache Beam's RunInference (a model handler loaded
once, a per-batch function), run here in one process with tf.data prefetching.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from cnn_explain_tf.batch import runs
from cnn_explain_tf.batch.models import load_backend
from cnn_explain_tf.batch.shards import MAP_DTYPES, write_shard
from cnn_explain_tf.batch.sources import open_source
from cnn_explain_tf.batch.step import BatchResult, explain_records, target_array
from cnn_explain_tf.batch.writer import BackgroundWriter, release
from cnn_explain_tf.data.image_limits import MAX_PIXELS
from cnn_explain_tf.validation import check_choice, check_positive_int

__all__ = ["STREAM_BYTES", "explain_dataset", "prepare"]

STREAM_BYTES = 32 * 2**20
"""About the most image bytes one streamed element carries: small images travel several
compiled-step batches at a time (up to 4), so the per-element cost of tf.data (its hand-off to
Python, the records' conversion to numpy) is paid less often; large images travel one batch at a
time."""


def prepare(model, data: str, methods: Sequence[str], out, *, targets=None,
            shard_size: int = 1024, metrics: Sequence[str] = (), overlays: bool = False,
            generator=None, map_dtype: str = "float16", max_pixels: int = MAX_PIXELS,
            batch_size: int = 32):
    """Checks every argument and loads the backend before anything is written.

    Returns:
        (backend, job, config) for `runs.start` and the runners.
    """
    backend, job, config, _ = _prepare(model, data, methods, out, targets=targets,
                                       shard_size=shard_size, metrics=metrics, overlays=overlays,
                                       generator=generator, map_dtype=map_dtype,
                                       max_pixels=max_pixels, batch_size=batch_size)
    return backend, job, config


def _prepare(model, data, methods, out, *, targets, shard_size, metrics, overlays, generator,
             map_dtype, max_pixels, batch_size):
    """`prepare`, also returning the opened source."""
    check_positive_int("shard_size", shard_size)
    check_positive_int("batch_size", batch_size)
    check_choice("map_dtype", map_dtype, MAP_DTYPES)
    backend = load_backend(model, tuple(methods), generator, batch_size, tuple(metrics))
    source = open_source(data, backend.input_shape, max_pixels)
    job = runs.Job(str(data), os.fspath(out), len(source), shard_size,
                   tuple(backend.input_shape), max_pixels, targets, map_dtype, overlays)
    target_array(targets, np.zeros(1, np.int64), backend.num_classes)  # fails before any work
    name = model if isinstance(model, (str, os.PathLike)) else f"<{model.name}>"
    config = job.config(os.fspath(name), methods, metrics,
                        None if generator is None else os.fspath(generator))
    return backend, job, {**config, "source": source.describe()}, source


def explain_dataset(model, data: str, methods: Sequence[str], out, *, targets=None,
                    batch_size: int = 32, shard_size: int = 1024, metrics: Sequence[str] = (),
                    overlays: bool = False, generator=None, map_dtype: str = "float16",
                    max_pixels: int = MAX_PIXELS, wait: bool | None = None,
                    verbose: int = 1) -> runs.DatasetResult:
    """Explains every image of a dataset into sharded maps and one index, resumably.

    Images stream through tf.data (decoded in parallel, prefetched; never the whole dataset in
    memory; small images several batches per element, `STREAM_BYTES`), each batch of
    `batch_size` goes through the per-batch function `batch.step.explain_records` (one
    explainer object per method, built once: one trace per method), and each full shard of
    `shard_size` images is written atomically (`batch.shards`). Rerun into the same `out`, it
    explains only the shards that are missing; the index then has each image exactly once.
    Unreadable images are skipped and listed in skipped.csv.

    Args:
        model: a Keras classifier, a `.keras` path, a SavedModel folder from
            `cnn-explain export`, or a backend from `load_backend` (reused as it is: its steps
            are traced once over several runs).
        data: "tfds:NAME[:SPLIT]", "folder:PATH", "tfrecord:GLOB" or "FILE.npy".
        methods: explainer names ("gradcam", ...; "lsft"/"gsft" with `generator`).
        out: the run folder.
        targets: None (the predicted class), a class index, or "label" (the dataset's label).
        batch_size: images per compiled step.
        shard_size: images per shard file.
        metrics: per-image metrics for the index (`batch.models.METRICS`).
        overlays: also write `overlays/<method>/<id>.png`.
        generator: a train-gan generator for lsft/gsft.
        map_dtype: "float16" (default) or "float32" for the stored maps.
        max_pixels: refuse encoded images whose header claims more pixels.
        wait: wait for (True) or refuse (False) a folder another run holds.
        verbose: 1 shows a progress bar with images/s, 0 nothing.

    Returns:
        A `DatasetResult`; `result.line()` is the command's result line.

    Raises:
        InputError: a bad argument (unknown data scheme or method, out a file, ...), before
            anything is written.
    """
    started = time.perf_counter()
    backend, job, config, source = _prepare(
        model, data, methods, out, targets=targets, shard_size=shard_size, metrics=metrics,
        overlays=overlays, generator=generator, map_dtype=map_dtype, max_pixels=max_pixels,
        batch_size=batch_size)
    with runs.start(job, config, wait):
        missing, indexed = runs.missing_shards(job), {}
        _run_local(backend, source, job, config, missing, batch_size, verbose, indexed)
        return runs.finish(job, config, len(missing), started, indexed)


def _run_local(backend, source, job: runs.Job, config: dict, missing: list[int],
               batch_size: int, verbose: int, indexed: dict) -> None:
    """Streams the positions of the missing shards (decoded and prefetched by tf.data while the
    model runs) and hands each complete shard to a background writer, which also puts its
    index rows in `indexed` (so `runs.finish` reads back only shards of earlier runs)."""
    from tqdm import tqdm

    if not missing:
        return
    ranges, size = _ranges(job, missing), _stream_size(batch_size, job.input_shape)
    stream = source.batches(*ranges[0], size)
    for start, stop in ranges[1:]:
        stream = stream.concatenate(source.batches(start, stop, size))
    progress = tqdm(total=sum(stop - start for start, stop in ranges), unit="img",
                    desc="explain-dataset", disable=not verbose, smoothing=0.1)
    pending, current = [], missing[0]
    stream = stream.prefetch(tf.data.AUTOTUNE).with_options(_as_built())
    iterator = [iter(stream)]  # its only reference
    with BackgroundWriter(lambda shard, parts: _write(job, config, shard, parts, indexed)
                          ) as writer:
        for element in iterator[0]:
            records = _host_columns(element)
            for shard, part in _parts(records, job.shard_size, batch_size):
                if shard != current:
                    writer.put(current, pending)
                    pending, current = [], shard
                pending.append(explain_records(backend, part, job.targets, job.overlays))
            progress.update(len(records["position"]))
        writer.put(current, pending)
        release(iterator)
    progress.close()


def _as_built() -> tf.data.Options:
    """Options that leave out tf.data's default graph rewrites: the stream is parallel and
    prefetched as built, and the rewrites cost every run milliseconds before its first batch."""
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    return options


def _host_columns(element: dict) -> dict:
    """A streamed element's records as numpy, but for the images: they stay the tensor tf.data
    made, which the compiled steps take as it is (no copy back into a new tensor per batch)."""
    return {key: value if key == "image" else value.numpy() for key, value in element.items()}


def _stream_size(batch_size: int, input_shape: tuple) -> int:
    """Images per streamed element: whole batches, up to 4 of them within `STREAM_BYTES`."""
    if not all(input_shape):  # (a model taking any size: one batch at a time)
        return batch_size
    batch_bytes = 4 * batch_size * int(np.prod(input_shape))
    return batch_size * max(1, min(4, STREAM_BYTES // batch_bytes))


def _parts(records: dict, shard_size: int, batch_size: int):
    """(shard, records) of each compiled step's part of a streamed element: at most `batch_size`
    images, all of one shard (views of the element: its positions ascend; a tensor column is
    cut by one `tf.split`, a tenth of the time of slicing it part by part)."""
    shards = records["position"] // shard_size
    edges = [0, *(np.flatnonzero(np.diff(shards)) + 1).tolist(), len(shards)]
    starts = [start for begin, end in zip(edges[:-1], edges[1:], strict=True)
              for start in range(begin, end, batch_size)]
    sizes = np.diff([*starts, len(shards)])
    pieces = {key: tf.split(value, sizes) if tf.is_tensor(value)
              else np.split(value, starts[1:]) for key, value in records.items()}
    for part, start in enumerate(starts):
        yield int(shards[start]), {key: value[part] for key, value in pieces.items()}


def _ranges(job: runs.Job, missing: list[int]) -> list[tuple[int, int]]:
    """The [start, stop) position ranges of runs of consecutive missing shards."""
    ranges = []
    for shard in missing:
        start, stop = job.positions(shard)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def _write(job: runs.Job, config: dict, shard: int, pending: list, indexed: dict) -> None:
    result = BatchResult.concatenate(pending, None if job.overlays else job.map_dtype)
    write_shard(job.out, shard, result, job.map_dtype, job.overlays)  # (overlays: float32 maps)
    indexed[shard] = runs.shard_index(result, shard)
    runs.record(job, config)
