"""The agreement step: do the peers compute convkit's numbers? Checked once, outside the timing.

Each library's first-round worker saves one result per case (``<case>.<library>.npz``: the
output, or the input and weight gradients, or a training step's loss and updated weights, in
Keras layouts). A peer whose spelling computes the same thing as convkit must match it to a
tolerance relative to the largest magnitude of each array; a peer whose spelling differs
(PyTorch's symmetric padding on stride-2 layers) is reported as not aligned, with the reason.
"""

from __future__ import annotations

import os

import numpy as np

# relative to each array's largest magnitude: different summation orders and algorithms
# (Winograd, oneDNN, XLA) of reductions up to ~10^5 terms (weight gradients over a batch)
TOLERANCE = {"float32": 1e-4, "float64": 1e-9}


def _load(save_dir: str, case_id: str, library: str):
    path = os.path.join(save_dir, f"{case_id}.{library}.npz")
    if not os.path.exists(path):
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def compare(reference: dict, other: dict, tol: float, atol: float = 0.0) -> tuple:
    """``(worst relative error, message or None)`` of ``other`` against ``reference``: each
    array must be within ``tol`` x its largest magnitude + ``atol``."""
    if sorted(reference) != sorted(other):
        return None, f"different results: {sorted(other)} vs {sorted(reference)}"
    worst = 0.0
    for key, ref in reference.items():
        got = other[key]
        if got.shape != ref.shape:
            return None, f"{key}: shape {got.shape} vs {ref.shape}"
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        err = float(np.max(np.abs(got.astype(np.float64) - ref))) if ref.size else 0.0
        rel = err / scale if scale > 0 else err
        worst = max(worst, rel)
        if not err <= tol * scale + atol:  # NaN fails too
            return rel, (f"{key}: max error {err:.3g}, {rel:.3g} of its largest value "
                         f"(tolerance {tol:g} of it + {atol:g})")
    return worst, None


def check(case, save_dir: str, libraries) -> dict:
    """``{peer: {"status": ..., "detail": ...}}`` for every peer of ``case`` among the
    ``libraries`` that ran."""
    out = {}
    reference = _load(save_dir, case.id, "convkit")
    for peer, aligned in case.aligned.items():
        if peer not in libraries:
            continue
        if aligned is not True:
            out[peer] = {"status": "not aligned", "detail": aligned}
            continue
        other = _load(save_dir, case.id, peer)
        if reference is None or other is None:
            missing = "convkit" if reference is None else peer
            out[peer] = {"status": "not run", "detail": f"no {missing} result (pending)"}
            continue
        worst, problem = compare(reference, other, TOLERANCE[case.dtype], case.atol)
        if problem:
            out[peer] = {"status": "FAILED", "detail": problem}
        else:
            out[peer] = {"status": "ok", "detail": f"max relative error {worst:.2g}"}
    return out
