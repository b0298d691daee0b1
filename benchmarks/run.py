"""convkit benchmark suite: convkit vs PyTorch CPU vs NumPy (vs Keras on jax), one run.

Usage::

    python benchmarks/run.py [--quick] [--threads 2] [--repeats 20] [--only ID ...]
                             [--json benchmarks/results/latest.json]

Prints one table (median ms of every peer, convkit's rate and % of the machine limit, and the
speed-up over PyTorch) and writes the same numbers as JSON for the performance notebook. Targets
from docs/design/kernels.md §11 are checked at the end (printed, never asserted: machines are shared
and noisy). ``--quick`` uses tiny shapes so CI keeps the script working.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import convkit  # noqa: E402
from benchmarks import harness  # noqa: E402  (sets the thread wait policies first)

PROVIDERS = ("benchmarks.conv_ops", "benchmarks.depthwise_ops", "benchmarks.memory_ops")
MEMORY_TARGET_PCT = 70.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _optional_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _optional_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import keras
    except ImportError:
        return None
    return keras if keras.backend.backend() == "jax" else None


def collect_cases(quick, torch, keras, only=None):
    import importlib

    all_cases = []
    for name in PROVIDERS:
        module = importlib.import_module(name)
        for case in module.cases(quick=quick, torch=torch, keras=keras):
            if not only or case.id in only:
                all_cases.append(case)
    return all_cases


def run(quick=False, n_threads=2, repeats=20, only=None, keras_peer=True, log=print):
    torch = _optional_torch()
    keras = _optional_keras() if keras_peer else None
    convkit.set_num_threads(n_threads)
    if torch is not None:
        torch.set_num_threads(n_threads)
        torch.set_grad_enabled(False)
    limits = {"sgemm_gflops": harness.sgemm_gflops(quick), "copy_gbps": harness.copy_gbps(quick)}
    meta = {
        "time": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": _cpu_model(),
        "cpus": os.cpu_count(), "threads": n_threads, "repeats": repeats,
        "quick": quick, "convkit": convkit.__version__, "isa": convkit._kernels.ISA,
        "numpy": np.__version__, "torch": getattr(torch, "__version__", None),
        "keras": getattr(keras, "__version__", None),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "openblas_thread_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"), **limits}
    log(f"peers: convkit {meta['convkit']} (ISA {meta['isa']}), numpy {meta['numpy']}"
        f", torch {meta['torch'] or 'not installed'}, keras/jax {meta['keras'] or 'not used'}; "
        f"threads {n_threads}, repeats {repeats}, OMP_WAIT_POLICY={meta['omp_wait_policy']}, "
        f"OPENBLAS_THREAD_TIMEOUT={meta['openblas_thread_timeout']}")
    log(f"limits: sgemm {limits['sgemm_gflops']:.1f} GFLOP/s, copy {limits['copy_gbps']:.1f} GB/s")
    log(_header())
    rows = []
    inference = torch.inference_mode() if torch is not None else None
    if inference is not None:
        inference.__enter__()
    try:
        for case in collect_cases(quick, torch, keras, only):
            harness.check_agreement(case)
            row = harness.rows_for(case, harness.time_case(case, repeats), limits, n_threads)
            rows.append(row)
            log(_format(row))
    finally:
        if inference is not None:
            inference.__exit__(None, None, None)
        convkit.set_num_threads(None)
    summary = summarize(rows)
    for line in summary["lines"]:
        log(line)
    return {"meta": meta, "rows": rows, "summary": {k: v for k, v in summary.items()
                                                     if k != "lines"}}


def _header():
    return (f"{'case':<20}{'convkit ms':>11}{'torch ms':>10}{'numpy ms':>11}{'keras ms':>10}"
            f"{'rate':>12}{'% limit':>9}{'x torch':>9}  [convkit min-max ms]")


def _format(row):
    p = row["peers"]

    def ms(name, width):
        if name not in p:
            return f"{'-':>{width}}"
        star = "*" if p[name].get("single_call") else ""
        return f"{1e3 * p[name]['median_s']:>{width - 1}.2f}{star or ' '}"
    unit = "GFLOP/s" if row["unit"] == "gflops" else "GB/s"
    rate = f"{p['convkit'][row['unit']]:.1f} {unit}"
    vs = f"{row['vs_torch']:.2f}" if row["vs_torch"] else "-"
    ck = p["convkit"]
    return (f"{row['id']:<20}{ms('convkit', 11)}{ms('torch', 10)}{ms('numpy', 11)}"
            f"{ms('keras', 10)}{rate:>12}{row['pct_of_limit']:>8.0f}%{vs:>9}"
            f"  [{1e3 * ck['min_s']:.2f}-{1e3 * ck['max_s']:.2f}]")


def summarize(rows):
    """Geometric mean vs torch and the docs/design/kernels.md §11 targets, as printable lines."""
    lines = []
    ratios = {r["id"]: r["vs_torch"] for r in rows if r["vs_torch"]}
    out = {"geomean_vs_torch": None, "targets": {}}
    if ratios:
        geo = math.exp(sum(math.log(v) for v in ratios.values()) / len(ratios))
        out["geomean_vs_torch"] = geo
        slow = sorted(k for k, v in ratios.items() if v < 1.0)
        out["targets"]["every_case_ge_1x_torch"] = not slow
        out["targets"]["geomean_ge_1.5x_torch"] = geo >= 1.5
        lines.append(f"geometric mean speed-up over torch: {geo:.2f}x over {len(ratios)} cases"
                     + (f"; below 1.0x: {', '.join(slow)}" if slow else ""))
    by_id = {r["id"]: r for r in rows}
    if "conv2d_large" in by_id:
        pct = by_id["conv2d_large"]["pct_of_limit"]
        out["targets"]["conv2d_large_ge_80pct_sgemm"] = pct >= 80
        lines.append(f"conv2d_large: {pct:.0f}% of this run's sgemm (target 80%)")
    f64 = by_id.get("conv2d_large_f64")
    if f64 and f64["vs_torch"]:
        out["targets"]["float64_ge_2x_torch"] = f64["vs_torch"] >= 2
    memory = [r for r in rows if r["kind"] == "memory"]
    if memory:
        low = [r["id"] for r in memory if r["pct_of_limit"] < MEMORY_TARGET_PCT]
        out["targets"]["memory_ge_70pct_copy"] = not low
        lines.append("memory-bound cases at >= 70% of copy bandwidth: "
                     + ("all" if not low else f"not {', '.join(low)}"))
    for name, ok in out["targets"].items():
        lines.append(f"  target {name}: {'met' if ok else 'NOT met'}")
    out["lines"] = lines
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes (CI smoke run)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="case ids to run")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras/jax peer")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results",
                                                       "latest.json"))
    args = parser.parse_args(argv)
    result = run(args.quick, args.threads, args.repeats, args.only,
                 keras_peer=not args.no_keras)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=str)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
