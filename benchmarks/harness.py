"""Timing one callable in a worker process, and what a worker says when it cannot run a case.

Only the standard library: each worker imports its own library and nothing else of ours that
would load another runtime. The runner (``benchmarks/run.py``) starts the workers with the
user's environment untouched; nothing here sets thread, wait-policy or affinity variables.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


class Pending(Exception):
    """A case this library cannot run yet (a layer or a backward pass still missing)."""


def time_calls(run: Callable, calls: int, warmup: int) -> dict:
    """Warm up, then time ``calls`` calls of ``run`` one by one: wall and process CPU time.

    Returns ``{median_s, min_s, max_s, cpu_s, calls}`` (``cpu_s`` is the median process CPU
    time of a call: all threads, so about ``threads x wall`` when they are all busy)."""
    if calls < 1 or warmup < 0:
        raise ValueError(f"calls must be >= 1 and warmup >= 0; got {calls} and {warmup}")
    for _ in range(warmup):
        run()
    walls, cpus = [], []
    for _ in range(calls):
        c0, t0 = time.process_time(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "cpu_s": statistics.median(cpus), "calls": calls}
