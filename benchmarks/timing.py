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


def print_report(header: str, timings: dict[str, float], rows, name_width: int = 16,
                 label_width: int = 60) -> None:
    """Prints the header, each median in ms, then one `label ratio goal` line per row of
    (label, ratio, goal)."""
    print(header)
    for name, seconds in timings.items():
        print(f"  {name:>{name_width}}: {seconds * 1000:9.1f} ms")
    for label, ratio, goal in rows:
        print(f"{label:<{label_width}} {ratio:8.3f}   goal {goal}")
