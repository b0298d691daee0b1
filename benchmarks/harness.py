"""Timing harness shared by every benchmark module: cases, interleaved peers, machine limits.

A *case* is one layer-sized problem with several *peers* (convkit, PyTorch CPU, a NumPy
reference, Keras on jax) that compute the same thing. Peers are timed interleaved
(a seeded shuffle of the peers every round) after a warm-up, so slow drifts of a shared
machine, and what one peer leaves in the caches for the next, hit all of them alike;
each figure is a median with min and max beside it. Process CPU time is recorded too: on a
busy machine GFLOP per CPU-second is steadier than wall time for 1-thread runs.

Every result is a ratio measured in the same run: against PyTorch, and against the machine's
limits (``np.matmul`` sgemm GFLOP/s for compute-bound cases, ``np.copyto`` GB/s for
memory-bound ones).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# libgomp threads spin after each parallel region by default; on a shared 2-core machine
# convkit's, torch's and OpenBLAS's spinning threads steal each other's slices. Passive
# waiting is set before any of them is imported (the runner prints the policy it used).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
# OpenBLAS's own pool (NumPy's matmul: the NumPy reference, the sgemm limit) ignores that and
# spins up to 2**28 cycles after every call, so whichever peer ran next shared the cores with
# it: torch's conv1d_causal (2 threads) took 6.3 ms alone and 10.3 ms right after a 512x512
# matmul; 7.3 and 7.5 ms with 2**4 cycles, after which its threads sleep.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402

SGEMM_N = 2048
COPY_BYTES = 64 * 2**20


@dataclass
class Case:
    """One benchmark problem. ``work`` is FLOPs (2 x multiply-adds) for ``kind="compute"``
    and bytes read + written for ``kind="memory"``."""

    id: str
    kind: str
    work: float
    peers: dict
    dtype: str = "float32"
    data_format: str = "channels_last"
    shape: str = ""
    note: str = ""
    # optional: peer name -> function turning that peer's output into a channels_last array,
    # to check the peers agree before timing them
    to_numpy: dict = field(default_factory=dict)


def _timed(fn: Callable) -> tuple:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def check_agreement(case: Case, rtol: float = 1e-4) -> None:
    """Raise if a peer computes something else than convkit (compare like with like)."""
    reference = np.asarray(case.peers["convkit"]())
    scale = float(np.max(np.abs(reference))) if reference.size else 1.0
    for name, fn in case.peers.items():
        if name == "convkit" or name not in case.to_numpy:
            continue
        got = case.to_numpy[name](fn())
        err = float(np.max(np.abs(got - reference))) if reference.size else 0.0
        if got.shape != reference.shape or err > rtol * max(scale, 1.0):
            raise AssertionError(f"{case.id}: peer {name} disagrees with convkit "
                                 f"(shape {got.shape} vs {reference.shape}, max err {err:.3g})")


def time_case(case: Case, repeats: int, warmup: int = 2, slow_peer_limit_s: float = 5.0
              ) -> dict:
    """Time every peer of ``case``; returns ``{peer: {median_s, min_s, max_s, cpu_s}}``.

    A peer whose first call takes longer than ``slow_peer_limit_s`` (the NumPy reference on
    big shapes) is timed with that single call, so the run stays short; it is marked.
    """
    peers = dict(case.peers)
    results = {}
    for name in list(peers):
        first, _ = _timed(peers[name])
        if name != "convkit" and first > slow_peer_limit_s:
            results[name] = {"median_s": first, "min_s": first, "max_s": first,
                             "cpu_s": None, "single_call": True}
            del peers[name]
    for fn in peers.values():
        for _ in range(warmup):
            fn()
    walls = {name: [] for name in peers}
    cpus = {name: [] for name in peers}
    order = list(peers)
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        # a new order every round: each peer inherits the caches and spinning threads of the
        # one before it (after the NumPy oracle, memory-bound cases ran up to 20 % slower), and
        # a fixed or rotated order would hand the same predecessor to the same peer every time
        shuffle(order)
        for name in order:
            wall, cpu = _timed(peers[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    for name in peers:
        results[name] = {"median_s": statistics.median(walls[name]), "min_s": min(walls[name]),
                         "max_s": max(walls[name]), "cpu_s": statistics.median(cpus[name]),
                         "single_call": False}
    return results


def sgemm_gflops(quick: bool = False, repeats: int = 5) -> float:
    """Median GFLOP/s of ``np.matmul`` on two square float32 matrices (2048², 256² quick)."""
    n = 256 if quick else SGEMM_N
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    a @ b
    times = [_timed(lambda: a @ b)[0] for _ in range(repeats)]
    return 2 * n**3 / statistics.median(times) / 1e9


def copy_gbps(quick: bool = False, repeats: int = 10) -> float:
    """Median GB/s (bytes read + written) of ``np.copyto`` on a 64 MB float32 array."""
    n = (COPY_BYTES // 16 if quick else COPY_BYTES) // 4
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    times = [_timed(lambda: np.copyto(dst, src))[0] for _ in range(repeats)]
    return 2 * src.nbytes / statistics.median(times) / 1e9


def rows_for(case: Case, timings: dict, limits: dict, n_threads: int) -> dict:
    """One result row: per-peer times and rates, convkit's ratio to torch and to the limit."""
    unit = "gflops" if case.kind == "compute" else "gbps"
    limit = limits["sgemm_gflops"] if case.kind == "compute" else limits["copy_gbps"]
    row = {"id": case.id, "kind": case.kind, "dtype": case.dtype,
           "data_format": case.data_format, "shape": case.shape, "note": case.note,
           "threads": n_threads, "unit": unit, "peers": {}}
    for name, t in timings.items():
        rate = case.work / t["median_s"] / 1e9
        cpu_rate = case.work / t["cpu_s"] / 1e9 if t.get("cpu_s") else None
        row["peers"][name] = {**t, unit: rate, f"cpu_{unit}": cpu_rate}
    ck = row["peers"]["convkit"]
    row["pct_of_limit"] = 100 * ck[unit] / limit if limit else None
    row["vs_torch"] = (row["peers"]["torch"]["median_s"] / ck["median_s"]
                       if "torch" in row["peers"] else None)
    return row
