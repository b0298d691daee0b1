"""Compare builds of the ``_resample`` kernels in one process: same inputs, calls alternated.

The memory-bound cases of the suite (``suite._memory_cases``: b8 128x128 C64 float32,
channels_last) run straight on the kernel entry points of each build, into a fresh output
every call (as the layers do: ``np.empty``, so the first write faults the pages in) and, with
``--prealloc``, also into one output allocated once (the share of the time that is page
faults). Build each variant, copy its ``.so`` aside, then::

    python benchmarks/resample_ab.py old/_resample.so new/_resample.so [--threads 2]
                                     [--repeats 15] [--prealloc]

Prints the median ms and GB/s (bytes read + written, as the suite counts them) per build, the
new/old speed ratio, and whether the outputs are bit-identical; then the same from the CPU
time of the process (all threads, user + system: on a machine loaded by other work, time
spent waiting for a core does not count, memory stalls and page faults do). On a shared
machine compare the ratios, not the absolute times.
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
from convkit.ops.resample import tap_table  # noqa: E402


def cases(batch: int, size: int, chans: int) -> dict:
    """name -> (input, output shape, call(module, x, out)); arrays are 5-D (N, 1, H, W, C)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, size, size, chans), dtype=np.float32)
    xb = x.view(np.uint8).reshape(batch, 1, size, size, chans * 4)
    one = tap_table(1, 1, "bilinear", np.float32)
    tab = tap_table(size, 2, "bilinear", np.float32)
    n_threads = convkit.get_num_threads()

    def nearest(k, out):
        k.upsample_nearest(xb, out.view(np.uint8).reshape(*out.shape[:4], -1), 1, 2, 2,
                           n_threads)

    def bilinear(k, out):
        k.resample(x, out, one.start, one.weights, tab.start, tab.weights, tab.start,
                   tab.weights, 2, tab.q_lo, tab.q_hi, n_threads)

    def window(offset):
        def run(k, out):
            k.window_copy(xb, out.view(np.uint8).reshape(*out.shape[:4], -1), 0, offset,
                          offset, n_threads)
        return run

    s2, crop = 2 * size, 8
    return {"upsample2d_nearest": (x, (batch, 1, s2, s2, chans), nearest),
            "upsample2d_bilinear": (x, (batch, 1, s2, s2, chans), bilinear),
            "zeropad2d": (x, (batch, 1, size + 2, size + 2, chans), window(1)),
            "crop2d": (x, (batch, 1, size - 2 * crop, size - 2 * crop, chans), window(-crop))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--prealloc", action="store_true",
                        help="also time writing into an output allocated once")
    parser.add_argument("--cases", nargs="*", default=None)
    args = parser.parse_args(argv)
    convkit.set_num_threads(args.threads)
    builds = {"old": load_build(args.old, "_resample"), "new": load_build(args.new, "_resample")}
    modes = ("fresh", "prealloc") if args.prealloc else ("fresh",)
    for name, (x, shape, call) in cases(8, 128, 64).items():
        if args.cases and name not in args.cases:
            continue
        nbytes = x.nbytes + int(np.prod(shape)) * 4
        outs = {}
        for mode in modes:
            kept = {b: np.empty(shape, np.float32) for b in builds}
            times = {b: [] for b in builds}
            cpu = {b: [] for b in builds}
            for _ in range(args.repeats):
                for b, k in builds.items():
                    out = np.empty(shape, np.float32) if mode == "fresh" else kept[b]
                    c0, t0 = time.process_time(), time.perf_counter()
                    call(k, out)
                    times[b].append(time.perf_counter() - t0)
                    cpu[b].append(time.process_time() - c0)
                    outs[b] = out
                    del out
            same = np.array_equal(outs["old"].view(np.uint32), outs["new"].view(np.uint32))
            for clock, samples in (("wall", times), ("cpu", cpu)):
                med = {b: statistics.median(t) for b, t in samples.items()}
                print(f"{name:20s} {mode:8s} {clock:4s} "
                      + "  ".join(f"{b} {med[b] * 1e3:7.2f} ms {nbytes / med[b] / 1e9:5.1f} GB/s"
                                  for b in builds)
                      + f"  new/old speed {med['old'] / med['new']:.2f}x  identical={same}")


if __name__ == "__main__":
    main()
