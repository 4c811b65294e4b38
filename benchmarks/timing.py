"""Shared timing helpers of the benchmark scripts: medians after a warm-up call, interleaved."""

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


def interleaved_medians(functions: dict, repeats: int, clock=time.perf_counter
                        ) -> dict[str, float]:
    """Median `clock` seconds of each function over `repeats` rounds that call every function
    once, in turn, after one untimed warm-up round (a shared CPU's load then weighs on every
    function alike; pass `clock=time.process_time` for CPU time)."""
    samples = {name: [] for name in functions}
    for round_ in range(repeats + 1):
        for name, function in functions.items():
            start = clock()
            function()
            if round_:
                samples[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def print_report(header: str, timings: dict[str, float], rows, name_width: int = 16,
                 label_width: int = 60) -> None:
    """Prints the header, each median in ms, then one `label ratio goal` line per row of
    (label, ratio, goal)."""
    print(header)
    for name, seconds in timings.items():
        print(f"  {name:>{name_width}}: {seconds * 1000:9.1f} ms")
    for label, ratio, goal in rows:
        print(f"{label:<{label_width}} {ratio:8.3f}   goal {goal}")
