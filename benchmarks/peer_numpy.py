"""The plain NumPy reference, only where it is cheap: the memory-bound forward cases
(``np.repeat``, two matmuls for bilinear, ``np.pad``, a slice copy)."""

from __future__ import annotations

import numpy as np

from benchmarks import suite
from benchmarks.harness import Pending

LIBRARY = "numpy"


def version() -> str:
    return np.__version__


def set_threads(n: int) -> None:
    """Nothing to set: these NumPy calls are single-threaded (bilinear's matmuls use
    OpenBLAS with its default threads, as a NumPy user's do)."""


def _bilinear_matrix(n_in: int, factor: int) -> np.ndarray:
    """Dense (n_out, n_in) bilinear matrix, half-pixel centres, edge-clamped."""
    u = np.clip((np.arange(n_in * factor) + 0.5) / factor - 0.5, 0, n_in - 1)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((n_in * factor, n_in), np.float32)
    rows = np.arange(n_in * factor)
    np.add.at(m, (rows, lo), 1 - (u - lo))
    np.add.at(m, (rows, hi), u - lo)
    return m


def _bilinear(x: np.ndarray, mh: np.ndarray, mw: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    y = np.matmul(mh, x.reshape(n, h, w * c)).reshape(n * mh.shape[0], w, c)
    return np.matmul(mw, y).reshape(n, mh.shape[0], mw.shape[0], c)


def build(case):
    if case.kind != "memory" or case.group != "forward":
        raise Pending(f"no NumPy peer for {case.op}")
    x, crop = suite.image_arrays(case)["x"], case.params.get("crop")
    mh = _bilinear_matrix(x.shape[1], 2)
    mw = _bilinear_matrix(x.shape[2], 2)
    run = {"upsample_nearest": lambda: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2),
           "upsample_bilinear": lambda: _bilinear(x, mh, mw),
           "zeropad": lambda: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))),
           "crop": lambda: x[:, crop:-crop, crop:-crop].copy()}[case.op]
    return run, lambda: {"y": run()}
