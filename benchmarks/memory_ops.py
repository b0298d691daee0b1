"""Benchmark the memory-bound ops (pad, crop, upsample) against PyTorch CPU and NumPy.

Cases (BENCHMARKS.md), float32 channels_last: upsample2d_nearest and upsample2d_bilinear
(b8, 128x128, C64, x2), zeropad2d (pad 1), crop2d (crop 8 each side). Peers are timed
interleaved (A B C A B C ...) after a warm-up; each figure is the median over ``repeats`` calls,
with min and max. GB/s counts bytes read + bytes written (crop reads only the kept window);
the copy limit is ``np.copyto`` of a 64 MB float32 array measured in the same run.

Run ``python benchmarks/memory_ops.py [--quick] [--threads N] [--repeats R] [--json PATH]``;
the main benchmark script calls :func:`run`.
"""

import argparse
import json
import statistics
import time

import numpy as np

import convkit
from convkit import ops

try:  # optional peer
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - torch is a benchmark extra
    torch = None

COPY_BYTES = 64 * 2**20


def _numpy_bilinear(x, factor):
    """Two-tap bilinear along H then W with half-pixel centres and edge clamping (NumPy peer)."""
    for axis in (1, 2):
        n = x.shape[axis]
        u = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
        lo = np.floor(u).astype(np.intp)
        hi = np.minimum(lo + 1, n - 1)
        shape = [1] * x.ndim
        shape[axis] = -1
        t = (u - lo).astype(x.dtype).reshape(shape)
        x = np.take(x, lo, axis=axis) * (1 - t) + np.take(x, hi, axis=axis) * t
    return x


def _cases(quick):
    b, s, c = (1, 16, 8) if quick else (8, 128, 64)
    crop = 2 if quick else 8
    x = np.random.default_rng(0).standard_normal((b, s, s, c)).astype(np.float32)
    nbytes = x.nbytes
    cases = []

    def case(name, bytes_moved, convkit_fn, torch_fn, numpy_fn):
        cases.append({"case": name, "bytes": bytes_moved,
                      "peers": {"convkit": convkit_fn, "torch": torch_fn, "numpy": numpy_fn}})

    xt = None
    if torch is not None:
        xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view, channels_last memory
        assert xt.is_contiguous(memory_format=torch.channels_last)
    cl = torch.channels_last if torch is not None else None
    case("upsample2d_nearest", nbytes * 5,
         lambda: ops.upsample(x, (2, 2)),
         xt is not None and (lambda: F.interpolate(xt, scale_factor=2, mode="nearest")),
         lambda: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2))
    case("upsample2d_bilinear", nbytes * 5,
         lambda: ops.upsample(x, (2, 2), interpolation="bilinear"),
         xt is not None and (lambda: F.interpolate(xt, scale_factor=2, mode="bilinear",
                                                   align_corners=False)),
         lambda: _numpy_bilinear(x, 2))
    case("zeropad2d", nbytes + b * (s + 2) ** 2 * c * 4,
         lambda: ops.zero_pad(x, [(1, 1), (1, 1)]),
         xt is not None and (lambda: F.pad(xt, (1, 1, 1, 1)).contiguous(memory_format=cl)),
         lambda: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))))
    case("crop2d", 2 * b * (s - 2 * crop) ** 2 * c * 4,
         lambda: ops.crop(x, [(crop, crop), (crop, crop)]),
         xt is not None and (lambda: xt[:, :, crop:-crop, crop:-crop]
                             .contiguous(memory_format=cl)),
         lambda: x[:, crop:-crop, crop:-crop].copy())
    return cases


def _check_agreement(cases):
    """Fail loudly if a peer computes something else (benchmarks must compare like with like)."""
    for case in cases:
        ref = case["peers"]["convkit"]()
        for name, fn in case["peers"].items():
            if not fn or name == "convkit":
                continue
            y = fn()
            if torch is not None and isinstance(y, torch.Tensor):
                y = y.permute(0, 2, 3, 1).numpy()
            np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5,
                                       err_msg=f"{case['case']}: {name} disagrees")


def _copy_limit(repeats, quick):
    n = (COPY_BYTES // 16 if quick else COPY_BYTES) // 4
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - t0)
    return 2 * src.nbytes / statistics.median(times) / 1e9, 2 * src.nbytes / min(times) / 1e9


def run(quick=False, n_threads=2, repeats=20) -> list:
    """Time every case and peer; return one dict per (case, peer).

    Keys: ``case``, ``peer``, ``median_ms``, ``min_ms``, ``max_ms``, ``cpu_ms`` (median process
    CPU time per call: with 1 thread on a shared machine, the steadiest figure), ``gbps``
    (median, bytes read + written), ``pct_copy`` (of the copy limit's median), ``vs_torch``
    (torch median / this median; > 1 means faster than torch), ``threads``; plus one
    ``case="copy_limit"`` row.
    """
    convkit.set_num_threads(n_threads)
    if torch is not None:
        torch.set_num_threads(n_threads)
    cases = _cases(quick)
    rows = []
    copy_median, copy_best = _copy_limit(max(repeats, 10), quick)
    rows.append({"case": "copy_limit", "peer": "np.copyto", "gbps": copy_median,
                 "gbps_best": copy_best, "threads": 1})
    grad = torch.inference_mode() if torch is not None else None
    try:
        if grad is not None:
            grad.__enter__()
        _check_agreement(cases)
        for case in cases:
            peers = {k: v for k, v in case["peers"].items() if v}
            for fn in peers.values():  # warm-up
                fn()
                fn()
            times = {k: [] for k in peers}
            cpu = {k: [] for k in peers}
            for _ in range(repeats):
                for name, fn in peers.items():
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t0)
                    cpu[name].append(time.process_time() - c0)
            torch_median = statistics.median(times["torch"]) if "torch" in times else None
            for name, ts in times.items():
                med = statistics.median(ts)
                gbps = case["bytes"] / med / 1e9
                rows.append({
                    "case": case["case"], "peer": name, "threads": n_threads,
                    "median_ms": med * 1e3, "min_ms": min(ts) * 1e3, "max_ms": max(ts) * 1e3,
                    "cpu_ms": statistics.median(cpu[name]) * 1e3,
                    "gbps": gbps, "pct_copy": 100 * gbps / copy_median,
                    "vs_torch": torch_median / med if torch_median else None,
                })
    finally:
        if grad is not None:
            grad.__exit__(None, None, None)
        convkit.set_num_threads(None)
    return rows


def format_table(rows) -> str:
    lines = []
    copy = next(r for r in rows if r["case"] == "copy_limit")
    lines.append(f"copy limit (np.copyto 64 MB, read+write): {copy['gbps']:.1f} GB/s median, "
                 f"{copy['gbps_best']:.1f} best")
    header = (f"{'case':<22}{'peer':<9}{'median ms':>10}{'min':>9}{'max':>9}{'cpu ms':>9}"
              f"{'GB/s':>8}"
              f"{'% copy':>8}{'x torch':>9}")
    lines += [header, "-" * len(header)]
    for r in rows:
        if r["case"] == "copy_limit":
            continue
        vs = f"{r['vs_torch']:.2f}" if r["vs_torch"] else "-"
        lines.append(f"{r['case']:<22}{r['peer']:<9}{r['median_ms']:>10.3f}{r['min_ms']:>9.3f}"
                     f"{r['max_ms']:>9.3f}{r['cpu_ms']:>9.3f}{r['gbps']:>8.1f}{r['pct_copy']:>7.0f}%{vs:>9}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes (CI smoke run)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick, n_threads=args.threads, repeats=args.repeats)
    print(f"peers: convkit, numpy{', torch ' + torch.__version__ if torch else ' (no torch)'}; "
          f"threads={args.threads}, repeats={args.repeats}")
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
