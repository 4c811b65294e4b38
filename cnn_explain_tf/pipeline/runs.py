"""Run folders: `claim` checks, locks and records a folder for one run config, resumes it."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cnn_explain_tf import artifacts
from cnn_explain_tf.pipeline.lock import LOCK_FILE, RunLock, remove_stale_temporaries
from cnn_explain_tf.pipeline.stages import now
from cnn_explain_tf.validation import InputError

__all__ = ["RUN_FILE", "Claim", "claim", "record_fresh_seconds"]

RUN_FILE = "run.json"
"""The file `claim` writes at the root of a run folder: the run's config and its hash."""


@dataclasses.dataclass(frozen=True)
class Claim:
    """A run folder claimed by `claim`, locked until `release` (or the end of a `with` block).

    Attributes:
        directory: the run folder.
        config_hash: the hash of the run's config.
        fresh: whether the run started from a new or empty folder (False when resuming).
        lock: this process's hold on the folder's lock (None for a claim made without one).
    """

    directory: Path
    config_hash: str
    fresh: bool
    lock: RunLock | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def run_file(self) -> Path:
        return self.directory / RUN_FILE

    def release(self) -> None:
        """Releases the folder's lock (another run waiting for it goes on)."""
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def claim(out_dir: str | Path, kind: str, config: Mapping, preset: str | None = None,
          wait: bool | None = None) -> Claim:
    """Checks that `out_dir` is writable and new, empty or this config's run; locks it, removes
    the temporaries a killed run left there, and records the run.

    Only one process runs in a folder at a time: while another holds its lock (`<out_dir>/.lock`)
    this one waits, printing one line on stderr, or refuses; after the wait it resumes what the
    other run finished. The lock is held until `Claim.release` (use the claim as a context
    manager) or the process's end.

    Args:
        out_dir: the run folder (created if needed).
        kind: what runs there, for the messages, e.g. "reproduce".
        config: the run's JSON-serialisable config; its hash identifies the run.
        preset: the name of the preset the config comes from, recorded and shown in messages.
        wait: wait for a held folder (True) or refuse it (False); None: as the enclosing
            `pipeline.waiting` block says (wait by default).

    Raises:
        InputError: a folder that cannot be written, holds other files and no run file, an
            unreadable run file, the run of another config, or (without waiting) a folder in
            use by another run.
    """
    out_dir, digest = Path(out_dir), artifacts.config_hash(config)
    _check_writable(out_dir)
    _refuse_foreign(out_dir, kind)  # before the lock file: a foreign folder gets none
    lock = RunLock.acquire(out_dir, wait)
    try:
        if lock.first:
            remove_stale_temporaries(out_dir)
        saved = _saved_run(out_dir, kind, digest, preset)
        if saved is None:
            artifacts.write_json({"preset": preset, "config_hash": digest,
                                  "config": dict(config), "created": now()}, out_dir / RUN_FILE)
    except BaseException:
        lock.release()
        raise
    return Claim(out_dir, digest, saved is None, lock)


def _saved_run(out_dir: Path, kind: str, digest: str, preset: str | None) -> dict | None:
    """The folder's run record if it is this config's run; None for an empty folder."""
    run_file = out_dir / RUN_FILE
    saved = artifacts.read_json(run_file)
    if saved is None and run_file.exists():
        raise InputError(f"out: {run_file} is not readable JSON; it is not a {kind} run. "
                         "Choose another --out (or delete that folder)")
    _refuse_foreign(out_dir, kind)
    if saved is not None and saved.get("config_hash") != digest:
        raise InputError(f"out: {out_dir} holds the run of another config (preset "
                         f"{saved.get('preset')!r}, hash {saved.get('config_hash')}); this one is "
                         f"preset {preset!r}, hash {digest}. Runs are never mixed: choose another "
                         "--out (or delete that folder)")
    return saved


def _refuse_foreign(out_dir: Path, kind: str) -> None:
    """Refuses a folder with files other than a run's lock and temporaries but no run file."""
    if (out_dir / RUN_FILE).exists():
        return
    if any(path.name != LOCK_FILE and not artifacts.is_temporary(path.name)
           for path in out_dir.iterdir()):
        raise InputError(f"out: expected a new or empty directory, or one holding a {kind} "
                         f"run, got {out_dir} with other files and no {RUN_FILE}. Choose another "
                         "--out")


def _check_writable(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"out: expected a directory, got {out_dir} (a file)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise InputError(f"out: expected a writable directory, got {out_dir} "
                         f"({error.strerror or error})") from error


def record_fresh_seconds(run: Claim, records: Sequence[Mapping]) -> float | None:
    """Seconds the stages took in the run that started from an empty folder.

    A fresh run records the sum of its stage times in the run file; a resumed run reads it back.

    Returns:
        The seconds; None when the fresh run was interrupted before it recorded them.
    """
    saved = artifacts.read_json(run.run_file)
    if run.fresh:
        saved["fresh_run_seconds"] = sum(record["seconds"] for record in records)
        artifacts.write_json(saved, run.run_file)
    return saved.get("fresh_run_seconds")
