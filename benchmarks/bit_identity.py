"""Check that a kernel change leaves every conv and conv_transpose output bit for bit the same.

Run it once with the old build (saves the outputs) and once with the new one (compares)::

    cd old-checkout && python benchmarks/bit_identity.py save /tmp/conv_outputs.npz
    cd new-checkout && python benchmarks/bit_identity.py compare /tmp/conv_outputs.npz

It uses whichever ``convkit`` it imports (run it from the checkout to test) and only its public
ops, so both builds may have different internals. Cases: every ``conv`` and ``convT`` case of
``benchmarks/suite.py`` ``CONV_TABLE`` (their shapes, kernel size, stride, padding and dilation),
each in float32 and float64, channels_last and channels_first, without and with a bias and the
fused relu, at 1, 2 and 3 threads. Within one run the outputs of every thread count must equal
the 1-thread output; ``compare`` then checks each against the saved one. Exit status 1 on any
difference. The ISA copy in use is recorded: compare builds of the same copy
(``CONVKIT_ISA=base`` forces the baseline one).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import convkit  # noqa: E402
from benchmarks.suite import CONV_TABLE as CASES  # noqa: E402
from convkit import _kernels, ops  # noqa: E402

DTYPES = ("float32", "float64")
FORMATS = ("channels_last", "channels_first")
VARIANTS = ("plain", "bias_relu")


def case_outputs(case_id: str, threads: tuple) -> dict:
    """``{key: output}`` for one case in every dtype, format and variant (1-thread output;
    raises if another thread count gives different bits)."""
    kind, n, spatial, cin, cout, k, s, padding, _, _, d = CASES[case_id]
    rank = len(spatial)
    rng = np.random.default_rng(sum(map(ord, case_id)))
    x64 = rng.uniform(-1, 1, (n, *spatial, cin))
    kshape = (k,) * rank + ((cin, cout) if kind == "conv" else (cout, cin))
    k64 = rng.uniform(-1, 1, kshape)
    b64 = rng.uniform(-1, 1, cout)
    results = {}
    for dtype in DTYPES:
        for fmt in FORMATS:
            x = x64.astype(dtype)
            if fmt == "channels_first":
                x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
            kern = k64.astype(dtype)
            for variant in VARIANTS:
                extra = ({} if variant == "plain"
                         else {"bias": b64.astype(dtype), "activation": "relu"})
                outs = []
                for t in threads:
                    with convkit.num_threads(t):
                        if kind == "conv":
                            y = ops.conv(x, kern, s, padding, fmt, d, **extra)
                        else:
                            y = ops.conv_transpose(x, kern, s, padding, None, fmt, d, **extra)
                    outs.append(y)
                key = f"{case_id}/{dtype}/{fmt}/{variant}"
                for t, y in zip(threads[1:], outs[1:], strict=True):
                    if not _identical(outs[0], y):
                        raise AssertionError(f"{key}: {t} threads differ from {threads[0]}")
                results[key] = outs[0]
    return results


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape, dtype and bytes (NaN patterns and -0.0 included)."""
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(a.view(np.uint8), b.view(np.uint8)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("save", "compare"))
    parser.add_argument("path", help=".npz file of saved outputs")
    parser.add_argument("--cases", nargs="*", default=None,
                        help="case ids (default: every conv and convT case)")
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2, 3])
    args = parser.parse_args(argv)
    cases = args.cases or [c for c, spec in CASES.items() if spec[0] in ("conv", "convT")]
    threads = tuple(args.threads)
    print(f"convkit from {os.path.dirname(convkit.__file__)}, ISA {_kernels.ISA}, "
          f"threads {threads}")
    saved = None
    if args.mode == "compare":
        saved = np.load(args.path)
        if str(saved["__isa__"]) != _kernels.ISA:
            print(f"saved with ISA {saved['__isa__']}, running {_kernels.ISA}: "
                  "compare the same ISA copy")
            return 1
    outputs, bad, checked = {}, 0, 0
    for case_id in cases:
        t0 = time.perf_counter()
        results = case_outputs(case_id, threads)
        for key, y in results.items():
            if saved is None:
                outputs[key] = y
                continue
            checked += 1
            if key not in saved:
                print(f"  {key}: not in {args.path}")
                bad += 1
            elif not _identical(saved[key], y):
                old = saved[key]
                diff = (np.max(np.abs(old.astype(np.float64) - y)) if old.shape == y.shape
                        else f"shape {old.shape} vs {y.shape}")
                print(f"  {key}: DIFFERENT (max abs difference {diff})")
                bad += 1
        print(f"{case_id:18s} {len(results)} outputs x {len(threads)} thread counts "
              f"({time.perf_counter() - t0:.1f} s)")
    if saved is None:
        np.savez(args.path, __isa__=np.array(_kernels.ISA), **outputs)
        print(f"saved {len(outputs)} outputs to {args.path}")
        return 0
    print(f"{checked - bad} of {checked} outputs bit-identical to {args.path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
