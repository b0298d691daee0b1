"""Remembered direct-convolution calls: what :func:`convkit.ops.conv` decides from shapes alone.

A layer calls ``ops.conv`` with the same input shape, arguments and weight layout over and over
(inference on a stream of images, or every step of ``fit``). All that the op works out from
those (the checks, the geometry, the algorithm, the thread count, the kernel's job record and
the output's layout) depends on nothing else, so it is worked out once and kept here as a
:class:`DirectPlan`, keyed by those arguments. For a small layer that Python was most of the
call (docs/design/kernels.md §12.1); a remembered call allocates the output and enters the
kernel.

Only calls whose arguments are plain values take part (an ndarray input already in the kernel's
dtype and C-contiguous, strings and ints for the rest): anything that needs converting or
checking runs the full op, which raises the same errors as ever. Weights are not part of the
key: a plan reads them from the packed kernel on each call, so a training step that repacks
changed weights finds the plan of the previous step.
"""

import math

import numpy as np

from .. import config
from .._threads import get_num_threads, threads_for
from . import _arrays
from ._conv_column_merge import column_block, merged_weights
from ._direct import direct_conv_job, direct_output, job_records, job_table, packed_bias
from ._geometry import _plain_ints

_PLANS: dict = {}
_MAX_PLANS = 512  # distinct (shape, arguments) pairs in one process; forgotten all at once


def plan_key(x, kernel, strides, padding, data_format, dilation_rate, bias, activation,
             algorithm):
    """The key of a call whose plan may be remembered, or ``None`` when the call needs the
    full op (inputs to convert, arguments that are not plain strings and ints).

    ``kernel`` is a packed kernel; settings the call reads (image data format, conv
    algorithm, thread count) are part of the key, so changing one finds a new plan.
    """
    if (type(x) is not np.ndarray or x.dtype != kernel.dtype or not x.flags.c_contiguous
            or type(padding) is not str or not _plain_ints(strides)
            or not _plain_ints(dilation_rate)):
        return None
    if bias is not None and (type(bias) is not np.ndarray or bias.dtype != kernel.dtype
                             or bias.ndim != 1 or not bias.flags.c_contiguous):
        return None
    if not (activation is None or type(activation) is str) or not (
            algorithm is None or type(algorithm) is str):
        return None
    if data_format is None:
        data_format = config.image_data_format()
    elif type(data_format) is not str:
        return None
    return (x.shape, kernel.shape, kernel.dtype, kernel.tile, kernel.column_merge, strides,
            padding, data_format,
            dilation_rate, activation, algorithm or config.conv_algorithm(), bias is None,
            get_num_threads())


def remembered(key):
    """The plan stored under ``key`` (``None`` for a key of ``None``, or one not seen)."""
    return None if key is None else _PLANS.get(key)


def remember(key, plan) -> None:
    if key is None:
        return
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = plan


class DirectPlan:
    """One direct-kernel convolution of fixed shapes, ready to run on any weights packed with
    the same layout.

    Built from checked arguments: ``x5_shape`` is the kernel-layout ``(N, D, H, W, C)`` input
    shape, ``geometry`` a :class:`~convkit.ops._geometry.ConvGeometry`, ``groups``, ``relu``
    and ``data_format`` as the op resolved them.
    """

    __slots__ = ("groups", "filters", "dtype", "data_format", "out_shape", "out_size",
                 "records", "n_threads", "_zero_bias", "_bias_as_is", "block", "_s_w",
                 "_plain_job")

    def __init__(self, x5_shape, packed_kernel, groups: int, geometry, relu: int, rank: int,
                 data_format: str):
        self.groups, self.filters = groups, packed_kernel.shape[-1]
        self.dtype, self.data_format = packed_kernel.dtype, data_format
        out, out_strides, out_channel_stride = direct_output(
            x5_shape[0], geometry.out_spatial, self.filters, rank, data_format, self.dtype)
        self.out_shape, self.out_size = out.shape, out.size
        macs = out.size * math.prod(geometry.kernel_spatial) * (x5_shape[-1] // groups)
        self.n_threads = threads_for(macs)
        # few filters: blocks of output columns as output channels (_conv_column_merge)
        self.block = column_block(packed_kernel, groups, geometry, data_format)
        self._s_w = geometry.strides[2]

        def plain_job(p):
            return direct_conv_job(
                x5_shape[0], x5_shape[-1], p, in_spatial=geometry.in_spatial,
                out_spatial=geometry.out_spatial, kernel_spatial=geometry.kernel_spatial,
                strides=geometry.strides, dilation=geometry.dilation, pad=geometry.pad_before,
                out_origin=0, out_strides=out_strides, out_channel_stride=out_channel_stride,
                relu=relu, n_threads=self.n_threads)

        # the plain job, for plain plans and for a merged result holding an inf or NaN
        self._plain_job = plain_job
        if self.block:
            merge = merged_weights(packed_kernel, self.block, self._s_w)
            jobs = merge.jobs(x5_shape[0], x5_shape[-1], geometry, out_strides, relu,
                              self.n_threads)
            self._zero_bias = merge.bias(None, self.dtype)
            self._bias_as_is = False
        else:
            p = packed_kernel.packed(groups)
            jobs = [plain_job(p)]
            self._zero_bias = packed_bias(None, self.filters, p, self.dtype)
            # the packed bias is the bias itself when no block has padding lanes
            self._bias_as_is = self._zero_bias.size == self.filters
        self.records = _frozen_table(jobs)
        self._zero_bias.flags.writeable = False

    def accepts_bias(self, bias) -> bool:
        """Whether a remembered call may pass ``bias`` (already known to be a contiguous
        vector of the plan's dtype) straight in."""
        return bias is None or bias.shape[0] == self.filters

    def run(self, x5, packed_kernel, bias) -> np.ndarray:
        """The convolution of the kernel-layout input ``x5`` (C-contiguous, the plan's dtype)
        with ``packed_kernel``'s weights and ``bias`` (``None`` or ``(filters,)``), as a new
        array in the user's layout."""
        out = np.empty(self.out_shape, dtype=self.dtype)
        if not self.out_size:
            return out
        if self.block:
            merge = merged_weights(packed_kernel, self.block, self._s_w)
            b = self._zero_bias if bias is None else merge.bias(bias, self.dtype)
            _run(merge.merged, x5, merge.weights, b, out, self.records, self.n_threads)
            # an inf or NaN: the merge's zero taps may have made 0 * inf (module docstring of
            # _conv_column_merge), so the plain job computes it again
            if _arrays.all_finite(out):
                return out
        p = packed_kernel.packed(self.groups)
        if bias is None and not self.block:
            b = self._zero_bias
        elif self._bias_as_is:
            b = bias
        else:
            b = packed_bias(bias, self.filters, p, self.dtype)
        records = _frozen_table([self._plain_job(p)]) if self.block else self.records
        _run(p, x5, p.weights, b, out, records, self.n_threads)
        return out

    def run_user(self, x, packed_kernel, bias) -> np.ndarray:
        """:meth:`run` on the user's array ``x`` (its ``data_format``, C-contiguous)."""
        if self.data_format == "channels_first":
            x = _arrays.to_kernel_layout(x, "channels_first")
        return self.run(x, packed_kernel, bias)


def _frozen_table(jobs: list) -> np.ndarray:
    """The kernel's job table of ``jobs``, read-only (shared by every call of a plan)."""
    table = job_table(job_records(jobs))
    table.flags.writeable = False
    return table


def _run(p, x5, weights, bias, out, records, n_threads) -> None:
    """One kernel call: ``records``' jobs on weights and bias packed for ``p``'s tile."""
    fn = p.module.conv_d if out.dtype == np.float64 else p.module.conv_f
    fn(x5.reshape(-1), weights, bias, out.reshape(-1), records, p.tile, n_threads)
