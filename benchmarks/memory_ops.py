"""Memory-bound cases: pad, crop and upsample (docs/design/kernels.md §11), float32 channels_last.

upsample2d_nearest and upsample2d_bilinear (b8, 128x128, C64, x2), zeropad2d (pad 1),
crop2d (crop 8 each side). Work is bytes read + bytes written (crop reads only the kept
window); the limit is the run's ``np.copyto`` bandwidth. Peers: convkit ops, PyTorch CPU on
channels_last tensors (``F.interpolate``, ``F.pad``, slicing + ``.contiguous``), NumPy
(``np.repeat``, ``np.pad``, slice copy, two matmuls for bilinear).
"""

import numpy as np

from benchmarks.harness import Case
from convkit import ops


def _bilinear_matrix(n_in, factor):
    """Dense (n_out, n_in) bilinear matrix, half-pixel centres, edge-clamped (NumPy peer)."""
    u = np.clip((np.arange(n_in * factor) + 0.5) / factor - 0.5, 0, n_in - 1)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((n_in * factor, n_in), np.float32)
    rows = np.arange(n_in * factor)
    np.add.at(m, (rows, lo), 1 - (u - lo))
    np.add.at(m, (rows, hi), u - lo)
    return m


def _numpy_bilinear(x, factor):
    n, h, w, c = x.shape
    mh, mw = _bilinear_matrix(h, factor), _bilinear_matrix(w, factor)
    y = np.matmul(mh, x.reshape(n, h, w * c)).reshape(n * h * factor, w, c)
    return np.matmul(mw, y).reshape(n, h * factor, w * factor, c)


def cases(quick: bool = False, torch=None, keras=None) -> list:
    b, s, c = (1, 16, 8) if quick else (8, 128, 64)
    crop = 2 if quick else 8
    x = np.random.default_rng(0).standard_normal((b, s, s, c)).astype(np.float32)
    shape = f"b{b} {s}x{s} C{c}"
    xt = cl = None
    to_numpy = {"numpy": np.asarray}
    if torch is not None:
        import torch.nn.functional as F

        xt = torch.from_numpy(x).permute(0, 3, 1, 2)  # NCHW view of channels_last memory
        cl = torch.channels_last
        to_numpy["torch"] = lambda t: t.permute(0, 2, 3, 1).numpy()

    def peers(convkit_fn, torch_fn, numpy_fn):
        out = {"convkit": convkit_fn, "numpy": numpy_fn}
        if xt is not None:
            out["torch"] = torch_fn
        return out

    out_bytes = x.nbytes * 4
    result = [
        Case("upsample2d_nearest", "memory", x.nbytes + out_bytes, peers(
            lambda: ops.upsample(x, (2, 2)),
            lambda: F.interpolate(xt, scale_factor=2, mode="nearest"),
            lambda: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)),
            shape=shape + " x2", to_numpy=to_numpy),
        Case("upsample2d_bilinear", "memory", x.nbytes + out_bytes, peers(
            lambda: ops.upsample(x, (2, 2), interpolation="bilinear"),
            lambda: F.interpolate(xt, scale_factor=2, mode="bilinear", align_corners=False),
            lambda: _numpy_bilinear(x, 2)),
            shape=shape + " x2", to_numpy=to_numpy),
        Case("zeropad2d", "memory", x.nbytes + b * (s + 2) ** 2 * c * 4, peers(
            lambda: ops.zero_pad(x, [(1, 1), (1, 1)]),
            lambda: F.pad(xt, (1, 1, 1, 1)).contiguous(memory_format=cl),
            lambda: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
            shape=shape + " pad 1", to_numpy=to_numpy),
        Case("crop2d", "memory", 2 * b * (s - 2 * crop) ** 2 * c * 4, peers(
            lambda: ops.crop(x, [(crop, crop), (crop, crop)]),
            lambda: xt[:, :, crop:-crop, crop:-crop].contiguous(memory_format=cl),
            lambda: x[:, crop:-crop, crop:-crop].copy()),
            shape=shape + f" crop {crop}", to_numpy=to_numpy),
    ]
    return result
