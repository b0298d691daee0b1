"""Compare builds of the pooling kernel module in one process: same inputs, calls alternated.

The pooling counterpart of ``kernel_ab.py``: the suite's pooling shapes (b8 112x112 C64
float32, 2x2 and 3x3 stride 2 "same"), each of the four kernels (max and average forward,
their gradients) of two ``_pool`` builds, call after call. Build each variant, copy its
``.so`` somewhere, then::

    python benchmarks/pool_ab.py old/_pool.so new/_pool.so [--threads 1 2] [--repeats 30]

Prints, per kernel and thread count, the median and the minimum ms of each build and the
ratio old / new of both (on a loaded machine the minimum is the steadier of the two), and
whether the two builds' outputs are bit-identical. "max backward" is what
``MaxPooling2D.backward(x, dy)`` runs in each build: the routing forward and the gradient
(one-byte window offsets without the maxima where the build has ``max_pool_taps``, else the
int32 argmax and the maxima).
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
from benchmarks.kernel_ab import load_build  # noqa: E402
from convkit.ops import pooling  # noqa: E402


def _geometry(shape, pool, stride):
    geo = pooling._Geometry(shape, (pool, pool), (stride, stride), "same", "channels_last")
    return geo, pooling._kernel_shape(geo.output_shape, "channels_last")


def _calls(mod, x5, dy5, geo, threads):
    """name -> zero-argument call of one kernel of ``mod`` returning its output(s)."""
    out_shape = dy5.shape
    arg = np.empty(out_shape, np.int32)
    mod.max_pool(x5, np.empty(out_shape, x5.dtype), arg, *geo.args, threads)

    def max_fwd():
        y, a = np.empty(out_shape, x5.dtype), np.empty(out_shape, np.int32)
        mod.max_pool(x5, y, a, *geo.args, threads)
        return y, a

    def avg_fwd():
        y = np.empty(out_shape, x5.dtype)
        mod.avg_pool(x5, y, *geo.args, threads)
        return (y,)

    def max_grad():
        dx = np.empty(x5.shape, x5.dtype)
        mod.max_pool_grad(dy5, arg, dx, *geo.args, threads)
        return (dx,)

    def avg_grad():
        dx = np.empty(x5.shape, x5.dtype)
        mod.avg_pool_grad(dy5, dx, *geo.args, threads)
        return (dx,)

    def max_backward():
        dx = np.empty(x5.shape, x5.dtype)
        if hasattr(mod, "max_pool_taps"):
            taps = np.empty(out_shape, np.uint8)
            mod.max_pool_taps(x5, None, taps, *geo.args, threads)
            mod.max_pool_taps_grad(dy5, taps, dx, *geo.args, threads)
        else:
            y, a = np.empty(out_shape, x5.dtype), np.empty(out_shape, np.int32)
            mod.max_pool(x5, y, a, *geo.args, threads)
            mod.max_pool_grad(dy5, a, dx, *geo.args, threads)
        return (dx,)
    return {"max fwd+argmax": max_fwd, "avg fwd": avg_fwd, "max grad": max_grad,
            "avg grad": avg_grad, "max backward": max_backward}


def _alternate(a, b, repeats):
    times = ([], [])
    outs = (a(), b())
    for _ in range(2):
        a(), b()
    for _ in range(repeats):
        for i, call in enumerate((a, b)):
            t = time.perf_counter()
            call()
            times[i].append(time.perf_counter() - t)
    return times, outs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--pools", type=int, nargs="+", default=[2, 3])
    args = parser.parse_args(argv)
    old, new = load_build(args.old, "_pool"), load_build(args.new, "_pool")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 112, 112, 64)).astype(np.float32)
    x5 = x.reshape(8, 1, 112, 112, 64)
    print(f"{'case':24} thr  old med  new med  ratio | old min  new min  ratio  bits")
    for pool in args.pools:
        geo, out5 = _geometry(x.shape, pool, 2)
        dy5 = rng.standard_normal(out5).astype(np.float32)
        for threads in args.threads:
            convkit.set_num_threads(threads)
            calls_old = _calls(old, x5, dy5, geo, threads)
            calls_new = _calls(new, x5, dy5, geo, threads)
            for name in calls_old:
                (t_old, t_new), (o_old, o_new) = _alternate(calls_old[name], calls_new[name],
                                                            args.repeats)
                same = all(np.array_equal(p, q) for p, q in zip(o_old, o_new, strict=True))
                mo, mn = statistics.median(t_old) * 1e3, statistics.median(t_new) * 1e3
                lo, ln = min(t_old) * 1e3, min(t_new) * 1e3
                print(f"{name + f' {pool}x{pool}':24} {threads:3d} {mo:8.3f} {mn:8.3f} "
                      f"{mo / mn:6.2f} | {lo:7.3f} {ln:8.3f} {lo / ln:6.2f}  "
                      f"{'same' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
