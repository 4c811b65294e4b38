"""Shared timing helper of the benchmark scripts: median wall time after a warm-up call."""

import statistics
import time


def median_seconds(function, repeats: int = 5) -> float:
    """Median wall time of `function()` over `repeats` calls, after one untimed warm-up call
    (tracing and first-call allocations are not timed)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
