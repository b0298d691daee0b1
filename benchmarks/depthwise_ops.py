"""Benchmark: depthwise and separable convolution, convkit vs PyTorch CPU vs the NumPy oracle.

Cases (BENCHMARKS.md): ``depthwise2d`` (b8 56x56 C128 k3 same), ``depthwise2d_f64`` (the same
in float64) and ``sepconv2d`` (b8 64x64 64->64 k3 same). Peers run interleaved (A B C A B C
...), each with the same thread count; the table gives median, min and max wall time,
GFLOP/s (2 x multiply-adds / median time) and GB/s (input + output + weights bytes / median
time). PyTorch uses ``F.conv2d(groups=C)`` on ``channels_last`` tensors (oneDNN's fast path)
under ``torch.inference_mode()``, followed by a 1x1 conv for separable. The NumPy oracle
(``tests/reference_depthwise.py``) is slow: it runs at most 3 rounds.

Usage::

    python benchmarks/depthwise_ops.py [--quick] [--threads 2] [--repeats 20] [--json out.json]
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import convkit
from convkit.ops.depthwise import depthwise_conv, separable_conv

_HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE_ROUNDS = 3


def _oracle():
    sys.path.insert(0, os.path.join(_HERE, os.pardir, "tests"))
    try:
        import reference_depthwise
    except ImportError:
        return None
    finally:
        sys.path.pop(0)
    return reference_depthwise


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _cases(quick: bool):
    if quick:
        return [
            dict(id="depthwise2d", kind="depthwise", batch=1, size=16, c=16, m=1, k=3,
                 dtype="float32"),
            dict(id="depthwise2d_f64", kind="depthwise", batch=1, size=16, c=16, m=1, k=3,
                 dtype="float64"),
            dict(id="sepconv2d", kind="separable", batch=1, size=16, c=16, m=1, k=3, f=16,
                 dtype="float32"),
        ]
    return [
        dict(id="depthwise2d", kind="depthwise", batch=8, size=56, c=128, m=1, k=3,
             dtype="float32"),
        dict(id="depthwise2d_f64", kind="depthwise", batch=8, size=56, c=128, m=1, k=3,
             dtype="float64"),
        dict(id="sepconv2d", kind="separable", batch=8, size=64, c=64, m=1, k=3, f=64,
             dtype="float32"),
    ]


def _peers(case, torch, oracle):
    """Return (work dict, {peer: callable}) for one case; every callable returns NHWC numpy."""
    rng = np.random.default_rng(0)
    dt = np.dtype(case["dtype"])
    n, s, c, m, k = case["batch"], case["size"], case["c"], case["m"], case["k"]
    x = rng.standard_normal((n, s, s, c)).astype(dt)
    dk = (rng.standard_normal((k, k, c, m)) / k).astype(dt)
    sep = case["kind"] == "separable"
    f = case.get("f", 0)
    pk = (rng.standard_normal((1, 1, c * m, f)) / np.sqrt(c * m)).astype(dt) if sep else None
    out_pixels = n * s * s  # "same", stride 1
    macs = out_pixels * c * m * k * k + (out_pixels * c * m * f if sep else 0)
    out_c = f if sep else c * m
    nbytes = dt.itemsize * (x.size + out_pixels * out_c + dk.size + (pk.size if sep else 0))
    work = dict(macs=macs, bytes=nbytes)

    peers = {}
    if sep:
        peers["convkit"] = lambda: separable_conv(x, dk, pk, padding="same")
    else:
        peers["convkit"] = lambda: depthwise_conv(x, dk, padding="same")
    if torch is not None:
        tdt = torch.float64 if dt == np.float64 else torch.float32
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(
            memory_format=torch.channels_last).to(tdt)
        # (k, k, C, M) -> (C*M, 1, k, k), output channel c*M + m as in Keras
        wt = torch.from_numpy(np.ascontiguousarray(dk.transpose(2, 3, 0, 1))).reshape(
            c * m, 1, k, k).to(tdt)
        pt = (torch.from_numpy(np.ascontiguousarray(pk[0, 0].T)).reshape(f, c * m, 1, 1)
              .to(tdt) if sep else None)
        conv2d = torch.nn.functional.conv2d

        def run_torch():
            with torch.inference_mode():
                y = conv2d(xt, wt, padding=k // 2, groups=c)   # k odd: symmetric = Keras same
                if sep:
                    y = conv2d(y, pt)
            return y.permute(0, 2, 3, 1).numpy()

        peers["torch"] = run_torch
    if oracle is not None:
        if sep:
            peers["numpy_oracle"] = lambda: oracle.separable_conv(x, dk, pk, padding="same")
        else:
            peers["numpy_oracle"] = lambda: oracle.depthwise_conv(x, dk, padding="same")
    return work, peers


def run(quick: bool = False, n_threads: int = 2, repeats: int = 20) -> list:
    """Time every case and peer; return one dict per (case, peer).

    Keys: case, peer, dtype, threads, repeats, median_s, min_s, max_s, gflops, gbs,
    cpu_gflops (GFLOP per CPU-second of the whole process: robust to time-slicing on a shared
    machine, comparable across peers at 1 thread),
    ratio_vs_torch (convkit's speed-up over torch, medians of this run), max_rel_diff (vs
    convkit's output).
    """
    torch = _torch()
    oracle = _oracle()
    if quick:
        repeats = min(repeats, 3)
    previous_torch_threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n_threads)
    rows = []
    try:
        with convkit.num_threads(n_threads):
            for case in _cases(quick):
                work, peers = _peers(case, torch, oracle)
                reference = peers["convkit"]()
                diffs = {}
                for name, fn in peers.items():   # warm-up and a correctness check
                    y = fn()
                    scale = float(np.max(np.abs(reference))) or 1.0
                    diffs[name] = float(np.max(np.abs(np.asarray(y) - reference)) / scale)
                times = {name: [] for name in peers}
                cpu = {name: [] for name in peers}
                for r in range(repeats):
                    for name, fn in peers.items():
                        if name == "numpy_oracle" and r >= ORACLE_ROUNDS:
                            continue
                        c0, t0 = time.process_time(), time.perf_counter()
                        fn()
                        times[name].append(time.perf_counter() - t0)
                        cpu[name].append(time.process_time() - c0)
                medians = {name: statistics.median(ts) for name, ts in times.items()}
                for name, ts in times.items():
                    med = medians[name]
                    rows.append(dict(
                        case=case["id"], peer=name, dtype=case["dtype"], threads=n_threads,
                        repeats=len(ts), median_s=med, min_s=min(ts), max_s=max(ts),
                        gflops=2 * work["macs"] / med / 1e9, gbs=work["bytes"] / med / 1e9,
                        cpu_gflops=2 * work["macs"] / max(statistics.median(cpu[name]), 1e-9)
                        / 1e9,
                        ratio_vs_torch=(medians["torch"] / med if "torch" in medians
                                        else None),
                        max_rel_diff=diffs[name]))
    finally:
        if torch is not None:
            torch.set_num_threads(previous_torch_threads)
    return rows


def format_table(rows: list) -> str:
    head = (f"{'case':<17}{'peer':<14}{'thr':>4}{'median ms':>11}{'min ms':>9}{'max ms':>9}"
            f"{'GFLOP/s':>9}{'GB/s':>7}{'GF/CPU-s':>9}{'x torch':>9}{'rel diff':>10}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r['ratio_vs_torch']:.2f}" if r["ratio_vs_torch"] is not None else "-"
        lines.append(
            f"{r['case']:<17}{r['peer']:<14}{r['threads']:>4}{r['median_s'] * 1e3:>11.2f}"
            f"{r['min_s'] * 1e3:>9.2f}{r['max_s'] * 1e3:>9.2f}{r['gflops']:>9.1f}"
            f"{r['gbs']:>7.1f}{r['cpu_gflops']:>9.1f}{ratio:>9}{r['max_rel_diff']:>10.1e}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, 3 repeats")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    torch, oracle = _torch(), _oracle()
    print(f"peers: convkit {convkit.__version__}"
          f"{', torch ' + torch.__version__ if torch else ' (torch not installed)'}"
          f"{', numpy oracle' if oracle else ''}; threads={args.threads}")
    rows = run(quick=args.quick, n_threads=args.threads, repeats=args.repeats)
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
