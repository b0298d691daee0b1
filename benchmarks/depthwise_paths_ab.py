"""The depthwise kernels of one build on the sweep's depthwise shapes, calls alternated.

``depthwise_conv`` routes each call by shape (docs/design/kernels.md §6): channels_first rows
of 10 pixels or more to the plane kernel (``convkit.ops.depthwise._use_planes``), then to the
channel-block kernel (``_use_channel_blocks``) or the row kernels, whose 3x3 stride-1 rows run
in pairs. This forces each path in turn, call after call in one process, and prints the median
time of each ("auto" is the routing as shipped; "rows1" the row kernels one row at a time) with
the ratio to the first path: the instrument behind the routing rules. On a shared machine use
``--threads 1`` (process CPU time, which time-slicing barely affects)::

    python benchmarks/depthwise_paths_ab.py --rows f17 e6 --variants b1 b8 b8cf --threads 1
    python benchmarks/depthwise_paths_ab.py --variants b8cf --paths planes blocks rows
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import convkit  # noqa: E402
import convkit.ops.depthwise as depthwise_module  # noqa: E402
from convkit import ops  # noqa: E402

# the sweep's depthwise rows (benchmarks/sweep.py DEPTHWISE_LAYERS): size, channels, k, stride
ROWS = {"f1": (112, 32, 3, 1), "f2s2": (112, 96, 3, 2), "f4": (56, 144, 3, 1),
        "f7": (28, 192, 3, 1), "f11": (14, 384, 3, 1), "f17": (7, 960, 3, 1),
        "e5s2": (56, 144, 5, 2), "e5": (28, 240, 5, 1), "e6": (7, 1152, 5, 1)}
VARIANTS = {"b1": (1, "channels_last"), "b8": (8, "channels_last"),
            "b8cf": (8, "channels_first")}
ROUTED = depthwise_module._use_channel_blocks, depthwise_module._use_planes
PATHS = ["rows", "rows1", "blocks", "planes", "auto"]


def _route(path: str) -> None:
    """Route every following call to ``path`` ("planes" is for channels_first only)."""
    blocks, planes = ROUTED
    if path != "auto":
        blocks = lambda *a: path == "blocks"  # noqa: E731
        planes = lambda *a: path == "planes"  # noqa: E731
    depthwise_module._use_channel_blocks = blocks
    depthwise_module._use_planes = planes
    depthwise_module._dw._set_row_pairs(path != "rows1")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--paths", nargs="+", default=["rows", "blocks"], choices=PATHS)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    # CPU time on one thread (robust to time-slicing); wall time with a team
    clock = time.process_time if args.threads == 1 else time.perf_counter
    rng = np.random.default_rng(0)
    try:
        with convkit.num_threads(args.threads):
            for row in args.rows:
                size, c, k, s = ROWS[row]
                for var in args.variants:
                    n, fmt = VARIANTS[var]
                    paths = [p for p in args.paths
                             if p != "planes" or fmt == "channels_first"]
                    x = rng.standard_normal((n, size, size, c)).astype(np.float32)
                    if fmt == "channels_first":
                        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
                    dk = (rng.standard_normal((k, k, c, 1)) / k).astype(np.float32)
                    packed = ops.pack_depthwise_kernel(dk)
                    b = rng.standard_normal(c).astype(np.float32)

                    def call(x=x, packed=packed, b=b, s=s, fmt=fmt):
                        return ops.depthwise_conv(x, packed, s, "same", fmt, bias=b)
                    times = {p: [] for p in paths}
                    for p in paths:
                        _route(p)
                        call()
                    for _ in range(args.repeats):
                        for p in paths:
                            _route(p)
                            t0 = clock()
                            call()
                            times[p].append(clock() - t0)
                    med = {p: statistics.median(v) * 1e3 for p, v in times.items()}
                    first = med[paths[0]]
                    print(f"{row}.{var:5s} " + "  ".join(
                        f"{p} {m:8.3f} ms (x{first / m:4.2f})" for p, m in med.items()),
                        flush=True)
    finally:
        _route("auto")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
