"""Forward convolution (``conv``) and its reusable packed kernel (``pack_conv_kernel``).

This module validates arguments (Keras's rules and wording), computes the op's
:class:`~convkit.ops._geometry.ConvGeometry` and maps ``channels_first`` and 1-D/2-D inputs to
the kernels' ``(N, D, H, W, C)`` form; the direct kernel is packed for and driven by
``ops/_direct.py``, which ``conv_transpose`` shares. 2-D 3x3 and 3-D 3x3x3 stride-1
convolutions may run the Winograd kernel instead (``ops/_winograd.py``), chosen by the
``algorithm`` argument or :func:`convkit.config.set_conv_algorithm`.
"""


import numpy as np

from .. import config
from . import _arrays, _conv_plans, _winograd, shapes
from ._direct import (
    CastKernel,
    PackedWeights,
    choose_one_group_tile,
    direct_output,
    pack_weights,
)
from ._geometry import conv_geometry, with_explicit_padding
from .arguments import standardize_padding

__all__ = ["PackedConvKernel", "conv", "pack_conv_kernel"]


class PackedConvKernel(CastKernel):
    """A conv kernel cast once and packed for the compute kernels, reusable across calls.

    Advanced API: layers create one per weight value and pass it to :func:`conv` instead of the
    raw kernel, so the packing (a few microseconds to milliseconds) is not repeated per call.
    Create it with :func:`pack_conv_kernel`; it does not follow later changes to the source
    array, so make a new one when the weights change.

    Attributes
    ----------
    kernel : numpy.ndarray
        The kernel in Keras layout ``kernel_size + (C // groups, F)``, in ``dtype`` (read-only).
    dtype : numpy.dtype
        The compute dtype: inputs are cast to it.
    """

    layout = "kernel_size + (in_channels // groups, filters)"

    def __init__(self, kernel, dtype=None, *, tile=None, column_merge=True):
        super().__init__(kernel, dtype)
        # the direct kernel's register tile; None: chosen by shape (``_direct._choose_tile``).
        # Tests and A/B runs force one to compare tiles on the same convolution.
        self.tile = tile
        # whether few-filter convolutions may merge output columns into output channels
        # (``ops/_conv_column_merge.py``): True by the cost rule, False never, an int forces
        # that many columns per block (tests and A/B runs compare them)
        self.column_merge = column_merge

    def packed(self, groups: int, module=None) -> PackedWeights:
        """The blocked weights for ``groups`` (packed on first use, then cached)."""
        key = (groups, id(module))
        if key not in self._cache:
            k = self.kernel
            k5 = k.reshape((1,) * (5 - k.ndim) + k.shape)
            self._cache[key] = pack_weights(k5, groups, module, self.tile)
        return self._cache[key]

    def winograd(self, groups: int, module=None) -> _winograd.WinogradKernel:
        """The Winograd-transformed weights for ``groups`` (a 2-D 3x3 or 3-D 3x3x3 kernel;
        transformed on first use, then cached)."""
        key = ("winograd", groups, id(module))
        if key not in self._cache:
            self._cache[key] = _winograd.transform_kernel(self.kernel, groups, module)
        return self._cache[key]


def pack_conv_kernel(kernel, dtype=None) -> PackedConvKernel:
    """Cast and pack a conv kernel once, for repeated :func:`conv` calls (advanced API).

    Parameters
    ----------
    kernel : array_like
        Keras layout ``kernel_size + (in_channels // groups, filters)``.
    dtype : {"float32", "float64"} or None
        Compute dtype; ``None``: float64 for a float64 kernel, else float32.

    Returns
    -------
    PackedConvKernel
        An object :func:`conv` accepts in place of ``kernel``: the weights cast and laid out
        once, so repeated calls skip that work.

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
    >>> from convkit.ops.conv import conv, pack_conv_kernel
    >>> k = pack_conv_kernel(np.ones((3, 3, 2, 4)))
    >>> conv(np.ones((1, 5, 5, 2), np.float32), k, padding="same").shape
    (1, 5, 5, 4)
    """
    return PackedConvKernel(kernel, dtype)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
         bias=None, activation=None, algorithm=None) -> np.ndarray:
    """N-D convolution (cross-correlation), as ``keras.ops.conv``, with optional bias and relu.

    Parameters
    ----------
    inputs : array_like
        Rank ``r + 2`` (``r`` = 1, 2 or 3 spatial axes), ``(batch, *spatial, channels)`` for
        ``channels_last``, ``(batch, channels, *spatial)`` for ``channels_first``.
    kernel : array_like or PackedConvKernel
        ``kernel_size + (channels // groups, filters)`` (Keras layout); ``groups`` is inferred
        as ``channels // kernel.shape[-2]``. A :func:`pack_conv_kernel` object is accepted too.
    strides, dilation_rate : int or tuple of int
        Per spatial axis; strides > 1 together with dilation > 1 is allowed (as keras.ops).
    padding : {"valid", "same", "causal"}
        Keras's rules: "same" pads asymmetrically (odd extra after); "causal" (rank 1 only)
        left-pads ``dilation * (kernel - 1)``.
    data_format : {"channels_last", "channels_first"} or None
        ``None``: :func:`convkit.config.image_data_format`.
    bias : array_like of shape (filters,), optional
        Added in the kernel's store.
    activation : {None, "linear", "relu"}
        Fused into the store.
    algorithm : {None, "auto", "direct", "winograd"}
        ``None``: :func:`convkit.config.conv_algorithm` (``"auto"`` unless set). ``"winograd"``
        runs the Winograd F(4x4, 3x3) kernel (2-D 3x3 or 3-D 3x3x3 kernel, strides 1,
        dilation 1, "valid" or "same"; ``ValueError`` for any other convolution, saying
        why): a quarter of the multiply-adds, a float32 error a few times the direct
        kernel's (well inside Keras's tolerances). ``"auto"`` chooses by shape alone
        (Winograd when it is eligible, both channel counts per group and the output's
        sides are large enough for its transforms to pay, and the batch has enough tiles
        to amortise streaming a large transformed kernel), ``"direct"`` always runs the
        direct kernel.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array, float64 if ``inputs``, ``kernel`` or ``bias`` is float64 (a
        packed kernel's own dtype otherwise decides), else float32.

    Raises
    ------
    ValueError
        If ``inputs`` and ``kernel`` do not have matching ranks or channel counts, if an
        argument is out of range (the message names it), or if the output would be empty.
    TypeError
        If ``inputs`` or a weight is a complex, object or string array.

    Notes
    -----
    Padding is zeros that are multiplied: an inf or NaN weight gives NaN wherever it meets
    the padding (``0 * inf``), as in the NumPy definition and Keras. Such kernels take a
    slower path with the input padded explicitly. Winograd mixes a tile's inputs, so it would
    spread an inf or NaN over whole tiles: such kernels run the direct kernel, and a Winograd
    result holding an inf or NaN is computed again by the direct kernel, so non-finite values
    land where Keras puts them whatever the algorithm.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.conv(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), padding="same")[0, :, :, 0]
    array([[4., 6., 6., 4.],
           [6., 9., 9., 6.],
           [6., 9., 9., 6.],
           [4., 6., 6., 4.]])
    """
    key = None
    if type(kernel) is PackedConvKernel and kernel.finite:
        key = _conv_plans.plan_key(inputs, kernel, strides, padding, data_format,
                                   dilation_rate, bias, activation, algorithm)
        plan = _conv_plans.remembered(key)
        if plan is not None and plan.accepts_bias(bias):
            return plan.run_user(inputs, kernel, bias)
    data_format, relu, x, bias, packed_kernel, k, dtype, rank = PackedConvKernel.op_arguments(
        inputs, kernel, bias, data_format, activation)
    if x.ndim != rank + 2:
        raise ValueError(
            "Kernel shape must have the same length as input, but received kernel of shape "
            f"{tuple(k.shape)} and input of shape {tuple(x.shape)}. (`inputs` must have rank "
            f"{rank + 2} for a rank-{rank + 2} kernel.)")
    c = shapes.channels(x, data_format)
    cg, filters = k.shape[-2], k.shape[-1]
    if c == 0 or cg == 0 or filters == 0 or min(k.shape[:-2]) == 0:
        raise ValueError("Zero channels, filters or kernel size: `inputs` has shape "
                         f"{tuple(x.shape)} and `kernel` has shape {tuple(k.shape)}")
    if c % cg:
        raise ValueError(
            "The number of input channels must be evenly divisible by kernel's in_channels. "
            f"Received input channels {c} and kernel in_channels {cg}.")
    groups = c // cg
    if filters % groups:
        raise ValueError(
            "The number of filters must be evenly divisible by the number of groups. "
            f"Received: groups={groups}, filters={filters} (groups = input channels {c} // "
            f"kernel in_channels {cg}).")
    spatial = shapes.spatial_shape(x, data_format)
    geometry = conv_geometry(spatial, k.shape[:-2], strides, padding, dilation_rate, who="conv")
    b = _arrays.check_bias(bias, filters, dtype)
    use_winograd = winograd_wanted(algorithm, geometry, padding, rank,
                                   geometry.out_spatial, cg, filters // groups, dtype,
                                   images=x.shape[0])

    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    if packed_kernel is None:
        packed_kernel = PackedConvKernel(k, dtype)
    if use_winograd and packed_kernel.finite:
        out = winograd_5d(x5, packed_kernel.winograd(groups), geometry, b, relu, rank,
                          data_format)
        if out is not None:
            return out
    return conv_5d(x5, packed_kernel, groups, geometry, b, relu, rank, data_format,
                   plan_key=None if use_winograd else key)


def winograd_wanted(algorithm, geometry, padding, rank: int, out_spatial, cg: int, fg: int,
                    dtype=None, *, images: int | None = None,
                    itemsize: int | None = None) -> bool:
    """Whether a convolution of ``geometry`` (its ``kernel_spatial``, ``strides``,
    ``dilation``) and ``padding`` runs the Winograd kernel, producing ``out_spatial`` (its
    last two sizes decide) from ``cg`` to ``fg`` channels per group; ``ValueError`` when
    ``"winograd"`` is asked of a convolution it cannot run. ``algorithm`` ``None`` reads the
    setting. With the compute ``dtype``, ``"auto"`` also leaves to the direct kernel the
    filter counts that would fill Winograd's channel blocks mostly with zeros
    (:func:`_winograd_blocks_mostly_padding`), and with ``images`` (the batch) wide kernels
    on too few tiles (:func:`_winograd.prefers_winograd`; ``itemsize`` defaults to the
    ``dtype``'s, else 4)."""
    algorithm = config.conv_algorithm() if algorithm is None else \
        config.check_conv_algorithm(algorithm)
    if algorithm == "direct":
        return False
    why_not = _winograd.ineligibility(
        rank, geometry.kernel_spatial[3 - rank:], geometry.strides[3 - rank:],
        geometry.dilation[3 - rank:], standardize_padding(padding, allow_causal=rank == 1))
    if algorithm == "winograd":
        if why_not is not None:
            raise ValueError(f"algorithm='winograd' cannot run this convolution: {why_not}. "
                             "Use algorithm='auto' or 'direct'.")
        return True
    if images is not None and rank == 3:
        images *= out_spatial[0]
    if itemsize is None:
        itemsize = 4 if dtype is None else np.dtype(dtype).itemsize
    return (why_not is None
            and _winograd.prefers_winograd(out_spatial, cg, fg, images=images,
                                           itemsize=itemsize, kernel_depth=3 if rank == 3 else 1)
            and not (dtype is not None and _winograd_blocks_mostly_padding(fg, dtype)))


def _winograd_blocks_mostly_padding(fg: int, dtype) -> bool:
    """Whether the Winograd kernel's blocks of output channels (the ``KB`` of the register
    tile its GEMMs choose, ``_direct.choose_one_group_tile``) would be half or more zero
    lanes for ``fg`` filters per group. The direct kernel runs such counts on its one-vector
    "slim" tile without padding. For 16 filters (ResNeXt-50 layer3, CIFAR ResNets; float32
    with AVX-512: 16 of Winograd's 32 lanes) the direct kernel measured 1.2-1.4x faster than
    Winograd; for 32 filters Winograd was 1.6x faster (1 thread, CPU time, in-process)."""
    _, _, kb = choose_one_group_tile(fg, np.dtype(dtype), _winograd._winograd)
    return 2 * fg <= -(-fg // kb) * kb


def winograd_5d(x5, wk: _winograd.WinogradKernel, geometry, bias, relu: int, rank: int,
                data_format: str):
    """Run the Winograd kernel (``wk``: a transformed 3x3 or 3x3x3 kernel) on the ``(N, D,
    H, W, C)`` input ``x5`` (``D = 1`` in 2-D) of a rank-``rank`` convolution; ``geometry``
    gives the output size and padding before (up to 2: the input gradient's "full"
    correlation). Returns the output in the user's ``data_format``, or ``None`` when it holds
    an inf or NaN (the caller then runs the direct kernel, which puts them where Keras
    does)."""
    dtype = wk.u.dtype
    out, out_strides, out_channel_stride = direct_output(
        x5.shape[0], geometry.out_spatial, wk.groups * wk.fg, rank, data_format, dtype)
    if out.size:
        _winograd.run_winograd(x5, wk, _winograd.winograd_bias(bias, wk, dtype), out,
                               out_spatial=geometry.out_spatial, pad=geometry.pad_before,
                               out_strides=out_strides,
                               out_channel_stride=out_channel_stride, relu=relu)
        # an inf or NaN: the transforms spread a non-finite input over whole tiles, and an
        # overflow of the transformed values may have no counterpart in the direct sums, so
        # the direct kernel recomputes it
        if not _arrays.all_finite(out):
            return None
    return out


def conv_5d(x5, packed_kernel: PackedConvKernel, groups: int, geometry, bias, relu: int,
            rank: int, data_format: str, plan_key=None) -> np.ndarray:
    """The direct-kernel part of :func:`conv`, for checked arguments and any geometry.

    ``x5`` is the ``(N, D, H, W, C)`` input in the kernel's dtype; ``geometry`` a
    :class:`~convkit.ops._geometry.ConvGeometry` whose ``out_spatial`` and ``pad_before`` may
    be any (the gradient ops ask for output lengths and paddings Keras's ``padding`` cannot
    express: input positions outside ``x5`` read zeros). Returns the output in the user's
    ``data_format``. With a ``plan_key`` (:func:`convkit.ops._conv_plans.plan_key`), the
    call's plan is remembered for the next call with the same key.
    """
    if not packed_kernel.finite:
        x5, geometry = with_explicit_padding(x5, geometry)
    plan = _conv_plans.DirectPlan(x5.shape, packed_kernel, groups, geometry, relu, rank,
                                  data_format)
    out = plan.run(x5, packed_kernel, bias)
    if packed_kernel.finite:
        _conv_plans.remember(plan_key, plan)
    return out
