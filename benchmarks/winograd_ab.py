"""Winograd against the direct kernel in one process: same inputs, calls alternated.

The in-process A/B of the two algorithms ``ops.conv`` can run on a 3x3 stride-1 2-D
convolution (``algorithm="direct"`` and ``"winograd"``), on the suite's cases. Alternating
the two call after call is what makes a ratio meaningful on a shared machine; the spread of
the per-pair ratios says how much to trust it. Also prints each algorithm's error against a
float64 oracle (the direct kernel in float64), relative to the largest output::

    python benchmarks/winograd_ab.py [--cases conv2d_large conv2d_mid conv2d_large_cf]
                                     [--threads 2] [--repeats 30] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import convkit  # noqa: E402
from benchmarks import suite  # noqa: E402  (the suite's case tables)
from convkit import ops  # noqa: E402
from convkit.ops.conv import pack_conv_kernel  # noqa: E402

ALGORITHMS = ("direct", "winograd")
# the suite's convolutions the Winograd kernel can run
CASES = [k for k, v in suite.CONV_TABLE.items()
         if v[0] == "conv" and len(v[2]) == 2 and v[5] == 3 and v[6] == 1 and v[10] == 1]


def _quartiles(values: list) -> tuple:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[2]


def run_case(case_id: str, repeats: int, quick: bool) -> str:
    _, n, spatial, c, f, k, s, padding, dtype, data_format, dilation = suite.CONV_TABLE[case_id]
    if quick:
        n, spatial, c, f = suite.CONV_QUICK[case_id]
    rng = np.random.default_rng(0)
    shape = (n, *spatial, c) if data_format == "channels_last" else (n, c, *spatial)
    x = rng.uniform(-1, 1, shape).astype(dtype)
    kernel = rng.uniform(-1, 1, (k, k, c, f)).astype(dtype)
    packed = pack_conv_kernel(kernel)
    oracle = ops.conv(x.astype(np.float64), kernel.astype(np.float64), s, padding,
                      data_format, dilation, algorithm="direct")
    scale = float(np.abs(oracle).max())

    def call(algorithm):
        return lambda: ops.conv(x, packed, s, padding, data_format, dilation,
                                algorithm=algorithm)

    calls = [call(a) for a in ALGORITHMS]
    errors = [float(np.abs(fn() - oracle).max()) / scale for fn in calls]  # also warms up
    times = [[] for _ in calls]
    for _ in range(repeats):
        for i, fn in enumerate(calls):
            t = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t)
    ratios = [d / w for d, w in zip(*times, strict=True)]   # per alternated pair
    lo, hi = _quartiles(ratios)
    med = [1e3 * statistics.median(t) for t in times]
    return (f"{case_id:18s} {med[0]:9.2f} {med[1]:9.2f}  {statistics.median(ratios):5.2f}x "
            f"[{lo:4.2f}-{hi:4.2f}]  {errors[0]:9.2e} {errors[1]:9.2e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=None, help=f"from {CASES}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="the suite's tiny CI shapes")
    args = parser.parse_args(argv)
    cases = args.cases or CASES
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown cases: {unknown}; choose from {CASES}")
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be >= 1")
    convkit.set_num_threads(args.threads)
    print(f"direct vs winograd, {args.threads} threads, {args.repeats} alternated pairs; "
          "ms are medians, speed-up = median of per-pair ratios [quartiles], error = max "
          "|y - float64 oracle| / max |oracle|")
    print(f"{'case':18s} {'direct ms':>9s} {'wino ms':>9s}  {'speed-up':16s}  "
          f"{'err dir':>9s} {'err wino':>9s}")
    for case_id in cases:
        print(run_case(case_id, args.repeats, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
