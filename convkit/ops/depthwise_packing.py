"""Depthwise weights in the compiled kernels' layout: :func:`pack_depthwise_kernel` and the
:class:`PackedDepthwise` it returns (and back, ``_unpack``).

Apart from the ops (``depthwise.py``) because a pack outlives calls: layers cache one per weight
value (``layers/depthwise.py``, ``layers/separable.py``) and pass it in place of the kernel.
"""

from dataclasses import dataclass, field

import numpy as np

from ._arrays import as_array, compute_dtype


@dataclass(frozen=True)
class PackedDepthwise:
    """Depthwise weights repacked for the kernel: ``(M, KD*KH*KW*C)``, plus the spatial size.

    Layers may cache this and pass it as ``kernel`` to :func:`depthwise_conv` / ``depthwise_kernel``
    to :func:`separable_conv`; repack after changing the weights. ``weights`` is a read-only copy,
    so ``finite`` (no inf or NaN among them, which decides the padding path,
    ``docs/design/kernels.md`` §9) is computed once and stays true to it.
    """

    weights: np.ndarray
    kernel_shape: tuple  # the Keras shape, kernel_size + (C, M)
    finite: bool = field(init=False)

    def __post_init__(self):
        self.weights.setflags(write=False)
        object.__setattr__(self, "finite", bool(np.isfinite(self.weights).all()))

    @property
    def dtype(self):
        return self.weights.dtype

    @property
    def ndim(self):
        return len(self.kernel_shape)

    @property
    def shape(self):
        return self.kernel_shape


def pack_depthwise_kernel(kernel, dtype=None) -> PackedDepthwise:
    """Repack a Keras depthwise kernel ``kernel_size + (C, M)`` for the compiled kernel.

    Parameters
    ----------
    kernel : array_like
        Rank 3 to 5, Keras layout.
    dtype : {"float32", "float64"}, optional
        Defaults to float64 for a float64 kernel, float32 otherwise.

    Returns
    -------
    PackedDepthwise
        An object :func:`depthwise_conv` and :func:`separable_conv` accept in place of the
        depthwise kernel.

    Raises
    ------
    ValueError
        If ``kernel`` has the wrong rank, an empty axis, or ``dtype`` is not float32 or
        float64.
    TypeError
        If ``kernel`` is a complex, object or string array.

    Examples
    --------
    >>> import numpy as np
    >>> p = pack_depthwise_kernel(np.ones((3, 3, 4, 2), "float32"))
    >>> p.weights.shape, p.finite
    ((2, 36), True)
    """
    k = as_array(kernel, "kernel")
    if k.ndim not in (3, 4, 5):
        raise ValueError("pack_depthwise_kernel: `kernel` must have rank 3, 4 or 5. Received "
                         f"kernel of shape {tuple(k.shape)}.")
    dtype = np.dtype(dtype) if dtype is not None else compute_dtype(k)
    *ks, c, m = k.shape
    taps = int(np.prod(ks, dtype=np.int64))
    w = np.ascontiguousarray(k.astype(dtype, copy=False).reshape(taps, c, m).transpose(2, 0, 1))
    if np.may_share_memory(w, k):  # M = 1 and no cast: still the caller's memory; the pack
        w = w.copy()               # must not change with it (its `finite` flag would lie)
    return PackedDepthwise(w.reshape(m, taps * c), tuple(k.shape))


def _unpack(packed: PackedDepthwise) -> np.ndarray:
    *ks, c, m = packed.kernel_shape
    taps = int(np.prod(ks, dtype=np.int64))
    return packed.weights.reshape(m, taps, c).transpose(1, 2, 0).reshape(packed.kernel_shape)
