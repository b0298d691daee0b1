"""Old tree vs new tree timing of the depthwise, separable and resampling benchmark cases.

Each round starts one process per tree, alternating old/new (the order flips every round), so
both builds see the same machine load over time; each process times every case (median of
``--repeats`` calls after a warm-up) with ``convkit`` imported from its own tree. The report
gives per case the median over rounds of each tree's per-process median and the ratio
new/old (above 1: new slower); for one thread also the process CPU time per call ("cpu"),
which time-slicing by other processes on a shared machine barely affects.

    python benchmarks/ab_trees_dw.py /work/wt-base /work/wt-dw --rounds 5 --threads 1 2

(``run`` is the per-process mode the driver calls.)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def _cases():
    from convkit import ops

    rng = np.random.default_rng(0)
    out = {}
    for dtype in ("float32", "float64"):
        x = rng.standard_normal((8, 56, 56, 128)).astype(dtype)
        k = (rng.standard_normal((3, 3, 128, 1)) / 3).astype(dtype)
        out[f"depthwise2d/{dtype}"] = lambda x=x, k=k: ops.depthwise_conv(x, k, padding="same")
        xs = rng.standard_normal((8, 64, 64, 64)).astype(dtype)
        ks = (rng.standard_normal((3, 3, 64, 1)) / 3).astype(dtype)
        ps = (rng.standard_normal((1, 1, 64, 64)) / 8).astype(dtype)
        out[f"sepconv2d/{dtype}"] = lambda xs=xs, ks=ks, ps=ps: ops.separable_conv(
            xs, ks, ps, padding="same")
    xm = rng.standard_normal((8, 128, 128, 64)).astype(np.float32)
    out["upsample2d_nearest"] = lambda: ops.upsample(xm, (2, 2))
    out["upsample2d_bilinear"] = lambda: ops.upsample(xm, (2, 2), interpolation="bilinear")
    out["zeropad2d"] = lambda: ops.zero_pad(xm, [(1, 1), (1, 1)])
    out["crop2d"] = lambda: ops.crop(xm, [(8, 8), (8, 8)])
    # small calls, where the thread decision and per-call overheads show
    xt = rng.standard_normal((1, 16, 16, 16)).astype(np.float32)
    kt = rng.standard_normal((3, 3, 16, 1)).astype(np.float32)
    pt = rng.standard_normal((1, 1, 16, 16)).astype(np.float32)
    out["small_depthwise"] = lambda: ops.depthwise_conv(xt, kt, padding="same")
    out["small_sepconv"] = lambda: ops.separable_conv(xt, kt, pt, padding="same")
    out["small_bilinear"] = lambda: ops.upsample(xt, 2, interpolation="bilinear")
    return out


def run(threads: list, repeats: int) -> dict:
    import convkit

    result = {}
    cases = _cases()
    for t in threads:
        with convkit.num_threads(t):
            for name, fn in cases.items():
                n = repeats * (20 if name.startswith("small") else 1)
                for _ in range(2):
                    fn()
                wall, cpu = [], []
                for _ in range(n):
                    t0, c0 = time.perf_counter(), time.process_time()
                    fn()
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                result[f"{name}@{t}T"] = statistics.median(wall)
                if t == 1:  # CPU time barely sees time-slicing by other processes
                    result[f"{name}@{t}T cpu"] = statistics.median(cpu)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old", help="tree imported as 'old' (or 'run' for the per-process mode)")
    ap.add_argument("new", nargs="?")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if args.old == "run":
        sys.path.insert(0, os.getcwd())
        print(json.dumps(run(args.threads, args.repeats)))
        return 0
    trees = {"old": args.old, "new": args.new}
    samples = {"old": [], "new": []}
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for which in order:
            cmd = [sys.executable, os.path.abspath(__file__), "run",
                   "--repeats", str(args.repeats), "--threads", *map(str, args.threads)]
            out = subprocess.run(cmd, cwd=trees[which], capture_output=True, text=True,
                                 check=True)
            samples[which].append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"{'case':32s} {'old ms':>9s} {'new ms':>9s} {'new/old':>8s}  per-round ratios")
    for key in samples["old"][0]:
        old = [s[key] for s in samples["old"]]
        new = [s[key] for s in samples["new"]]
        mo, mn = statistics.median(old), statistics.median(new)
        per_round = " ".join(f"{b / a:.2f}" for a, b in zip(old, new, strict=True))
        print(f"{key:32s} {mo * 1e3:9.3f} {mn * 1e3:9.3f} {mn / mo:8.3f}  {per_round}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
