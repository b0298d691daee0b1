"""The machine's limits, measured in a process of their own: sgemm, copy bandwidth, FMA peak.

``sgemm_gflops``: ``np.matmul`` of two 2048x2048 float32 matrices (OpenBLAS with its default
threads). ``copy_gbps``: ``np.copyto`` of a 64 MB array, bytes read + written.
``fma_peak_gflops``: one core running a register-only loop of independent vector FMAs, compiled
for this CPU by the C compiler that builds the kernels (``None`` without one).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import numpy as np

SGEMM_N = 2048
COPY_BYTES = 64 * 2**20

# 16 independent accumulators hide the FMA latency (4 cycles x 2 pipes on current x86);
# vector_size 64 is one AVX-512 register, two AVX2 ones: -march=native picks what exists.
FMA_SOURCE = r"""
typedef float v16 __attribute__((vector_size(64)));
double fma_loop(long iterations) {
    v16 acc[16], a, b;
    for (int j = 0; j < 16; j++) { acc[j] = (v16){0} + (float)j; }
    a = (v16){0} + 0.999999f; b = (v16){0} + 1e-7f;
    for (long i = 0; i < iterations; i++) {
        #pragma GCC unroll 16
        for (int j = 0; j < 16; j++) acc[j] = acc[j] * a + b;
    }
    float s = 0;
    for (int j = 0; j < 16; j++) for (int l = 0; l < 16; l++) s += acc[j][l];
    return s;
}
"""
FMA_FLOPS_PER_ITERATION = 16 * 16 * 2


def _median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sgemm_gflops(quick: bool = False, repeats: int = 5) -> float:
    n = 256 if quick else SGEMM_N
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    return 2 * n**3 / _median_seconds(lambda: a @ b, repeats) / 1e9


def copy_gbps(quick: bool = False, repeats: int = 10) -> float:
    n = (COPY_BYTES // 16 if quick else COPY_BYTES) // 4
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    return 2 * src.nbytes / _median_seconds(lambda: np.copyto(dst, src), repeats) / 1e9


def fma_peak_gflops(quick: bool = False, repeats: int = 5):
    """GFLOP/s of one core (the calling thread), or ``None`` when no C compiler is found."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, lib = os.path.join(tmp, "fma.c"), os.path.join(tmp, "fma.so")
        with open(src, "w") as f:
            f.write(FMA_SOURCE)
        build = subprocess.run([cc, "-O2", "-march=native", "-ffp-contract=fast", "-shared",
                                "-fPIC", "-o", lib, src], capture_output=True, text=True)
        if build.returncode != 0:
            return None
        loop = ctypes.CDLL(lib).fma_loop
        loop.argtypes, loop.restype = [ctypes.c_long], ctypes.c_double
        iterations = 2_000_000 if quick else 20_000_000
        seconds = _median_seconds(lambda: loop(iterations), repeats)
    return FMA_FLOPS_PER_ITERATION * iterations / seconds / 1e9


def measure(quick: bool = False) -> dict:
    return {"sgemm_gflops": sgemm_gflops(quick), "copy_gbps": copy_gbps(quick),
            "fma_peak_gflops_per_core": fma_peak_gflops(quick)}
