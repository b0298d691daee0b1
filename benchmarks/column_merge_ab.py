"""A/B of the forward conv's column merge (ops/_conv_column_merge.py) for few filters.

In one process, calls alternated: the plain job (``column_merge=False``), the merge with the
block the cost rule picks, optionally forced blocks, and PyTorch (``conv2d``, channels_last,
inference mode) for reference. 1 thread: CPU time of the calling thread (``thread_time``);
more threads: wall time (the OpenMP team's CPU is not the caller's). Prints medians and
ratios to the plain job::

    python benchmarks/column_merge_ab.py [--threads 1 2] [--repeats 15] [--blocks 8 16]
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
from convkit import ops  # noqa: E402

# (name, batch, (H, W), C, F, kernel, padding)
CASES = (
    ("ae_last b64 64x64 16->1 3x3 same", 64, (64, 64), 16, 1, 3, "same"),
    ("ae_last b8 64x64 16->1 3x3 same", 8, (64, 64), 16, 1, 3, "same"),
    ("unet_head b1 256x256 64->2 1x1", 1, (256, 256), 64, 2, 1, "same"),
    ("mnist b32 28x28 1->32 3x3 valid", 32, (28, 28), 1, 32, 3, "valid"),
    ("b8 64x64 16->4 3x3 same", 8, (64, 64), 16, 4, 3, "same"),
)


def _variants(x, k, pad, blocks, torch) -> dict:
    """``{name: call}``: the plain job, the rule's merge, forced blocks, PyTorch."""
    def conv_with(merge):
        packed = ops.pack_conv_kernel(k)
        packed.column_merge = merge
        return lambda: ops.conv(x, packed, padding=pad, algorithm="direct")

    variants = {"plain": conv_with(False), "merge": conv_with(True)}
    variants.update({f"b={block}": conv_with(block) for block in blocks})
    xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view of NHWC: channels_last
    kt = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))

    def torch_run():
        with torch.inference_mode():
            return torch.nn.functional.conv2d(xt, kt, padding=pad)
    variants["torch"] = torch_run
    return variants


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--blocks", type=int, nargs="*", default=[])
    args = ap.parse_args()
    import torch
    rng = np.random.default_rng(0)
    for threads in args.threads:
        torch.set_num_threads(threads)
        clock = time.thread_time if threads == 1 else time.perf_counter
        print(f"threads={threads} clock={clock.__name__}")
        for name, n, hw, c, f, ks, pad in CASES:
            x = rng.standard_normal((n, *hw, c)).astype(np.float32)
            k = rng.standard_normal((ks, ks, c, f)).astype(np.float32)
            variants = _variants(x, k, pad, args.blocks, torch)
            times = {v: [] for v in variants}
            with convkit.num_threads(threads):
                for fn in variants.values():
                    fn()
                for _ in range(args.repeats):
                    for v, fn in variants.items():
                        t0 = clock()
                        fn()
                        times[v].append(clock() - t0)
                same = np.array_equal(variants["plain"](), variants["merge"]())
            med = {v: statistics.median(t) for v, t in times.items()}
            ratios = "  ".join(f"{v} {med['plain'] / med[v]:.2f}x" for v in med if v != "plain")
            print(f"  {name}: plain {med['plain'] * 1e3:.2f} ms; speed vs plain: {ratios}; "
                  f"merge bit-identical: {same}")


if __name__ == "__main__":
    main()
