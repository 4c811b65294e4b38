"""Shard files: one `.npz` per shard of positions, written atomically, and the overlays.

Why `.npz` and not TFRecord: a shard is read back without TensorFlow (`numpy.load`), the arrays
of one method or the index columns are read without reading the others (an `.npz` is a zip of
`.npy` members, loaded lazily), and a map is found by (shard, row) from the index without
scanning a record stream. Maps are stored as float16 (half the bytes of float32; the maps are in
[0, 1], where float16 keeps about 3 decimal digits); `map_dtype="float32"` keeps them exact.

A shard holds: `position`, `id`, `label`, `predicted`, `probability`, `target`,
`target_probability` and metric columns (one entry per explained image), `maps/<method>`
(N, H, W) and `skipped_position`, `skipped_id`, `skipped_reason`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cnn_explain_tf.artifacts import atomic_path
from cnn_explain_tf.batch.step import BatchResult

__all__ = ["MAP_DTYPES", "SHARDS", "load_maps", "read_shard", "shard_path", "write_shard"]

SHARDS = "shards"
MAP_DTYPES = ("float16", "float32")
_MAPS = "maps/"


def shard_path(out: str | Path, shard: int) -> Path:
    """`OUT/shards/shard-00012.npz`."""
    return Path(out) / SHARDS / f"shard-{shard:05d}.npz"


def write_shard(out: str | Path, shard: int, result: BatchResult, map_dtype: str = "float16",
                overlays: bool = False) -> Path:
    """Writes one shard (and its overlays first, so a finished shard has them all) atomically:
    a killed run leaves either the whole shard or none of it."""
    if overlays and result.images is not None:
        _write_overlays(Path(out), result)
    arrays = {key: (value.astype(str) if value.dtype == object else value)
              for key, value in result.columns.items()}
    arrays.update({_MAPS + method: maps.astype(map_dtype, copy=False)
                   for method, maps in result.maps.items()})
    skipped = result.skipped
    arrays["skipped_position"] = np.array([s[0] for s in skipped], np.int64)
    arrays["skipped_id"] = np.array([s[1] for s in skipped], str)
    arrays["skipped_reason"] = np.array([s[2] for s in skipped], str)
    path = shard_path(out, shard)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def read_shard(path: str | Path, maps: bool = False) -> dict[str, np.ndarray]:
    """A shard's index columns and skipped records (and its maps, as `maps/<method>`, when
    `maps` is True); only the asked arrays are read from the file."""
    with np.load(path, allow_pickle=False) as shard:
        return {key: shard[key] for key in shard.files if maps or not key.startswith(_MAPS)}


def load_maps(out: str | Path, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, maps) of one method over every shard of a run folder, in position order."""
    ids, maps = [], []
    for path in sorted((Path(out) / SHARDS).glob("shard-*.npz")):
        with np.load(path, allow_pickle=False) as shard:
            ids.append(shard["id"])
            maps.append(shard[_MAPS + method])
    return np.concatenate(ids), np.concatenate(maps)


def _write_overlays(out: Path, result: BatchResult) -> None:
    from cnn_explain_tf import viz

    for method, maps in result.maps.items():
        for name, image, heat_map in zip(result.columns["id"], result.images, maps):
            viz.save_png(viz.overlay(image, heat_map), out / "overlays" / method /
                         f"{_file_name(str(name))}.png")


def _file_name(image_id: str) -> str:
    """An image id as one file name: path separators and odd characters become '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", image_id)
