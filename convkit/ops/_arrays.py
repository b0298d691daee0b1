"""Array intake and layout for ops: dtype rules, rank checks and the 5-D channels-last view.

Kernels read one layout: C-contiguous ``(N, D, H, W, C)``. 1-D and 2-D inputs become singleton-
axis views of that (free); ``channels_first`` inputs cost one transpose here, so that no kernel
has to read them. Outputs come back the same way, except the direct conv's, which its kernel
stores in ``channels_first`` itself (``ops.conv``).
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for

_layout = _kernels.load("_layout")
_finite = _kernels.load("_finite")

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_LINE = 64  # bytes in a cache line, and in the widest vector the kernels use


def as_array(x, name: str = "inputs") -> np.ndarray:
    """``np.asarray`` that refuses what no layer can compute on (complex, object, strings)."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"`{name}` must be a numeric array. Could not convert it: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real numeric or bool array. "
                        f"Received an array of dtype {arr.dtype}.")
    return arr


def resolve_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Check a compute dtype: float32 or float64 (names, NumPy types or dtype objects)."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"`{name}` must be 'float32' or 'float64'. Received: {dtype!r}") from None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"`{name}` must be 'float32' or 'float64'. Received: {dtype!r}")
    return resolved


def as_float(x, dtype, name: str = "inputs") -> np.ndarray:
    """Cast any real numeric input to ``dtype`` (float32/float64), C-contiguous
    (docs/design/keras_parity.md D2)."""
    if type(x) is np.ndarray and x.dtype is dtype and x.flags.c_contiguous:
        return x  # already what the kernels read: the common case of a layer's call
    arr = as_array(x, name)
    return np.ascontiguousarray(arr, dtype=resolve_float_dtype(dtype))


def check_rank(x: np.ndarray, ndim: int, who: str, name: str = "inputs") -> None:
    """Raise a ValueError naming ``who`` when ``x`` is not ``ndim``-dimensional
    (docs/design/keras_parity.md D3)."""
    if x.ndim != ndim:
        raise ValueError(f"{who}: `{name}` must have {ndim} dimensions (batch, "
                         f"{ndim - 2} spatial, channels), found ndim={x.ndim}. "
                         f"Full shape received: {tuple(x.shape)}")


def compute_dtype(*operands) -> np.dtype:
    """float64 if any operand (an array, a dtype or None) is float64, else float32
    (docs/design/keras_parity.md D2).

    Integers, bools and float16 compute in float32, as in the layers.
    """
    for op in operands:
        if op is not None and np.dtype(getattr(op, "dtype", op)) == np.float64:
            return np.dtype(np.float64)
    return np.dtype(np.float32)


def check_bias(bias, filters: int, dtype, who: str | None = None, name: str = "bias"):
    """``None``, or ``bias`` checked to be ``(filters,)`` and cast C-contiguous to ``dtype``."""
    if bias is None:
        return None
    b = as_array(bias, name)
    if b.shape != (filters,):
        prefix = f"{who}: " if who else ""
        raise ValueError(f"{prefix}`{name}` must have shape ({filters},) (one value per output "
                         f"channel). Received {name} of shape {b.shape}")
    return np.ascontiguousarray(b, dtype=dtype)


def to_kernel_layout(x: np.ndarray, data_format: str) -> np.ndarray:
    """Return a C-contiguous ``(N, D, H, W, C)`` array holding the batched input ``x``.

    Channels-last inputs that are already C-contiguous are viewed, not copied.
    """
    if data_format == "channels_first":
        x = _move_channels(np.ascontiguousarray(x), to_last=True)
    x = np.ascontiguousarray(x)
    n, *spatial, c = x.shape
    spatial = [1] * (3 - len(spatial)) + spatial
    return x.reshape(n, *spatial, c)


def kernel_output(batch: int, spatial: tuple, chans: int, dtype, like=None) -> np.ndarray:
    """Allocate an uninitialised ``(N, D, H, W, C)`` output for a kernel to fill completely.

    With ``like``, the output starts at the same offset from a 64-byte boundary as ``like``
    does: a kernel that streams both with one channel phase (the depthwise row kernels) then
    finds its vectors aligned in both, or in neither.
    """
    full = (1,) * (3 - len(spatial)) + tuple(spatial)
    shape = (batch, *full, chans)
    if like is None:
        return np.empty(shape, dtype=dtype)
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    raw = np.empty(nbytes + _LINE, dtype=np.uint8)
    skip = (like.ctypes.data - raw.ctypes.data) % _LINE
    return raw[skip:skip + nbytes].view(dtype).reshape(shape)


def from_kernel_layout(y5: np.ndarray, rank: int, data_format: str) -> np.ndarray:
    """Turn a kernel's ``(N, D, H, W, C)`` output back into a rank-``rank`` user array."""
    n = y5.shape[0]
    c = y5.shape[-1]
    spatial = y5.shape[1:4][3 - rank:]
    y = y5.reshape(n, *spatial, c)
    if data_format == "channels_first":
        y = _move_channels(y, to_last=False)
    return y


def _move_channels(x: np.ndarray, to_last: bool) -> np.ndarray:
    """Parallel blocked transpose between ``(N, C, *S)`` and ``(N, *S, C)`` (C-contiguous)."""
    if to_last:
        n, c, *spatial = x.shape
        out_shape = (n, *spatial, c)
        rows, cols = c, int(np.prod(spatial, dtype=np.int64))
    else:
        n, *spatial, c = x.shape
        out_shape = (n, c, *spatial)
        rows, cols = int(np.prod(spatial, dtype=np.int64)), c
    out = np.empty(out_shape, dtype=x.dtype)
    if x.dtype.itemsize not in (1, 2, 4, 8):  # e.g. longdouble: rare, let NumPy move it
        axes = (0, *range(2, x.ndim), 1) if to_last else (0, x.ndim - 1, *range(1, x.ndim - 1))
        out[...] = x.transpose(axes)
        return out
    # a memory-bound move: its work is the bytes moved
    _layout.transpose_last_two(x.reshape(-1).view(np.uint8), out.reshape(-1).view(np.uint8),
                               n, rows, cols, x.dtype.itemsize, threads_for(x.nbytes))
    return out


def all_finite(a: np.ndarray) -> bool:
    """Whether a float32/float64 array holds no NaN or infinity: one parallel read, no
    boolean temporary (``np.isfinite(a).all()`` writes and rereads one). Non-contiguous
    arrays are checked through a contiguous copy; integer and bool arrays are finite (layers
    that pass integers through, such as Reshape, check their gradients too), and other float
    types go to NumPy."""
    flat = np.ascontiguousarray(a).reshape(-1)
    if flat.dtype == np.float32:
        return bool(_finite.all_finite_f(flat, threads_for(flat.nbytes)))
    if flat.dtype == np.float64:
        return bool(_finite.all_finite_d(flat, threads_for(flat.nbytes)))
    if flat.dtype.kind in "biu":
        return True
    return bool(np.isfinite(flat).all())
