"""One run per folder: an advisory lock on `<folder>/.lock`, and the stale temporaries it clears.

The lock is `fcntl.flock` on a lock file that is never deleted: the operating system releases it
when its holder closes the file or dies (even by `kill -9`), so a crashed run never leaves a folder
locked. It is re-entrant within one process (a study that claims a folder and then a sub-folder,
or claims a folder twice, never waits for itself); it does not separate threads of one process.
On a platform without `fcntl` the lock does nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from cnn_explain_tf.artifacts import is_temporary
from cnn_explain_tf.validation import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

__all__ = ["LOCK_FILE", "RunLock", "remove_stale_temporaries", "waiting"]

LOCK_FILE = ".lock"
"""The lock file of a run folder (kept: deleting a lock file would let two runs in at once)."""
_WAIT: contextvars.ContextVar[bool] = contextvars.ContextVar("wait_for_run_lock", default=True)
_HELD: dict[Path, list] = {}  # lock file -> [open file, count of this process's holds]
_GUARD = threading.Lock()


@contextlib.contextmanager
def waiting(wait: bool) -> Iterator[None]:
    """Within the block, a `RunLock.acquire` without `wait` waits for a held folder (True, the
    default) or refuses it (False: the `--no-wait` of the study commands)."""
    token = _WAIT.set(wait)
    try:
        yield
    finally:
        _WAIT.reset(token)


class RunLock:
    """This process's hold on a run folder's lock; `release` it (or use it as a context manager).

    Attributes:
        path: the lock file, `<folder>/.lock`.
        first: whether this hold took the lock (False when this process already held it).
    """

    def __init__(self, path: Path, first: bool):
        self.path, self.first, self._released = path, first, False

    @classmethod
    def acquire(cls, folder: str | os.PathLike, wait: bool | None = None) -> RunLock:
        """Takes the lock of `folder` (which must exist), waiting for another process that holds
        it with one line on stderr, or refusing it.

        Args:
            folder: the run folder.
            wait: wait (True) or refuse (False); None: as the enclosing `waiting` block says.

        Raises:
            InputError: another process holds the lock and `wait` is False.
        """
        path = Path(folder).resolve() / LOCK_FILE
        with _GUARD:
            if path in _HELD:
                _HELD[path][1] += 1
                return cls(path, first=False)
            handle = open(path, "a")  # noqa: SIM115 - held until `release`
            try:
                _lock(handle, path, _WAIT.get() if wait is None else wait)
            except BaseException:
                handle.close()
                raise
            _HELD[path] = [handle, 1]
        return cls(path, first=True)

    def release(self) -> None:
        """Gives this hold back; the lock is released with the process's last hold."""
        with _GUARD:
            if self._released:
                return
            self._released = True
            entry = _HELD[self.path]
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[self.path]
                entry[0].close()  # closing the file releases the flock

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def _lock(handle, path: Path, wait: bool) -> None:
    if fcntl is None:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        if not wait:
            raise InputError(f"out: another run is using {path.parent} (it holds {path}); wait "
                             "for it to finish, run again without --no-wait to wait, or choose "
                             "another --out") from None
    print(f"waiting for the run holding {path} ...", file=sys.stderr, flush=True)
    fcntl.flock(handle, fcntl.LOCK_EX)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Deletes the temporaries a killed run left in `folder` and its sub-folders; call it only
    while holding the folder's lock. Sub-folders with their own lock file are other run folders
    (cleared when they are claimed) and are skipped.

    Returns:
        The deleted files.
    """
    removed = []
    for root, directories, files in os.walk(folder):
        directories[:] = [name for name in directories
                          if not (Path(root) / name / LOCK_FILE).exists()]
        for name in files:
            if is_temporary(name):
                path = Path(root) / name
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed
