"""Benchmark convkit.ops.conv / conv_transpose against PyTorch CPU and the NumPy oracle.

Cases from BENCHMARKS.md (conv2d_large, conv2d_mid, conv2d_stem, conv2d_mnist, conv2d_large_f64,
conv2d_large_cf, conv1d_causal, conv3d, convT2d). Peers are timed interleaved (A B C A B C ...),
with the same thread count; medians, min and max are reported, GFLOP/s = 2 * MACs / time, next
to the run's sgemm figure (``np.matmul`` of two 2048x2048 float32 matrices).

Torch notes: inputs in ``channels_last`` (``channels_last_3d``) memory format under
``torch.inference_mode()``; Conv1D has no channels-last format in torch (NCL is its native
layout); torch has no asymmetric "same", so the stride-2 stem uses symmetric padding 3 (same
output size and FLOPs), causal is ``F.pad`` + a valid conv, and the transposed case uses
``padding=1, output_padding=1`` (same output size, different alignment).

Run ``python benchmarks/conv_ops.py [--quick] [--threads N] [--repeats R] [--json PATH]``.
"""

import argparse
import json
import time

import numpy as np

import convkit
from convkit import ops
from convkit.ops.conv import pack_conv_kernel
from convkit.ops.conv_transpose import pack_conv_transpose_kernel

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # torch is optional: the table then shows convkit and the oracle only
    torch = None

try:
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    import reference_conv as oracle
except ImportError:
    oracle = None

# id -> (kind, batch, spatial, cin, cout, kernel, stride, padding, dtype, data_format, dilation)
CASES = {
    "conv2d_large": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float32", "channels_last", 1),
    "conv2d_mid": ("conv", 8, (64, 64), 32, 64, 3, 1, "same", "float32", "channels_last", 1),
    "conv2d_stem": ("conv", 1, (224, 224), 3, 64, 7, 2, "same", "float32", "channels_last", 1),
    "conv2d_mnist": ("conv", 32, (28, 28), 1, 32, 3, 1, "valid", "float32", "channels_last", 1),
    "conv2d_large_f64": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float64",
                         "channels_last", 1),
    "conv2d_large_cf": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float32",
                        "channels_first", 1),
    "conv1d_causal": ("conv", 16, (1024,), 64, 64, 3, 1, "causal", "float32", "channels_last",
                      2),
    "conv3d": ("conv", 2, (32, 32, 32), 16, 32, 3, 1, "same", "float32", "channels_last", 1),
    "convT2d": ("convT", 8, (32, 32), 64, 32, 3, 2, "same", "float32", "channels_last", 1),
}

QUICK = {  # tiny shapes so CI runs the whole script in seconds
    "conv2d_large": (2, (12, 12), 16, 16), "conv2d_mid": (2, (10, 10), 8, 16),
    "conv2d_stem": (1, (32, 32), 3, 16), "conv2d_mnist": (4, (28, 28), 1, 8),
    "conv2d_large_f64": (2, (12, 12), 16, 16), "conv2d_large_cf": (2, (12, 12), 16, 16),
    "conv1d_causal": (2, (64,), 8, 8), "conv3d": (1, (8, 8, 8), 4, 8),
    "convT2d": (2, (8, 8), 8, 4),
}

ORACLE_LIMIT_S = 5.0


def _sgemm_gflops(repeats=5):
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    np.matmul(a, a)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, a)
        ts.append(time.perf_counter() - t)
    return 2 * 2048**3 / np.median(ts) / 1e9


def _setup(case_id, spec, quick):
    kind, n, spatial, cin, cout, k, s, padding, dtype, fmt, d = spec
    if quick:
        n, spatial, cin, cout = QUICK[case_id]
    rank = len(spatial)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, *spatial, cin)).astype(dtype)
    if kind == "conv":
        kern = rng.uniform(-1, 1, (k,) * rank + (cin, cout)).astype(dtype)
    else:
        kern = rng.uniform(-1, 1, (k,) * rank + (cout, cin)).astype(dtype)
    x_user = np.ascontiguousarray(np.moveaxis(x, -1, 1)) if fmt == "channels_first" else x

    if kind == "conv":
        packed = pack_conv_kernel(kern)
        y = ops.conv(x_user, packed, s, padding, fmt, d)

        def run_convkit():
            ops.conv(x_user, packed, s, padding, fmt, d)

        def run_oracle():
            oracle.conv(x_user, kern, s, padding, fmt, d)
    else:
        packed = pack_conv_transpose_kernel(kern, s, d)
        y = ops.conv_transpose(x_user, packed, s, padding, None, fmt, d)

        def run_convkit():
            ops.conv_transpose(x_user, packed, s, padding, None, fmt, d)

        def run_oracle():
            oracle.conv_transpose(x_user, kern, s, padding, None, fmt, d)
    # transposed: every input pixel meets every tap once (the output is s^rank times larger)
    pixels = y.size // cout if kind == "conv" else x.size // cin
    macs = pixels * cout * k**rank * cin
    run_torch = _torch_runner(kind, x, kern, rank, k, s, padding, fmt, d) if torch else None
    return dict(shape=f"b{n} {'x'.join(map(str, spatial))} {cin}->{cout} k{k} s{s} "
                      f"{padding}", dtype=dtype, data_format=fmt, macs=macs,
                run_convkit=run_convkit, run_torch=run_torch,
                run_oracle=run_oracle if oracle else None)


def _torch_runner(kind, x, kern, rank, k, s, padding, fmt, d):
    tx = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))  # NC(D)HW
    if kind == "conv":
        tk = torch.from_numpy(np.ascontiguousarray(np.moveaxis(kern, (-1, -2), (0, 1))))
    else:  # keras (k.., out, in) -> torch (in, out, k..)
        tk = torch.from_numpy(np.ascontiguousarray(np.moveaxis(kern, (-1, -2), (0, 1))))
    if fmt == "channels_last" and rank == 2:
        tx = tx.contiguous(memory_format=torch.channels_last)
        tk = tk.contiguous(memory_format=torch.channels_last)
    elif fmt == "channels_last" and rank == 3:
        tx = tx.contiguous(memory_format=torch.channels_last_3d)
        tk = tk.contiguous(memory_format=torch.channels_last_3d)
    conv_fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    if kind == "convT":
        convt = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[rank]
        pad = ((k - 1) * d + 1 - s + 1) // 2 if padding == "same" else 0
        op = s * 0 + (1 if padding == "same" and s > 1 else 0)

        def run():
            with torch.inference_mode():
                convt(tx, tk, stride=s, padding=pad, output_padding=op, dilation=d)
        return run
    if padding == "causal":
        left = d * (k - 1)

        def run():
            with torch.inference_mode():
                conv_fn(F.pad(tx, (left, 0)), tk, dilation=d)
        return run
    if padding == "same" and s == 1:
        tpad = "same"
    elif padding == "same":
        tpad = (k - 1) * d // 2  # symmetric; same output size and work as Keras's split
    else:
        tpad = 0

    def run():
        with torch.inference_mode():
            conv_fn(tx, tk, stride=s, padding=tpad, dilation=d)
    return run


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(quick=False, n_threads=2, repeats=20, cases=None, verbose=False):
    """Time every case; return one dict per case (times in seconds, GFLOP/s, ratios)."""
    convkit.set_num_threads(n_threads)
    if torch is not None:
        torch.set_num_threads(n_threads)
    sgemm = _sgemm_gflops()
    results = []
    for case_id, spec in CASES.items():
        if cases and case_id not in cases:
            continue
        c = _setup(case_id, spec, quick)
        peers = {"convkit": c["run_convkit"]}
        if c["run_torch"] is not None:
            peers["torch"] = c["run_torch"]
        note = ""
        if c["run_oracle"] is not None:
            first = _time(c["run_oracle"])
            if first <= ORACLE_LIMIT_S:
                peers["oracle"] = c["run_oracle"]
            else:
                note = f"oracle skipped (one call took {first:.1f} s)"
        for fn in peers.values():  # warm up
            fn()
        times = {name: [] for name in peers}
        for _ in range(repeats):
            for name, fn in peers.items():
                times[name].append(_time(fn))
        row = dict(id=case_id, shape=c["shape"], dtype=c["dtype"], data_format=c["data_format"],
                   threads=n_threads, macs=c["macs"], sgemm_gflops=sgemm, note=note)
        for name, ts in times.items():
            med = float(np.median(ts))
            row[name] = dict(median_s=med, min_s=float(np.min(ts)), max_s=float(np.max(ts)),
                             gflops=2 * c["macs"] / med / 1e9)
        row["pct_sgemm"] = 100 * row["convkit"]["gflops"] / sgemm
        if "torch" in row:
            row["speedup_vs_torch"] = row["torch"]["median_s"] / row["convkit"]["median_s"]
        results.append(row)
        if verbose:
            print(_format_row(row), flush=True)
    return results


def _format_row(r):
    def peer(name):
        if name not in r:
            return f"{'-':>24}"
        p = r[name]
        return (f"{p['gflops']:7.1f} {1e3 * p['median_s']:7.2f}ms "
                f"[{1e3 * p['min_s']:.1f}-{1e3 * p['max_s']:.1f}]").rjust(24)
    ratio = f"{r['speedup_vs_torch']:5.2f}x" if "speedup_vs_torch" in r else "    -"
    return (f"{r['id']:<17} {peer('convkit')} {peer('torch')} {peer('oracle')} {ratio} "
            f"{r['pct_sgemm']:5.1f}%  {r['note']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--cases", nargs="*")
    ap.add_argument("--json")
    args = ap.parse_args()
    print(f"peers: convkit ({convkit.__version__}, ISA {convkit._kernels.ISA})"
          + (f", torch {torch.__version__}" if torch else ", torch not installed")
          + (", numpy oracle" if oracle else "") + f"; threads {args.threads}")
    print(f"{'case':<17} {'convkit GF/s  median [min-max]':>24} {'torch':>24} {'oracle':>24} "
          f"{'vs torch':>6} {'%sgemm':>6}")
    results = run(args.quick, args.threads, args.repeats, args.cases, verbose=True)
    print(f"sgemm (np.matmul 2048^2 float32): {results[0]['sgemm_gflops']:.1f} GFLOP/s"
          if results else "no cases")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
