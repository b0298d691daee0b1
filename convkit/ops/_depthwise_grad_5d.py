"""The depthwise and separable gradients on kernel-layout arrays: the drivers of the compiled
kernels that :mod:`convkit.ops.depthwise_grad` (and, through it, the layers' backward passes)
runs once it has checked the arguments and moved them to the ``(N, D, H, W, C)`` layout.

``_depthwise_grad`` computes the gather input gradient, the per-channel weight correlation
(with the bias sums in the same pass) and the pointwise weight gradient ``dP = u^T dz``; where
a gradient is itself a forward op (the input gradient at stride 1 and one multiplier, a
depthwise conv with the kernel flipped; ``du = dz P^T``) the forward kernels of ``_depthwise``
run it. Both matrix products run in the package's own OpenMP kernels, not NumPy's BLAS:
OpenBLAS's thread pool and libgomp's spinning threads fought over the cores between the calls
(the whole backward ran 3-30x slower on two threads than the sum of its parts,
docs/design/kernels.md), and ``dP`` is a reduction that must not depend on the thread count.
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays
from .depthwise import _pointwise_blocks

_grad = _kernels.load("_depthwise_grad")
_dw = _kernels.load("_depthwise")


def _dims(geometry, n, c, m) -> np.ndarray:
    """The integers of ``_depthwise_grad.GEOMETRY_FIELDS``, in order."""
    return np.array([n, *geometry.in_spatial, c, m, *geometry.out_spatial,
                     *geometry.kernel_spatial, *geometry.strides, *geometry.dilation,
                     *geometry.pad_before], dtype=np.intp)


def input_gradient_5d(dy5, kernel5, geometry, n_threads=None) -> np.ndarray:
    """``dx`` ``(N, D, H, W, C)`` of ``(N, Do, Ho, Wo, C*M)`` ``dy5`` and a ``(KD, KH, KW, C,
    M)`` kernel of the same dtype (checked by the caller)."""
    n = dy5.shape[0]
    c, m = kernel5.shape[-2:]
    taps = math.prod(geometry.kernel_spatial)
    if m == 1 and geometry.strides == (1, 1, 1) and dy5.size and c * n:
        return _input_gradient_by_flipped_conv(np.ascontiguousarray(dy5), kernel5, geometry,
                                               threads_for(dy5.size * taps, n_threads))
    dx5 = np.empty((n, *geometry.in_spatial, c), dtype=dy5.dtype)
    if dx5.size == 0 or dy5.size == 0:
        dx5[...] = 0
        return dx5
    weights = np.ascontiguousarray(kernel5.reshape(taps, c, m).transpose(0, 2, 1))  # (T, M, C)
    fn = _grad.input_grad_d if dy5.dtype == np.float64 else _grad.input_grad_f
    fn(np.ascontiguousarray(dy5).reshape(-1), weights.reshape(-1), dx5.reshape(-1),
       _dims(geometry, n, c, m), threads_for(dy5.size * taps, n_threads))
    return dx5


def _input_gradient_by_flipped_conv(dy5, kernel5, geometry, n_threads) -> np.ndarray:
    """``dx`` at stride 1 and one multiplier: the transposed depthwise convolution is then a
    depthwise convolution of ``dy`` with the kernel flipped along every spatial axis, padded
    ``(k - 1) * d - pad`` before (>= 0 for "valid" and "same"), so the forward kernel and its
    register-resident row kernels compute it (the gather kernel took ~1.5x as long on
    depthwise2d). Taps reading outside ``dy`` are skipped, as in the gather kernel, whatever
    the weights."""
    c = kernel5.shape[-2]
    taps = math.prod(geometry.kernel_spatial)
    flipped = np.ascontiguousarray(kernel5[::-1, ::-1, ::-1].reshape(1, taps * c))
    pad = tuple((k - 1) * d - p for k, d, p in
                zip(geometry.kernel_spatial, geometry.dilation, geometry.pad_before))
    dx5 = _arrays.kernel_output(dy5.shape[0], geometry.in_spatial, c, dy5.dtype, like=dy5)
    fn = _dw.depthwise_f64 if dy5.dtype == np.float64 else _dw.depthwise_f32
    fn(dy5, flipped, np.empty(0, dtype=dy5.dtype), dx5, tuple(geometry.kernel_spatial),
       (1, 1, 1), tuple(geometry.dilation), pad, 0, n_threads)
    return dx5


def kernel_gradient_5d(x5, dy5, geometry, n_threads=None, bias=False):
    """``dK`` ``(KD, KH, KW, C, M)`` of ``(N, D, H, W, C)`` inputs and ``(N, Do, Ho, Wo, C*M)``
    output gradients of the same dtype (checked by the caller); with ``bias=True``, ``(dK,
    db)``, the bias gradient (``dy`` summed over batch and positions) taken in the same pass
    over ``dy``."""
    n, c = x5.shape[0], x5.shape[-1]
    m = dy5.shape[-1] // c
    out = np.empty((*geometry.kernel_spatial, c, m), dtype=x5.dtype)
    db = np.empty(c * m if bias else 0, dtype=x5.dtype)
    if x5.size == 0 or dy5.size == 0:
        out[...] = 0
        db[...] = 0
    else:
        fn = _grad.kernel_grad_d if x5.dtype == np.float64 else _grad.kernel_grad_f
        macs = dy5.size * math.prod(geometry.kernel_spatial)
        fn(np.ascontiguousarray(x5).reshape(-1), np.ascontiguousarray(dy5).reshape(-1),
           out.reshape(-1), db, _dims(geometry, n, c, m), threads_for(macs, n_threads))
    return (out, db) if bias else out


def pointwise_5d(v5, blocks, bias=None, relu=False, n_threads=None) -> np.ndarray:
    """``act(bias + v @ W)`` over the last axis of a C-contiguous ``(..., K)`` array, with
    ``W`` (K, F') packed by :func:`convkit.ops.depthwise._pointwise_blocks` (rows in ``v``'s
    channel order) into ``blocks``; ``F'`` is ``bias``'s length (or the blocks' columns)."""
    nfb, k, kb = blocks.shape
    v2 = v5.reshape(-1, k)
    f = nfb * kb if bias is None else bias.shape[0]
    pbias = np.zeros(nfb * kb, dtype=v5.dtype)
    if bias is not None:
        pbias[:f] = bias
    out = np.empty((v2.shape[0], f), dtype=v5.dtype)
    fn = _dw.pointwise_f64 if v5.dtype == np.float64 else _dw.pointwise_f32
    fn(v2, blocks, pbias, out, int(relu), threads_for(out.size * k, n_threads))
    return out.reshape(*v5.shape[:-1], f)


def pointwise_kernel_gradient_2d(u2, dz2, n_threads=None, bias=False):
    """``u2^T dz2`` for C-contiguous ``(P, CM)`` and ``(P, F)`` arrays of one dtype, summed in
    an order fixed by the shapes (bit-identical for any thread count); with ``bias=True``,
    also the column sums of ``dz2`` (the bias gradient), from the same pass."""
    out = np.empty((u2.shape[1], dz2.shape[1]), dtype=u2.dtype)
    db = np.empty(dz2.shape[1] if bias else 0, dtype=u2.dtype)
    fn = _grad.pointwise_kernel_grad_d if u2.dtype == np.float64 else _grad.pointwise_kernel_grad_f
    fn(u2, dz2, out, db, threads_for(u2.shape[0] * out.size, n_threads))
    return (out, db) if bias else out


def _transposed_blocks(p2: np.ndarray) -> np.ndarray:
    """``P^T`` (F, C*M) in the pointwise kernel's blocks: ``du = dz @ P^T``."""
    return _pointwise_blocks(np.ascontiguousarray(p2.T), p2.shape[1], 1, _dw)


def separable_gradients_5d(x5, k5, p2, dz5, u5, geometry, transposed_blocks=None,
                           bias=False) -> tuple:
    """``(dx5, dK (KD, KH, KW, C, M), dP (C*M, F))`` of kernel-layout operands of one dtype:
    inputs ``x5``, depthwise kernel ``k5``, pointwise kernel ``p2`` (C*M, F), the gradient
    ``dz5`` (N, Do, Ho, Wo, F) before the bias, and the intermediate ``u5`` (N, Do, Ho, Wo,
    C*M) the forward computed. ``transposed_blocks``: ``P^T`` already packed, or None. With
    ``bias=True`` the bias gradient (F,) follows, summed in the pass that computes ``dP``."""
    cm, f = p2.shape
    dz5 = np.ascontiguousarray(dz5)
    if u5.size == 0 or dz5.size == 0:
        du5 = np.zeros(u5.shape, dtype=u5.dtype)
        d_pointwise = np.zeros((cm, f), dtype=u5.dtype)
        d_bias = np.zeros(f, dtype=u5.dtype)
    else:
        d_pointwise, d_bias = pointwise_kernel_gradient_2d(u5.reshape(-1, cm),
                                                           dz5.reshape(-1, f), bias=True)
        blocks = _transposed_blocks(p2) if transposed_blocks is None else transposed_blocks
        du5 = pointwise_5d(dz5, blocks, np.zeros(cm, dtype=u5.dtype))
    grads = (input_gradient_5d(du5, k5, geometry), kernel_gradient_5d(x5, du5, geometry),
             d_pointwise)
    return grads + (d_bias,) if bias else grads

