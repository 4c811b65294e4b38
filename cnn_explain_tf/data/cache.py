"""On-disk cache of generated datasets: one ``.npz`` per split, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnn_explain_tf.artifacts import atomic_path

CACHE_ENV_VAR = "CNN_EXPLAIN_TF_CACHE"

__all__ = ["CACHE_ENV_VAR", "cache_dir", "cache_key", "cached_arrays"]


def cache_dir() -> Path:
    """Returns the cache root: ``$CNN_EXPLAIN_TF_CACHE`` or ``~/.cache/cnn_explain_tf``."""
    root = os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "cnn_explain_tf"
    return Path(root).expanduser()


def cache_key(params: dict) -> str:
    """Returns a short stable hash of JSON-serialisable generation parameters."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_arrays(
    stem: str, params: dict, build: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Loads arrays from the cache, or builds them and writes them atomically.

    Args:
        stem: Readable file-name prefix, e.g. ``"digits-train-seed0"``.
        params: Everything the arrays depend on (version included); hashed into the file name.
        build: Called on a cache miss; returns the named arrays to store.

    Returns:
        The named arrays.
    """
    path = cache_dir() / "datasets" / f"{stem}-{cache_key(params)}.npz"
    if path.exists():
        try:
            with np.load(path) as stored:
                return dict(stored)
        except (OSError, ValueError, zipfile.BadZipFile):
            pass  # unreadable (e.g. written by an older numpy): rebuild below
    arrays = build()
    _write_atomically(path, arrays)
    return arrays


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Writes ``arrays`` as ``.npz`` to a temporary file beside ``path``, then renames it."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)
