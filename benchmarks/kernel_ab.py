"""Compare builds of one conv kernel module in one process: same inputs, calls alternated.

This is the tool for A/B-testing two builds of one kernel: both sides run in the same process,
with the same threads and the same OpenMP runtime, so only the kernel differs. Comparing
convkit with other libraries is ``benchmarks/run.py``'s job (one process per library).

Whole-suite runs on a shared machine swing by 5-10 %; a kernel change worth 1-5 % only shows
when the old and the new build run side by side, call after call. Build each variant, copy its
``.so`` somewhere, then::

    python benchmarks/kernel_ab.py old/_conv.so new/_conv.so [--cases conv3d conv2d_mid]
                                   [--threads 2] [--repeats 20]
    python benchmarks/kernel_ab.py old/_depthwise.so new/_depthwise.so --cases sepconv2d --cold

``--cold`` writes a buffer twice the size of the last-level cache before every call (caches
as other work leaves them): memory-bound kernels (depthwise, separable) rank differently with
their data in L3 and without.

Prints the median GFLOP/s (conv) or ms (depthwise cases) of each build, and whether the
outputs are bit-identical. The modules must come from the same ISA copy as each other (they
pack their own weights through ``tile_info``); which copy does not matter. Conv builds must
also share the ``DirectConvJob`` record of the running ``ops/_direct.py`` (builds from before
the record, which took a flat geometry vector, cannot be compared this way: use
``benchmarks/bit_identity.py`` and separate processes instead).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import convkit  # noqa: E402
from benchmarks import suite  # noqa: E402  (the suite's case tables)
from convkit import ops  # noqa: E402

# the suite's cases that run on each kernel module
CONV_CASES = {k: v for k, v in suite.CONV_TABLE.items() if v[0] == "conv"}
SEPARABLE_CASES = {spec["id"]: spec for spec in suite.separable_specs()}


def load_build(path: str, module: str):
    """Load one build of ``convkit._kernels.<isa>.<module>`` from ``path`` (not registered)."""
    spec = importlib.util.spec_from_file_location(f"convkit._kernels.ab.{module}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


COLD_BYTES = 64 * 2**20   # twice the 32 MB L3 of the machines we measure on


def cache_evictor():
    """A function that evicts the caches by writing a buffer larger than them (``--cold``)."""
    src = np.ones(COLD_BYTES // 4, np.float32)
    dst = np.empty_like(src)
    return lambda: np.copyto(dst, src)


def _alternate(calls: list, repeats: int, before=None, warmup: int = 2) -> tuple[list, list]:
    """Median seconds of each call, run in turn ``repeats`` times; outputs of the first round.
    ``before`` (untimed) runs before every call."""
    times = [[] for _ in calls]
    outs = []
    for r in range(warmup + repeats):
        for i, call in enumerate(calls):
            if before is not None:
                before()
            t = time.perf_counter()
            y = call()
            dt = time.perf_counter() - t
            if r == 0:
                outs.append(y)
            if r >= warmup:
                times[i].append(dt)
    return [statistics.median(t) for t in times], outs


def conv_case(case_id: str, builds: list, repeats: int, before=None) -> str:
    conv_module = sys.modules["convkit.ops.conv"]
    direct_module = sys.modules["convkit.ops._direct"]  # packs with, and calls, its ``_conv``
    _, n, spatial, c, f, k, s, padding, dtype, data_format, dilation = CONV_CASES[case_id]
    rng = np.random.default_rng(0)
    shape = (n, *spatial, c) if data_format == "channels_last" else (n, c, *spatial)
    x = rng.uniform(-1, 1, shape).astype(dtype)
    kernel = rng.uniform(-1, 1, (k,) * len(spatial) + (c, f)).astype(dtype)
    original = direct_module._conv

    def call(mod):
        packed = conv_module.pack_conv_kernel(kernel)  # packed by ``mod`` on its first call

        def run():
            direct_module._conv = mod
            try:
                return ops.conv(x, packed, s, padding, data_format, dilation)
            finally:
                direct_module._conv = original
        return run

    medians, outs = _alternate([call(mod) for mod in builds], repeats, before)
    flops = 2 * outs[0].size * k ** len(spatial) * c
    rates = "  ".join(f"{flops / m / 1e9:7.1f}" for m in medians)
    return f"{case_id:16s} {rates}  GFLOP/s  {_same(outs)}"


def separable_case(case_id: str, builds: list, repeats: int, before=None) -> str:
    depthwise_module = sys.modules["convkit.ops.depthwise"]
    spec = SEPARABLE_CASES[case_id]
    n, size, c, m, k = spec["batch"], spec["size"], spec["c"], spec["m"], spec["k"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, size, size, c)).astype(spec["dtype"])
    dk = rng.standard_normal((k, k, c, m)).astype(spec["dtype"])
    pk = (rng.standard_normal((1, 1, c * m, spec["f"])).astype(spec["dtype"])
          if spec["kind"] == "separable" else None)
    original = depthwise_module._dw

    def call(mod):
        def run():
            depthwise_module._dw = mod
            try:
                if pk is None:
                    return ops.depthwise_conv(x, dk, 1, "same")
                return ops.separable_conv(x, dk, pk, 1, "same")
            finally:
                depthwise_module._dw = original
        return run

    medians, outs = _alternate([call(mod) for mod in builds], repeats, before)
    times = "  ".join(f"{1e3 * m:7.3f}" for m in medians)
    return f"{case_id:16s} {times}  ms       {_same(outs)}"


def _same(outs: list) -> str:
    return "identical" if all(np.array_equal(outs[0], o) for o in outs) else "DIFFERENT"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", nargs="+", help="paths of the .so builds to compare")
    parser.add_argument("--cases", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cold", action="store_true",
                        help="evict the caches before every call (as the suite's peers do)")
    args = parser.parse_args(argv)
    if len(args.builds) < 2:
        parser.error("give at least two builds")
    module = os.path.basename(args.builds[0]).split(".")[0]
    if module not in ("_conv", "_depthwise"):
        parser.error("builds must be _conv or _depthwise kernel modules")
    table = CONV_CASES if module == "_conv" else SEPARABLE_CASES
    cases = args.cases or list(table)
    unknown = [c for c in cases if c not in table]
    if unknown:
        parser.error(f"unknown cases for {module}: {unknown}; choose from {list(table)}")
    builds = [load_build(path, module) for path in args.builds]
    convkit.set_num_threads(args.threads)
    before = cache_evictor() if args.cold else None
    print(f"{module}: {len(builds)} builds, {args.threads} threads, {args.repeats} repeats"
          f"{', cold caches' if args.cold else ''} (columns in the order given)")
    run_case = conv_case if module == "_conv" else separable_case
    for case_id in cases:
        print(run_case(case_id, builds, args.repeats, before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
