"""Artifacts on disk: atomic writes of models and JSON side-cars, config hashes, versions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cnn_explain_tf._version import __version__
from cnn_explain_tf.validation import InputError

__all__ = ["TEMPORARY", "UnreadableModelError", "atomic_path", "config_hash", "is_temporary",
           "library_versions", "load_model", "read_json", "reusable", "save_model", "write_json"]


class UnreadableModelError(InputError):
    """A model file exists but is not a readable `.keras` file: corrupt, truncated or other."""


TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp(\.[^.]+)?$|^\.write-test-[a-z0-9_]{8}$")
"""Names of `atomic_path`'s temporaries (`.<stem>.<random>.tmp<suffix>`) and of the write probes
(`.write-test-<random>`) that `pipeline.claim` and the command line's output check create."""


def is_temporary(name: str) -> bool:
    """Whether a file name is one of `atomic_path`'s temporaries (or a write probe)."""
    return TEMPORARY.match(name) is not None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path` (same suffix) that replaces `path` when the block ends.

    If the block raises (or the process is interrupted), the temporary file is removed and `path` is
    untouched, so readers never see a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                                    dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_model(model: keras.Model, path: str | os.PathLike) -> None:
    """Saves `model` in the `.keras` format at `path` atomically."""
    with atomic_path(path) as temporary:
        model.save(temporary)


def load_model(path: str | os.PathLike, what: str = "model") -> keras.Model:
    """Loads a `.keras` model (uncompiled) with errors that say what is wrong with the file.

    Keras reports a corrupt or truncated file as "File not found"; this says so truthfully.

    Args:
        path: the `.keras` file.
        what: the argument's name for messages, e.g. "classifier" or "model".

    Raises:
        InputError: no file at `path`.
        UnreadableModelError: the file is not a readable `.keras` file, or Keras's safe mode
            refused it (e.g. a Lambda layer; the message says how to allow it knowingly).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what}: expected a .keras file, got {path} (no such file)")
    if not zipfile.is_zipfile(path):
        raise UnreadableModelError(f"{what}: {path} is not a readable .keras file (not a zip "
                                   "archive: corrupt, truncated or another format)")
    try:
        return keras.models.load_model(path, compile=False)
    except (ValueError, TypeError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise _refusal(error, path, what) from error


def _refusal(error: Exception, path: Path, what: str) -> UnreadableModelError:
    """The error for a file Keras could not load: refused by its safe mode, or unreadable."""
    text = " ".join(str(error).split())
    if "safe_mode" in text:  # e.g. a Lambda layer: Keras refuses to deserialise Python code
        reason = text.split(" If you trust")[0].rstrip(".")
        return UnreadableModelError(
            f"{what}: {path} was refused as unsafe by Keras's safe mode, nothing in it ran "
            f"({reason}). If you trust this file, load it knowingly in Python with "
            "keras.saving.load_model(path, safe_mode=False) and pass the model itself")
    first_line = (str(error).splitlines() or [""])[0]
    return UnreadableModelError(f"{what}: {path} is not a readable .keras file "
                                f"({type(error).__name__}: {first_line})")


def write_json(data: Mapping, path: str | os.PathLike, sort_keys: bool = True) -> None:
    """Writes `data` as indented JSON at `path` atomically (keys sorted, or kept in their order
    when `sort_keys` is False, e.g. for table rows whose key order is the column order)."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=sort_keys) + "\n")


def read_json(path: str | os.PathLike) -> dict | None:
    """Reads a JSON object; None when the file is missing or not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def config_hash(config: Mapping) -> str:
    """Stable short hash of a JSON-serialisable config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reusable(json_path: str | os.PathLike, config_hash: str,
             artifacts: Iterable[str | os.PathLike] = ()) -> dict | None:
    """The saved JSON side-car at `json_path` if the work it describes can be reused, else None.

    This is the one "skip finished work" rule of the library: work is reusable when its JSON
    side-car exists and is valid, its `"config_hash"` equals `config_hash`, and every path in
    `artifacts` exists. Relative artifact paths are resolved against the JSON's folder, so
    `reusable(out / "model.json", digest, ["model.keras"])` checks `out / "model.keras"`.
    """
    json_path = Path(json_path)
    saved = read_json(json_path)
    if not isinstance(saved, dict) or saved.get("config_hash") != config_hash:
        return None
    if not all((json_path.parent / path).exists() for path in artifacts):
        return None
    return saved


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape a trained artifact."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__, "cnn_explain_tf": __version__}
