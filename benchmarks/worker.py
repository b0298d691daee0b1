"""One library's benchmark process: ``python benchmarks/worker.py --library torch ...``.

Started by ``benchmarks/run.py`` once per library and round, with the user's environment as
it is. It imports only its library (``benchmarks/peer_<library>.py``), sets that library's
thread count through the library's API, and for each case: builds it, optionally saves the
result of one call for the agreement step (``--save DIR``, outside the timing), warms up,
then times ``--calls`` calls. ``--library limits`` measures the machine's limits instead.
Writes one JSON file (``--out``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from benchmarks import suite  # noqa: E402
from benchmarks.harness import Pending, time_calls  # noqa: E402

LIBRARIES = ("convkit", "torch", "keras", "numpy")
# the variables that steer OpenMP, BLAS and XLA threads: recorded, never set
THREAD_VARIABLES = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "BLIS_", "XLA_FLAGS")


def thread_environment() -> dict:
    """The thread-steering variables this process inherited, and the CPUs it may run on."""
    found = {k: v for k, v in os.environ.items() if k.startswith(THREAD_VARIABLES)}
    return {"variables": dict(sorted(found.items())),
            "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count()}


def run_case(peer, case, calls: int, warmup: int, save_dir) -> dict:
    try:
        run, result = peer.build(case)
        if save_dir:
            arrays = result()
            np.savez(os.path.join(save_dir, f"{case.id}.{peer.LIBRARY}.npz"), **arrays)
        else:
            run()  # the first call (a layer's build, jit compilation) stays out of the timing
        return {"status": "ok", **time_calls(run, calls, warmup)}
    except Pending as e:
        return {"status": "pending", "message": str(e)}
    except Exception as e:  # reported in the table and the JSON; the runner then fails
        return {"status": "error", "message": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(limit=6)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True, choices=LIBRARIES + ("limits",))
    parser.add_argument("--cases", nargs="*", default=[])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--save", default=None, help="directory for the agreement results")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be >= 1; got {args.threads}")
    report = {"library": args.library, "environment": thread_environment()}
    if args.library == "limits":
        from benchmarks import limits
        report["limits"] = limits.measure(args.quick)
    else:
        peer = importlib.import_module(f"benchmarks.peer_{args.library}")
        peer.set_threads(args.threads)
        report["version"] = peer.version()
        by_id = {c.id: c for c in suite.cases(args.quick, suite.ALL_GROUPS)}
        unknown = [i for i in args.cases if i not in by_id]
        if unknown:
            parser.error(f"unknown case ids: {unknown}")
        report["cases"] = {i: run_case(peer, by_id[i], args.calls, args.warmup, args.save)
                           for i in args.cases}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
