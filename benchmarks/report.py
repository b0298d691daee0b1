"""Render a benchmark JSON (``benchmarks/run.py --json``) as Markdown tables for the README.

Usage: ``python benchmarks/report.py [--sweep-summary] [benchmarks/results/latest.json]``
(``--sweep-summary``: the shape sweep as one line per layer, the README's table). Reads the
solo-process runs (one process per library, median of the rounds' medians) and, for
comparison with older commits, the earlier interleaved single-process runs (flagged as such in
the caption).
"""

import json
import math
import sys

GROUP_TITLES = {"forward": "Forward pass", "training": "Training: forward + backward",
                "pooling": "Pooling", "sweep": "Shape sweep: layers of real networks, forward"}


def _caption(meta: dict) -> str:
    limits = (f"sgemm {meta['sgemm_gflops']:.0f} GFLOP/s, copy {meta['copy_gbps']:.1f} GB/s"
              + (f", FMA peak {meta['fma_peak_gflops_per_core']:.0f} GFLOP/s per core"
                 if meta.get("fma_peak_gflops_per_core") else ""))
    if meta.get("protocol", "").startswith("solo"):
        how = (f"each library alone in its own process with the default environment, "
               f"{meta['rounds']} alternating rounds of {meta['calls']} timed calls per case; "
               "median of the rounds' medians, [min-max] of the per-round ratios")
    else:
        how = (f"an older protocol: all libraries interleaved in one process with "
               f"OMP_WAIT_POLICY={meta.get('omp_wait_policy')} forced on every peer, medians of "
               f"{meta.get('repeats')} calls")
    return (f"Measured {meta['time']} on a {meta['cpus']}-core {meta['machine']} machine "
            f"(kernel ISA {meta['isa']}), {meta['threads']} threads, {how}; torch "
            f"{meta['torch']}, Keras {meta['keras']}; limits: {limits}.")


def _ms(peers: dict, name: str) -> str:
    peer = peers.get(name)
    if peer is None:
        return "–"
    if peer.get("status", "ok") != "ok":
        return peer["status"]
    return milliseconds(peer["median_s"])


def milliseconds(seconds: float, width: int = 0) -> str:
    """Milliseconds with two decimals, or three significant digits below 0.1 ms (the
    per-call overhead case takes about 0.01 ms)."""
    ms = 1e3 * seconds
    return f"{ms:>{width}.2f}" if ms >= 0.1 else f"{ms:>{width}.{3}g}"


def _row(r: dict) -> str:
    p = r["peers"]
    if r.get("status", "ok") != "ok":
        return (f"| {r['id']} | {r['shape']} ({r['dtype']}) | {r['status']} | {_ms(p, 'torch')} "
                f"| {_ms(p, 'keras')} | {_ms(p, 'numpy')} | – | – | – |")
    unit = "GFLOP/s" if r["unit"] == "gflops" else "GB/s"
    vs = f"{r['vs_torch']:.2f}" if r["vs_torch"] else "–"
    if r.get("vs_torch_range"):
        vs += f" [{r['vs_torch_range'][0]:.2f}–{r['vs_torch_range'][1]:.2f}]"
    return (f"| {r['id']} | {r['shape']} ({r['dtype']}, {r['data_format']}) | "
            f"{_ms(p, 'convkit')} | {_ms(p, 'torch')} | {_ms(p, 'keras')} | {_ms(p, 'numpy')} | "
            f"{p['convkit'][r['unit']]:.1f} {unit} | {r['pct_of_limit']:.0f}% | {vs} |")


def _sweep_row(r: dict) -> str:
    p = r["peers"]
    vs = "–"
    if r.get("status", "ok") == "ok" and r.get("vs_torch"):
        vs = f"{r['vs_torch']:.2f}"
        if r.get("vs_torch_range"):
            vs += f" [{r['vs_torch_range'][0]:.2f}–{r['vs_torch_range'][1]:.2f}]"
    fmt = "NCHW" if r["data_format"] == "channels_first" else "NHWC"
    return (f"| {r['note']} | {r['shape']} | {fmt} {r['dtype']} | {_ms(p, 'convkit')} | "
            f"{_ms(p, 'torch')} | {vs} |")


def _sweep_table(rows: list) -> list:
    """One line per layer and variant, named by network and layer, then what is below 1.0x."""
    lines = ["| network, layer | shape | format | convkit ms | torch ms | × torch |",
             "|---|---|---|---:|---:|---:|"]
    lines += [_sweep_row(r) for r in rows]
    slow = [r for r in rows if r.get("vs_torch") and r["vs_torch"] < 1.0]
    if slow:
        lines += ["", f"Below 1.0× PyTorch: {len(slow)} of {len(rows)} rows ("
                  + ", ".join(f"{r['note']} {r['shape']}" for r in slow[:12])
                  + (", …" if len(slow) > 12 else "") + ")."]
    return lines


def _variant(r: dict) -> str:
    batch = r["shape"].split()[0]
    return ("b1" if batch == "b1" else "train") + \
        (" NCHW" if r["data_format"] == "channels_first" else "") + \
        (" f64" if r["dtype"] == "float64" else "")


def sweep_summary(data: dict) -> str:
    """The sweep as one line per layer: its shape and the ratio to PyTorch of each variant
    (batch 1, the training batch, the training batch in channels_first, float64 at batch 1),
    then the geometric mean and the rows below 1.0x. For the README."""
    rows = [r for r in data["rows"] if r.get("group") == "sweep"]
    layers = {}
    for r in rows:
        layers.setdefault(r["note"], {})[_variant(r)] = r
    lines = ["| network, layer | shape (batch 1) | × torch b1 | × torch train batch | "
             "train batch NCHW | b1 float64 |", "|---|---|---:|---:|---:|---:|"]

    def cell(r):
        if r is None:
            return "–"
        if r.get("status", "ok") != "ok":
            return r["status"]
        return f"{r['vs_torch']:.2f}" if r.get("vs_torch") else "–"  # no PyTorch peer ran
    for note, variants in layers.items():
        train = next((v for k, v in variants.items() if k == "train"), None)
        b1 = variants.get("b1")
        shape = " ".join(b1["shape"].split()[1:]) if b1 else ""
        lines.append(f"| {note} | {shape} | {cell(b1)} | "
                     + (f"{cell(train)} ({train['shape'].split()[0]})" if train else "–")
                     + f" | {cell(variants.get('train NCHW'))} | {cell(variants.get('b1 f64'))} |")
    ratios = [r["vs_torch"] for r in rows if r.get("vs_torch")]
    if ratios:
        geo = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
        below = sum(v < 1.0 for v in ratios)
        lines += ["", f"Geometric mean {geo:.2f}× PyTorch over {len(ratios)} rows "
                  f"({len(layers)} layers); {below} rows below 1.0×."]
    return "\n".join(lines)


def markdown(data: dict) -> str:
    lines = [_caption(data["meta"])]
    groups = {}
    for r in data["rows"]:
        groups.setdefault(r.get("group", "forward"), []).append(r)
    for group, rows in groups.items():
        if group == "sweep":
            lines += ["", f"**{GROUP_TITLES[group]}**", ""] + _sweep_table(rows)
            continue
        lines += ["", f"**{GROUP_TITLES.get(group, group)}**", "",
                  "| case | shape | convkit ms | torch ms | Keras/jax ms | NumPy ms | "
                  "convkit rate | % of limit | × torch |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [_row(r) for r in rows]
    geo = data.get("summary", {}).get("geomean_vs_torch")
    if isinstance(geo, dict):
        parts = [f"{g} {v:.2f}×" for g, v in geo.items()]
        if parts:
            lines += ["", "Geometric mean speed-up over torch: " + ", ".join(parts) + "."]
    elif geo:
        lines += ["", f"Geometric mean speed-up over torch: {geo:.2f}×."]
    pending = data.get("summary", {}).get("pending") or {}
    if pending:
        lines += ["", "Pending (not in convkit yet): " + ", ".join(sorted(pending)) + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--sweep-summary"]
    path = args[0] if args else "benchmarks/results/latest.json"
    with open(path) as f:
        data = json.load(f)
    print(sweep_summary(data) if "--sweep-summary" in sys.argv else markdown(data))
