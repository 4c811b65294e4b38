"""Background threads of a run: one writes finished shards, another frees exhausted iterators."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["BackgroundWriter", "release"]

_DONE = object()


class BackgroundWriter:
    """Calls `write(*item)` for each `put(*item)`, in order, on one background thread.

    The queue is bounded (`depth` items waiting), so explaining never runs more than `depth`
    shards ahead of the disk. The first exception of `write` (even a KeyboardInterrupt) stops the
    writing of later items and is raised again in the caller's thread by the next `put` or by
    `close`; `close` waits for every item put before it. Use it as a context manager.

    Args:
        write: what writes one item (a shard); it runs on the writer thread.
        depth: items that may wait to be written.
    """

    def __init__(self, write: Callable, depth: int = 2):
        self.write, self.error = write, None
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._work, name="shard-writer", daemon=True)
        self._thread.start()

    def put(self, *item) -> None:
        """Queues one item (waits while the queue is full); raises an earlier write's error."""
        self._raise()
        self._queue.put(item)

    def close(self) -> None:
        """Waits until every queued item is written; raises the first write's error."""
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        self._raise()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is None:
            self.close()
            return
        self._queue.put(_DONE)  # the caller failed: finish what was queued, raise the caller's
        self._thread.join()

    def _work(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self.error is None:  # after an error, items are drained (never written)
                try:
                    self.write(*item)
                except BaseException as error:  # noqa: BLE001 - raised again in the caller
                    self.error = error

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def release(holder: list) -> None:
    """Drops the exhausted tf.data iterator that `holder` (a one-item list) holds, its only
    reference, on a daemon thread: freeing an iterator waits for its pipeline's threads to stop,
    which can take seconds on a busy machine and need not hold up the run."""
    threading.Thread(target=_drop, args=(holder.pop(),), name="iterator-release",
                     daemon=True).start()


def _drop(iterator) -> None:
    """Nothing: the thread's end drops its argument, here rather than in the caller's thread."""
