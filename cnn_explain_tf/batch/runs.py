"""A dataset run's folder: the job, its claim and manifest, the missing shards, the final index.

Layout of `OUT`: `run.json` and `.lock` (`pipeline.claim`: one run per folder, runs of another
config refused), `manifest.json` (config, versions, shards done), `shards/shard-NNNNN.npz`
(`batch.shards`), `index.csv` (one row per explained image, in position order), `skipped.csv`
(the unreadable images and why) and, on request, `overlays/<method>/<id>.png`. A shard covers
positions [shard * shard_size, (shard + 1) * shard_size); a shard file exists only when complete,
so a restarted run explains only the shards whose file is missing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import time
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, pipeline
from cnn_explain_tf.batch.shards import SHARDS, read_shard, shard_path
from cnn_explain_tf.batch.step import INDEX_COLUMNS, BatchResult, explain_records
from cnn_explain_tf.validation import check_positive_int

__all__ = ["INDEX_FILE", "KIND", "MANIFEST_FILE", "SKIPPED_FILE", "DatasetResult", "Job",
           "explain_shard", "finish", "missing_shards", "record", "shard_index", "start"]

KIND = "explain-dataset"
MANIFEST_FILE = "manifest.json"
"""The run's config, library versions and finished shards (JSON), in the run folder."""
INDEX_FILE = "index.csv"
"""One row per explained image and method: id, path, prediction, target, metrics, shard."""
SKIPPED_FILE = "skipped.csv"
"""The files that could not be read, with the reason, one row each."""


@dataclasses.dataclass(frozen=True)
class Job:
    """Everything a worker needs to explain and write any shard (picklable).

    Attributes:
        data: the source spec (`batch.sources.open_source`).
        out: the run folder, on storage every worker writes.
        num_images: how many images the source holds.
        shard_size: images per shard.
        input_shape: the model's (H, W, C).
        max_pixels: the pixel limit of encoded images.
        targets: None (predicted class), an int, or "label".
        map_dtype: "float16" or "float32".
        overlays: also write overlay PNGs.
    """

    data: str
    out: str
    num_images: int
    shard_size: int
    input_shape: tuple
    max_pixels: int
    targets: int | str | None = None
    map_dtype: str = "float16"
    overlays: bool = False

    @property
    def num_shards(self) -> int:
        return -(-self.num_images // self.shard_size)

    def positions(self, shard: int) -> tuple[int, int]:
        """The [start, stop) positions of `shard`."""
        return shard * self.shard_size, min((shard + 1) * self.shard_size, self.num_images)

    def config(self, model: str, methods, metrics, generator) -> dict:
        """The config whose hash identifies the run (batch size and runner are left out: they
        do not change the files)."""
        fields = {key: value for key, value in dataclasses.asdict(self).items() if key != "out"}
        return {**fields, "input_shape": list(self.input_shape), "model": model,
                "methods": list(methods), "metrics": list(metrics), "generator": generator}


@dataclasses.dataclass(frozen=True)
class DatasetResult:
    """What a run left in its folder.

    Attributes:
        out: the run folder.
        images: rows of index.csv (explained images).
        skipped: rows of skipped.csv (unreadable images).
        shards: shard files.
        explained_now: shards explained by this call (the rest were done before).
        seconds: wall time of this call.
    """

    out: Path
    images: int
    skipped: int
    shards: int
    explained_now: int
    seconds: float

    def line(self) -> str:
        """The one-line summary the command prints."""
        return (f"explained {self.images} images ({self.skipped} skipped, in {SKIPPED_FILE}) "
                f"into {self.shards} shards ({self.explained_now} new) in {self.out}: "
                f"{INDEX_FILE}, {MANIFEST_FILE}")


def start(job: Job, config: dict, wait: bool | None = None) -> pipeline.Claim:
    """Claims the run folder (locks it; refuses a folder of another run) and records the
    manifest. Release the returned claim when the run ends."""
    check_positive_int("shard_size", job.shard_size)
    claim = pipeline.claim(job.out, KIND, config, wait=wait)
    record(job, config, finished=None)
    return claim


def missing_shards(job: Job) -> list[int]:
    """The shards whose file is not written yet."""
    return [shard for shard in range(job.num_shards)
            if not shard_path(job.out, shard).is_file()]


def explain_shard(backend, job: Job, shard: int, batch_size: int) -> tuple[int, int]:
    """Reads, explains and writes one shard (what a Beam or Ray worker runs per shard).

    Returns:
        (images explained, images skipped).
    """
    from cnn_explain_tf.batch.shards import write_shard
    from cnn_explain_tf.batch.sources import open_source
    from cnn_explain_tf.batch.writer import release

    source = open_source(job.data, job.input_shape, job.max_pixels)
    iterator = [source.batches(*job.positions(shard), batch_size).prefetch(2).as_numpy_iterator()]
    results = [explain_records(backend, batch, job.targets, job.overlays)
               for batch in iterator[0]]
    release(iterator)
    result = BatchResult.concatenate(results, None if job.overlays else job.map_dtype)
    write_shard(job.out, shard, result, job.map_dtype, job.overlays)  # (overlays: float32 maps)
    return len(result), len(result.skipped)


def finish(job: Job, config: dict, explained_now: int, started: float,
           indexed: dict | None = None) -> DatasetResult:
    """Writes index.csv and skipped.csv from every shard, in position order, and closes the
    manifest. `indexed` holds the `shard_index` of shards already indexed by this call (the
    local runner indexes each shard as it writes it); the others are read back from their
    files."""
    header = [*INDEX_COLUMNS[:2], "shard", "row", *INDEX_COLUMNS[2:]]
    rows, skipped = [], []
    for shard in range(job.num_shards):
        header, shard_rows, shard_skipped = (indexed or {}).get(shard) or _read_index(job, shard)
        rows.extend(shard_rows)
        skipped.extend(shard_skipped)
    _write_csv(Path(job.out) / INDEX_FILE, header, rows)
    _write_csv(Path(job.out) / SKIPPED_FILE, ["position", "id", "reason"], sorted(skipped))
    record(job, config, finished=pipeline.now())
    return DatasetResult(Path(job.out), len(rows), len(skipped), job.num_shards, explained_now,
                         time.perf_counter() - started)


def shard_index(result: BatchResult, shard: int) -> tuple[list[str], list[tuple], list[tuple]]:
    """(index header, index rows, skipped rows) of a shard's result: what `finish` would read
    back from the shard's file."""
    header, rows = _index_rows(result.columns, shard)
    return header, rows, [(int(position), str(name), str(reason))
                          for position, name, reason in result.skipped]


def _read_index(job: Job, shard: int) -> tuple[list[str], list[tuple], list[tuple]]:
    """`shard_index` of a shard read back from its file."""
    table = read_shard(shard_path(job.out, shard))
    header, rows = _index_rows(table, shard)
    return header, rows, list(zip(table["skipped_position"].tolist(), table["skipped_id"].tolist(),
                                  table["skipped_reason"].tolist(), strict=True))


def _index_rows(table: dict, shard: int) -> tuple[list[str], list[tuple]]:
    """The index header and rows of one shard, built column by column."""
    metrics = sorted(key for key in table
                     if key not in INDEX_COLUMNS and not key.startswith("skipped"))
    count = len(table["position"])
    columns = {"position": table["position"].tolist(), "id": table["id"].tolist(),
               "shard": [shard] * count, "row": range(count)}
    columns.update({key: _cells(table[key]) for key in (*INDEX_COLUMNS[2:], *metrics)})
    return list(columns), list(zip(*columns.values(), strict=True))


def _cells(column: np.ndarray) -> list:
    """A column's CSV cells: floats with 6 significant digits ("" for NaN), others as they are."""
    if column.dtype.kind == "f":
        return ["" if value != value else f"{value:.6g}" for value in column.tolist()]  # NaN
    return column.tolist()


def _write_csv(path: Path, header: list, rows: list) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with artifacts.atomic_path(path) as temporary:
        temporary.write_text(text.getvalue())


def record(job: Job, config: dict, finished: str | None = None) -> None:
    """manifest.json: the config, versions, and the shards whose file is written."""
    done = sorted(int(p.stem.split("-")[1]) for p in (Path(job.out) / SHARDS).glob("shard-*.npz"))
    artifacts.write_json({"kind": KIND, "config": config,
                          "config_hash": artifacts.config_hash(config),
                          "versions": artifacts.library_versions(), "num_shards": job.num_shards,
                          "shards_done": done, "finished": finished}, Path(job.out) / MANIFEST_FILE)
