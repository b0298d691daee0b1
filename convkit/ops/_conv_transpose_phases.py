"""The phase decomposition of the transposed convolution: which taps reach each output
phase, the stride-1 correlation that computes it, and the packed kernel holding the sub-kernels.

Along one axis the outputs ``j = p + s*m`` of phase ``p`` receive the taps ``t`` with
``t*d ≡ p + c0 (mod s)`` (:func:`_phase_taps`); listed backwards they make a stride-1
correlation of the input (:func:`_axis_phase`) with a sub-kernel whose channel axes are swapped
(:func:`as_conv_layout`). :class:`PackedConvTransposeKernel` packs those sub-kernels once per
residue, the W-merged ones (:meth:`~PackedConvTransposeKernel.shuffled_phase`, whose input
columns :func:`_merged_width_offsets` gives) and the 1x1 conv of the columns path.

This is geometry and weight layout only, no call into a kernel: the op that runs the phases
(:mod:`convkit.ops.conv_transpose`) and the input gradient of the plain conv
(:mod:`convkit.ops.conv_grad`) both build on it, so it sits below them.
"""

import math

import numpy as np

from ._direct import CastKernel, pack_weights
from .arguments import standardize_tuple


def _phase_taps(k: int, s: int, d: int, residue: int) -> list:
    """Taps ``t`` (ascending) with ``t*d ≡ residue (mod s)``."""
    return [t for t in range(k) if (t * d - residue) % s == 0]


class PackedConvTransposeKernel(CastKernel):
    """A transposed-conv kernel cast once, with its per-phase sub-kernels packed on first use.

    Advanced API for layers (see :func:`pack_conv_transpose_kernel`); the sub-kernels depend
    on ``strides`` and ``dilation_rate``, which are fixed here, not on padding or
    output_padding. Make a new one when the weights change.
    """

    layout = "kernel_size + (filters, in_channels)"

    def __init__(self, kernel, strides, dilation_rate=1, dtype=None):
        super().__init__(kernel, dtype)
        rank = self.kernel.ndim - 2
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")

    def phase(self, residues: tuple, groups: int = 1):
        """``(packed, taps per axis)`` for per-axis residues ``(p + c0) mod s`` (3-tuple)."""
        key = (residues, groups)
        if key not in self._cache:
            k = self.kernel
            k5 = k.reshape((1,) * (5 - k.ndim) + k.shape)
            s3 = (1,) * (5 - k.ndim) + self.strides
            d3 = (1,) * (5 - k.ndim) + self.dilation_rate
            taps = [_phase_taps(k5.shape[a], s3[a], d3[a], residues[a]) for a in range(3)]
            # backwards along each axis (the correlation form), in the conv layout
            sub = k5[np.ix_(taps[0][::-1], taps[1][::-1], taps[2][::-1])]
            self._cache[key] = (pack_weights(as_conv_layout(sub, groups), groups), taps)
        return self._cache[key]

    def columns(self):
        """The packed 1x1 conv computing every tap's products at once: filter ``t*F + f``
        is tap ``t``'s (taps row-major over the kernel axes) filter ``f`` (for
        :func:`_by_columns`)."""
        if "columns" not in self._cache:
            k = self.kernel
            taps, f, c = math.prod(k.shape[:-2]), k.shape[-2], k.shape[-1]
            merged = k.reshape(taps, f, c).transpose(2, 0, 1).reshape(1, 1, 1, c, taps * f)
            self._cache["columns"] = pack_weights(np.ascontiguousarray(merged), 1)
        return self._cache["columns"]

    def shuffled_phase(self, residues_dh: tuple, crop_w: int = 0, block: int | None = None):
        """``(packed, taps along D and H)`` of the phase ``residues_dh`` along D and H with
        ``block`` output columns (a multiple of ``s_w``, default ``s_w``) side by side as
        blocks of output channels (one group, no W dilation; see :func:`_width_merge`): W tap
        ``e`` of the merged kernel reads input column ``(block // s_w)*m + crop_w // s_w + e +
        e0`` (``e0`` from :func:`_merged_width_offsets`) for the output columns ``block*m ..
        block*m + block - 1``; its filter ``p*F + f`` is the kernel's filter ``f`` at the tap
        reaching output column ``block*m + p`` from there, or 0 where no tap does. With
        ``kernel_w == strides_w``, no crop and the default block that is one tap (a pixel
        shuffle)."""
        k = self.kernel
        s_w, k_w = self.strides[-1], k.shape[-3]
        block = s_w if block is None else block
        r = crop_w % s_w
        key = ("shuffle_w", residues_dh, r, block)
        if key not in self._cache:
            k5 = k.reshape((1,) * (5 - k.ndim) + k.shape)
            s3 = (1,) * (5 - k.ndim) + self.strides
            d3 = (1,) * (5 - k.ndim) + self.dilation_rate
            taps = [_phase_taps(k5.shape[a], s3[a], d3[a], residues_dh[a]) for a in range(2)]
            sub = k5[np.ix_(taps[0][::-1], taps[1][::-1])]  # (ud, uh, KW, F, C)
            ud, uh, _, f, c = sub.shape
            e0, u = _merged_width_offsets(k_w, s_w, r, block)
            # tap of (merged tap e, column p): output column b*m + p from input q*m + e + e0
            # (taps t with p + r - t = s*(e + e0)); one gather, not a loop (layers repack
            # after every training step)
            t = r + np.arange(block)[None, :] - s_w * (np.arange(u)[:, None] + e0)
            real = ((t >= 0) & (t < k_w))[:, :, None, None]
            taps_w = np.where(real, sub[:, :, np.clip(t, 0, k_w - 1)], 0)  # (ud,uh,u,b,F,C)
            merged = taps_w.transpose(0, 1, 2, 5, 3, 4).reshape(ud, uh, u, c, block * f)
            self._cache[key] = (pack_weights(np.ascontiguousarray(merged), 1), taps)
        return self._cache[key]


def as_conv_layout(kernel: np.ndarray, groups: int) -> np.ndarray:
    """A transposed-conv kernel ``(..., filters // groups, in_channels)`` as the forward conv
    kernel ``(..., in_channels // groups, filters)`` of the same grouped products: entry
    ``[..., ci, g*Fg + f]`` is ``kernel[..., f, g*Cg + ci]`` (``groups == 1``: the last two
    axes swapped)."""
    *lead, fg, c = kernel.shape
    cg = c // groups
    regrouped = kernel.reshape(*lead, fg, groups, cg)
    order = (*range(len(lead)), len(lead) + 2, len(lead) + 1, len(lead))
    return np.ascontiguousarray(regrouped.transpose(order).reshape(*lead, cg, groups * fg))


def _axis_phase(taps: list, shifted: int, s: int, d: int) -> tuple:
    """``(kernel length, dilation, pad before)`` along one axis of the stride-1 correlation
    computing the outputs of one phase, for its ``taps`` (ascending) and ``shifted`` = phase
    + crop: output ``m`` reads input ``m + (shifted - t*d) / s`` through tap ``t``."""
    u = len(taps)
    if not u:
        return 0, 1, 0
    step = s // math.gcd(s, d)  # spacing of the taps of one phase
    dil = step * d // s if u > 1 else 1
    e0 = (shifted - taps[0] * d) // s
    return u, dil, (u - 1) * dil - e0


def _merged_width_offsets(k_w: int, s_w: int, r: int, block: int | None = None) -> tuple:
    """``(e0, u)``: the input columns ``q*m + crop_w // s_w + e`` (``e0 <= e < e0 + u``,
    ``q = block // s_w``) some tap reaches from output columns ``block*m .. block*m + block
    - 1``, for ``r = crop_w % s_w`` (tap ``t`` of output column ``block*m + p`` reads input
    ``q*m + crop_w // s_w + (p + r - t) / s_w`` when that divides)."""
    block = s_w if block is None else block
    offsets = [(p + r - t) // s_w for p in range(block) for t in range(k_w)
               if (p + r - t) % s_w == 0]
    return min(offsets), max(offsets) - min(offsets) + 1
