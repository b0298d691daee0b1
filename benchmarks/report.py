"""Render a benchmark JSON (``benchmarks/run.py --json``) as a Markdown table for the README.

Usage: ``python benchmarks/report.py [benchmarks/results/latest.json]``.
"""

import json
import sys


def markdown(data: dict) -> str:
    meta = data["meta"]
    lines = [
        f"Measured {meta['time']} on a {meta['cpus']}-core {meta['machine']} machine "
        f"(kernel ISA {meta['isa']}), {meta['threads']} threads, medians of "
        f"{meta['repeats']} interleaved calls; torch {meta['torch']}, Keras {meta['keras']} on "
        f"jax; limits of the same run: sgemm {meta['sgemm_gflops']:.0f} GFLOP/s, copy "
        f"{meta['copy_gbps']:.1f} GB/s.",
        "",
        "| case | shape | convkit ms | torch ms | Keras/jax ms | NumPy ms | convkit rate | "
        "% of limit | × torch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        p = r["peers"]

        def ms(name, p=p):
            if name not in p:
                return "–"
            return f"{1e3 * p[name]['median_s']:.2f}" + ("¹" if p[name].get("single_call") else "")
        unit = "GFLOP/s" if r["unit"] == "gflops" else "GB/s"
        vs = f"{r['vs_torch']:.2f}" if r["vs_torch"] else "–"
        lines.append(f"| {r['id']} | {r['shape']} ({r['dtype']}, {r['data_format']}) | "
                     f"{ms('convkit')} | {ms('torch')} | {ms('keras')} | {ms('numpy')} | "
                     f"{p['convkit'][r['unit']]:.1f} {unit} | {r['pct_of_limit']:.0f}% | {vs} |")
    summary = data.get("summary", {})
    if summary.get("geomean_vs_torch"):
        lines += ["", f"Geometric mean speed-up over torch: "
                      f"{summary['geomean_vs_torch']:.2f}×. ¹ a single call (slow reference)."]
    return "\n".join(lines)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/latest.json"
    with open(path) as f:
        print(markdown(json.load(f)))
