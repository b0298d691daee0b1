"""Winograd against the direct kernel in one process: same inputs, calls alternated.

The in-process A/B of the two algorithms ``ops.conv`` can run on a 3x3 stride-1 2-D or
3x3x3 stride-1 3-D convolution (``algorithm="direct"`` and ``"winograd"``), on the suite's
cases and the sweep's 3-D rows (``sweep:<network> <layer> b<batch>``), and with
``--input-gradient`` on ``ops.conv_input_gradient`` of the same layers. Alternating the two
call after call is what makes a ratio meaningful on a shared machine; the spread of the
per-pair ratios says how much to trust it. Also prints each algorithm's error against a
float64 oracle (the direct kernel in float64), relative to the largest output::

    python benchmarks/winograd_ab.py [--cases conv2d_large conv3d "sweep:C3D conv3b b1" ...]
                                     [--threads 2] [--repeats 30] [--quick]
                                     [--input-gradient]
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
from benchmarks import suite, sweep  # noqa: E402  (the suite's and sweep's case tables)
from convkit import ops  # noqa: E402
from convkit.ops.conv import pack_conv_kernel  # noqa: E402
from convkit.ops.conv_transpose import pack_conv_transpose_kernel  # noqa: E402

ALGORITHMS = ("direct", "winograd")
# the suite's convolutions the Winograd kernel can run
CASES = [k for k, v in suite.CONV_TABLE.items()
         if v[0] == "conv" and len(v[2]) in (2, 3) and v[5] == 3 and v[6] == 1 and v[10] == 1]
# the sweep's 3-D 3x3x3 stride-1 layers with enough channels for "auto" to pick Winograd,
# at batch 1 and the family's training batch: name -> (batch, spatial, cin, cout)
SWEEP_3D = {
    f"sweep:{net} {layer} b{batch}": (batch, spatial, cin, cout)
    for net, layer, kind, spatial, cin, cout, k, s, d, g, _ in sweep.CONV_LAYERS
    if kind == "conv" and len(spatial) == 3 and (k, s, d, g) == (3, 1, 1, 1) and cin >= 16
    and min(spatial[1:]) >= 8
    for batch in (1, sweep.TRAINING_BATCH.get(net, sweep.DEFAULT_TRAINING_BATCH))
}
SWEEP_QUICK = (1, (4, 8, 8), 16, 16)


def _quartiles(values: list) -> tuple:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[2]


def case_table(case_id: str, quick: bool) -> tuple:
    """``(n, spatial, c, f, padding, dtype, data_format)`` of a suite case or sweep row."""
    if case_id in SWEEP_3D:
        n, spatial, c, f = SWEEP_QUICK if quick else SWEEP_3D[case_id]
        return n, spatial, c, f, "same", "float32", "channels_last"
    _, n, spatial, c, f, _, _, padding, dtype, data_format, _ = suite.CONV_TABLE[case_id]
    if quick:
        n, spatial, c, f = suite.CONV_QUICK[case_id]
    return n, spatial, c, f, padding, dtype, data_format


def run_case(case_id: str, repeats: int, quick: bool, input_gradient: bool = False) -> str:
    n, spatial, c, f, padding, dtype, data_format = case_table(case_id, quick)
    rng = np.random.default_rng(0)
    shape = (n, *spatial, c) if data_format == "channels_last" else (n, c, *spatial)
    x = rng.uniform(-1, 1, shape).astype(dtype)
    kernel = rng.uniform(-1, 1, (3,) * len(spatial) + (c, f)).astype(dtype)
    if input_gradient:
        y = ops.conv(x, kernel, 1, padding, data_format, algorithm="direct")
        dy = rng.uniform(-1, 1, y.shape).astype(dtype)
        packed = pack_conv_transpose_kernel(kernel, 1)
        oracle = ops.conv_input_gradient(dy.astype(np.float64), kernel.astype(np.float64),
                                         x.shape, 1, padding, data_format, algorithm="direct")

        def call(algorithm):
            return lambda: ops.conv_input_gradient(dy, packed, x.shape, 1, padding,
                                                   data_format, algorithm=algorithm)
    else:
        packed = pack_conv_kernel(kernel)
        oracle = ops.conv(x.astype(np.float64), kernel.astype(np.float64), 1, padding,
                          data_format, algorithm="direct")

        def call(algorithm):
            return lambda: ops.conv(x, packed, 1, padding, data_format, algorithm=algorithm)
    scale = float(np.abs(oracle).max())

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
    return (f"{case_id:28s} {med[0]:9.2f} {med[1]:9.2f}  {statistics.median(ratios):5.2f}x "
            f"[{lo:4.2f}-{hi:4.2f}]  {errors[0]:9.2e} {errors[1]:9.2e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=None,
                        help=f"from {CASES + list(SWEEP_3D)}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="the suite's tiny CI shapes")
    parser.add_argument("--input-gradient", action="store_true",
                        help="time conv_input_gradient of the layers instead of conv")
    args = parser.parse_args(argv)
    cases = args.cases or CASES
    unknown = [c for c in cases if c not in CASES and c not in SWEEP_3D]
    if unknown:
        parser.error(f"unknown cases: {unknown}; choose from {CASES + list(SWEEP_3D)}")
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be >= 1")
    convkit.set_num_threads(args.threads)
    what = "conv_input_gradient" if args.input_gradient else "conv"
    print(f"{what}: direct vs winograd, {args.threads} threads, {args.repeats} alternated pairs; "
          "ms are medians, speed-up = median of per-pair ratios [quartiles], error = max "
          "|y - float64 oracle| / max |oracle|")
    print(f"{'case':28s} {'direct ms':>9s} {'wino ms':>9s}  {'speed-up':16s}  "
          f"{'err dir':>9s} {'err wino':>9s}")
    for case_id in cases:
        print(run_case(case_id, args.repeats, args.quick, args.input_gradient), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
