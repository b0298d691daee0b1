"""convkit benchmark suite, measured as a user runs it: each library alone in its own process.

Usage::

    python benchmarks/run.py [--group forward|training|pooling|sweep|all ...] [--only ID ...]
                             [--rounds 5] [--calls 15] [--threads 2] [--quick]
                             [--no-keras] [--no-numpy] [--json benchmarks/results/latest.json]

Protocol (docs: /README.md "Performance"): every round starts one process per library
(``benchmarks/worker.py``: convkit, then PyTorch CPU, then Keras on jax and the NumPy
reference where a case has them), in that order, with the user's environment untouched (no
OpenMP, BLAS or affinity variable is set for any of them); each process sets only its own
library's thread count through the library's API, warms up, then times ``--calls`` calls of
every case. A row reports the median of the rounds' medians, the spread (min-max of the round
medians) and the ratio to PyTorch (with the min-max of the per-round ratios). The machine's
limits (sgemm, copy bandwidth, one core's FMA peak) are measured by a process of their own in
every round. Once, outside the timing, the first round's workers save one result per case
and an agreement step checks that peers whose spelling computes the same numbers as convkit
do (the others say why they cannot be compared). Cases whose convkit layer or backward pass
does not exist yet are reported as pending. Prints a table, writes the same numbers as JSON
(for ``notebooks/03_performance.ipynb`` and ``benchmarks/report.py``); exits 1 when a case
failed or two peers disagree. Targets are printed, never asserted: machines are noisy.

``benchmarks/kernel_ab.py`` is the tool for comparing two builds of one kernel (in one
process, calls alternated).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks import agreement, report, suite  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY_ORDER = ("convkit", "torch", "keras", "numpy")
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


def _installed(library: str) -> bool:
    needs = {"convkit": ["convkit"], "torch": ["torch"], "keras": ["keras", "jax"],
             "numpy": ["numpy"]}[library]
    return all(importlib.util.find_spec(name) is not None for name in needs)


def run_worker(library: str, ids: list, args, out_dir: str, tag: str, save_dir=None) -> dict:
    """One worker process (environment inherited as it is); its JSON report."""
    out = os.path.join(out_dir, f"{tag}.{library}.json")
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--library", library,
           "--threads", str(args.threads), "--calls", str(args.calls), "--warmup",
           str(args.warmup), "--out", out, "--cases", *ids]
    if args.quick:
        cmd.append("--quick")
    if save_dir:
        cmd += ["--save", save_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the {library} worker failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    with open(out) as f:
        return json.load(f)


def measure(cases: list, libraries: list, args, log) -> tuple:
    """All rounds: ``(limits per round, {library: [report per round]}, agreement)``."""
    limits, reports = [], {lib: [] for lib in libraries}
    with tempfile.TemporaryDirectory(prefix="convkit-bench-") as tmp:
        save_dir = os.path.join(tmp, "results")
        os.makedirs(save_dir)
        for r in range(args.rounds):
            t0 = time.perf_counter()
            limits.append(run_worker("limits", [], args, tmp, f"r{r}")["limits"])
            for lib in libraries:
                ids = [c.id for c in cases if lib in c.peers]
                if ids:
                    reports[lib].append(run_worker(lib, ids, args, tmp, f"r{r}",
                                                   save_dir if r == 0 else None))
            log(f"round {r + 1}/{args.rounds}: {time.perf_counter() - t0:.1f} s")
        checks = {c.id: agreement.check(c, save_dir, libraries) for c in cases}
    return limits, reports, checks


def _median_limits(limits: list) -> dict:
    out = {}
    for key in limits[0]:
        values = [v[key] for v in limits if v[key] is not None]
        out[key] = statistics.median(values) if values else None
    return out


def _peer_summary(case, rounds: list) -> dict:
    """Median of the round medians, their min-max, for one library's rounds of one case."""
    results = [r["cases"][case.id] for r in rounds]
    bad = [x for x in results if x["status"] != "ok"]
    if bad:
        return {"status": bad[0]["status"], "message": bad[0].get("message", ""),
                **({"traceback": bad[0]["traceback"]} if "traceback" in bad[0] else {})}
    medians = [x["median_s"] for x in results]
    unit = "gflops" if case.kind == "compute" else "gbps"
    median = statistics.median(medians)
    cpu = statistics.median(x["cpu_s"] for x in results)
    return {"status": "ok", "median_s": median, "min_s": min(medians), "max_s": max(medians),
            "round_medians_s": medians, "cpu_s": cpu, "calls": results[0]["calls"],
            unit: case.work / median / 1e9, f"cpu_{unit}": case.work / cpu / 1e9 if cpu else None}


def make_row(case, reports: dict, limits: dict, check: dict, threads: int) -> dict:
    unit = "gflops" if case.kind == "compute" else "gbps"
    row = {"id": case.id, "group": case.group, "kind": case.kind, "dtype": case.dtype,
           "data_format": case.data_format, "shape": case.shape, "note": case.note,
           "threads": threads, "unit": unit, "peers": {}, "agreement": check,
           "pct_of_limit": None, "pct_of_fma_peak": None, "vs_torch": None,
           "vs_torch_range": None, "vs_keras": None}
    for lib, rounds in reports.items():
        if lib in case.peers and rounds:
            row["peers"][lib] = _peer_summary(case, rounds)
    ck = row["peers"].get("convkit", {"status": "absent"})
    row["status"] = ck["status"]
    if ck["status"] != "ok":
        row["message"] = ck.get("message", "")
        return row
    limit = limits["sgemm_gflops"] if case.kind == "compute" else limits["copy_gbps"]
    row["pct_of_limit"] = 100 * ck[unit] / limit if limit else None
    fma = limits.get("fma_peak_gflops_per_core")
    if case.kind == "compute" and fma:
        row["pct_of_fma_peak"] = 100 * ck[unit] / (fma * threads)
    for lib in ("torch", "keras"):
        peer = row["peers"].get(lib)
        if peer and peer["status"] == "ok":
            row[f"vs_{lib}"] = peer["median_s"] / ck["median_s"]
    torch = row["peers"].get("torch")
    if torch and torch["status"] == "ok":
        per_round = [t / c for t, c in zip(torch["round_medians_s"], ck["round_medians_s"])]
        row["vs_torch_range"] = [min(per_round), max(per_round)]
    return row


def _geomean(values: list):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def summarize(rows: list) -> dict:
    """Geometric means per group and the design targets (printed, never asserted)."""
    ok = [r for r in rows if r["status"] == "ok"]
    out = {"geomean_vs_torch": {}, "targets": {}, "pending": {}, "lines": []}
    lines = out["lines"]
    for r in rows:
        if r["status"] == "pending":
            out["pending"][r["id"]] = r.get("message", "")
    for group, threshold in (("forward", 1.6), ("training", 1.3), ("pooling", None),
                             ("sweep", None)):
        ratios = {r["id"]: r["vs_torch"] for r in ok if r["group"] == group and r["vs_torch"]
                  and r["id"] != "autoencoder_step"}
        if not ratios:
            continue
        geo = _geomean(list(ratios.values()))
        out["geomean_vs_torch"][group] = geo
        slow = sorted(k for k, v in ratios.items() if v < 1.0)
        lines.append(f"{group}: geometric mean {geo:.2f}x torch over {len(ratios)} cases"
                     + (f"; below 1.0x: {', '.join(slow)}" if slow else ""))
        out["targets"][f"{group}_every_case_ge_1x_torch"] = not slow
        if group == "sweep":
            out["sweep_below_1x"] = slow
        if threshold:
            out["targets"][f"{group}_geomean_ge_{threshold}x_torch"] = geo >= threshold
    by_id = {r["id"]: r for r in ok}
    f64 = by_id.get("conv2d_large_f64")
    if f64 and f64["vs_torch"]:
        out["targets"]["float64_ge_2x_torch"] = f64["vs_torch"] >= 2
    step = by_id.get("autoencoder_step")
    if step:
        for lib, threshold in (("torch", 1.0), ("keras", 1.5)):
            if step[f"vs_{lib}"]:
                out["targets"][f"autoencoder_step_ge_{threshold}x_{lib}"] = \
                    step[f"vs_{lib}"] >= threshold
                lines.append(f"autoencoder_step: {step[f'vs_{lib}']:.2f}x {lib}")
    memory = [r for r in ok if r["kind"] == "memory" and not r["id"].endswith("_train")]
    if memory:
        low = [r["id"] for r in memory if r["pct_of_limit"] < MEMORY_TARGET_PCT]
        out["targets"]["memory_ge_70pct_copy"] = not low
        lines.append("memory-bound forward cases at >= 70% of copy bandwidth: "
                     + ("all" if not low else f"not {', '.join(low)}"))
    for name, met in out["targets"].items():
        lines.append(f"  target {name}: {'met' if met else 'NOT met'}")
    for case_id, message in out["pending"].items():
        lines.append(f"  pending {case_id}: {message}")
    return out


def _header() -> str:
    return (f"{'case':<24}{'convkit ms':>11}{'torch ms':>10}{'keras ms':>10}{'numpy ms':>10}"
            f"{'rate':>14}{'% limit':>9}{'x torch':>9}  {'[round min-max]':<16} agreement")


def format_row(row: dict) -> str:
    p = row["peers"]

    def ms(lib, width):
        peer = p.get(lib)
        if peer is None:
            return f"{'-':>{width}}"
        if peer["status"] != "ok":
            return f"{peer['status']:>{width}}"
        return report.milliseconds(peer["median_s"], width)
    agree = "; ".join(f"{k}: {v['status']}" for k, v in row["agreement"].items())
    if row["status"] != "ok":
        return (f"{row['id']:<24}{ms('convkit', 11)}{ms('torch', 10)}{ms('keras', 10)}"
                f"{ms('numpy', 10)}  {row['status']}: {row.get('message', '')}")
    unit = "GFLOP/s" if row["unit"] == "gflops" else "GB/s"
    rate = f"{p['convkit'][row['unit']]:.1f} {unit}"
    vs = f"{row['vs_torch']:.2f}" if row["vs_torch"] else "-"
    spread = (f"[{row['vs_torch_range'][0]:.2f}-{row['vs_torch_range'][1]:.2f}]"
              if row["vs_torch_range"] else "")
    return (f"{row['id']:<24}{ms('convkit', 11)}{ms('torch', 10)}{ms('keras', 10)}"
            f"{ms('numpy', 10)}{rate:>14}{row['pct_of_limit']:>8.0f}%{vs:>9}  {spread:<16} "
            f"{agree}")


def select_cases(quick: bool, groups: list, only) -> list:
    groups = suite.GROUPS if "all" in groups else tuple(groups)
    every = suite.cases(quick, suite.ALL_GROUPS)
    if only:
        known = {c.id for c in every}
        unknown = sorted(set(only) - known)
        if unknown:
            raise ValueError(f"--only: unknown case ids {unknown}; known: {sorted(known)}")
        return [c for c in every if c.id in only]
    return [c for c in every if c.group in groups]


def run(args, log=print) -> dict:
    cases = select_cases(args.quick, args.group, args.only)
    wanted = [lib for lib in LIBRARY_ORDER
              if not (lib == "keras" and args.no_keras) and not (lib == "numpy" and args.no_numpy)]
    libraries = [lib for lib in wanted if _installed(lib)]
    missing = sorted(set(wanted) - set(libraries))
    log(f"{len(cases)} cases, {args.rounds} rounds of one process per library "
        f"({', '.join(libraries)}{'; not installed: ' + ', '.join(missing) if missing else ''})"
        f", {args.threads} threads, {args.calls} timed calls after {args.warmup} warm-up calls")
    limits_rounds, reports, checks = measure(cases, libraries, args, log)
    limits = _median_limits(limits_rounds)
    first = {lib: rounds[0] for lib, rounds in reports.items() if rounds}
    meta = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": _cpu_model(),
            "cpus": os.cpu_count(), "threads": args.threads, "rounds": args.rounds,
            "calls": args.calls, "warmup": args.warmup, "quick": args.quick,
            "protocol": "solo: one process per library and round, user environment",
            "versions": {lib: r.get("version") for lib, r in first.items()},
            "environment": next(iter(first.values()))["environment"] if first else None,
            "limits_per_round": limits_rounds, **limits}
    # the older flat keys, still read by report.py and the notebook
    meta.update({"convkit": meta["versions"].get("convkit"),
                 "torch": meta["versions"].get("torch"), "keras": meta["versions"].get("keras"),
                 "isa": (meta["versions"].get("convkit") or "").partition("ISA ")[2].rstrip(")")})
    env = meta["environment"] or {}
    log(f"peers: {meta['versions']}; thread variables inherited: "
        f"{env.get('variables') or 'none'}; CPUs allowed: {env.get('affinity_cpus')}")
    fma = limits["fma_peak_gflops_per_core"]
    log(f"limits (median of {args.rounds} rounds): sgemm {limits['sgemm_gflops']:.1f} GFLOP/s, "
        f"copy {limits['copy_gbps']:.1f} GB/s, FMA peak "
        + (f"{fma:.1f} GFLOP/s per core" if fma else "not measured (no C compiler)"))
    rows = [make_row(c, reports, limits, checks[c.id], args.threads) for c in cases]
    log(_header())
    for row in rows:
        log(format_row(row))
    summary = summarize(rows)
    for line in summary["lines"]:
        log(line)
    failed = [r["id"] for r in rows if r["status"] == "error"
              or any(p.get("status") == "error" for p in r["peers"].values())]
    disagree = [r["id"] for r in rows
                if any(v["status"] == "FAILED" for v in r["agreement"].values())]
    summary["failed"], summary["disagree"] = failed, disagree
    if failed:
        log(f"FAILED cases: {', '.join(failed)}")
        for r in rows:
            for lib, p in r["peers"].items():
                if p.get("status") == "error":
                    log(f"--- {r['id']} ({lib}): {p['traceback']}")
    if disagree:
        log(f"peers DISAGREE with convkit: {', '.join(disagree)}")
    return {"meta": meta, "rows": rows,
            "summary": {k: v for k, v in summary.items() if k != "lines"}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", nargs="+", default=["all"],
                        choices=["all", *suite.ALL_GROUPS],
                        help="case groups (default all: forward, training and pooling; the "
                             "shape sweep runs only when named)")
    parser.add_argument("--only", nargs="+", help="case ids to run (overrides --group)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds of one process per library (3: a quick look)")
    parser.add_argument("--calls", type=int, default=15, help="timed calls per case and round")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny shapes (CI smoke run)")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras/jax peer")
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy reference")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    args = parser.parse_args(argv)
    for name in ("rounds", "calls", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; got {getattr(args, name)}")
    if args.warmup < 0:
        parser.error(f"--warmup must be >= 0; got {args.warmup}")
    try:
        result = run(args)
    except ValueError as e:
        parser.error(str(e))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 1 if result["summary"]["failed"] or result["summary"]["disagree"] else 0


if __name__ == "__main__":
    sys.exit(main())
