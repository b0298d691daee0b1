"""Per-call geometry of a forward convolution, in the kernels' 3-axis form.

Ops turn user arguments into a :class:`ConvGeometry`: output sizes and implicit ``pad_before``
per spatial axis, padded to three axes (``D, H, W``) with singleton leading axes for 1-D and
2-D, so every rank runs the same kernel.
"""

import functools
from dataclasses import dataclass, replace

from . import shapes
from .arguments import standardize_padding, standardize_tuple
from .resample import zero_pad


@dataclass(frozen=True)
class ConvGeometry:
    """Integers a forward-conv kernel needs, all as 3-tuples over (D, H, W)."""

    in_spatial: tuple
    out_spatial: tuple
    kernel_spatial: tuple
    strides: tuple
    dilation: tuple
    pad_before: tuple

    @property
    def rank_out_spatial(self) -> tuple:
        """Output spatial shape without the singleton padding axes."""
        return self.out_spatial[3 - self._rank:]

    _rank: int = 3


def _pad3(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def _plain_ints(value) -> bool:
    """An int or a tuple of ints, of exactly type int: the arguments whose geometry can be
    remembered (a float, a bool or a list must go through the checks each time, since
    ``2.0 == 2`` would otherwise find the result of an accepted ``2``)."""
    if type(value) is int:
        return True
    return type(value) is tuple and all(type(v) is int for v in value)


def conv_geometry(in_spatial, kernel_spatial, strides, padding, dilation_rate,
                  who: str = "conv") -> ConvGeometry:
    """Validate ``strides``/``padding``/``dilation_rate`` and compute output size and padding.

    Raises ``ValueError`` (Keras's wording) when a ``valid`` output would be empty, and when
    ``causal`` is asked of a rank other than 1.
    """
    in_spatial, kernel_spatial = tuple(in_spatial), tuple(kernel_spatial)
    if (type(padding) is str and _plain_ints(strides) and _plain_ints(dilation_rate)
            and _plain_ints(in_spatial) and _plain_ints(kernel_spatial)):
        # a layer asks the same question on every call: answering from memory saves a few
        # microseconds of Python per call, which is most of a small layer's time
        return _remembered_geometry(in_spatial, kernel_spatial, strides, padding,
                                    dilation_rate, who)
    return _geometry(in_spatial, kernel_spatial, strides, padding, dilation_rate, who)


def _geometry(in_spatial, kernel_spatial, strides, padding, dilation_rate, who) -> ConvGeometry:
    rank = len(in_spatial)
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding, allow_causal=(rank == 1))
    out, before = [], []
    for n, k, s, d in zip(in_spatial, kernel_spatial, strides, dilation):
        out.append(shapes.conv_output_length(n, k, s, d, padding))
        before.append(shapes.conv_padding(n, k, s, d, padding)[0])
    if padding == "valid":  # same/causal of an empty input is an empty output, as in keras.ops
        shapes.check_conv_output(out, inputs_shape=in_spatial, kernel_shape=kernel_spatial,
                                 dilation_rate=dilation, strides=strides, padding=padding,
                                 who=who)
    return ConvGeometry(
        in_spatial=_pad3(in_spatial, 1), out_spatial=_pad3(out, 1),
        kernel_spatial=_pad3(kernel_spatial, 1), strides=_pad3(strides, 1),
        dilation=_pad3(dilation, 1), pad_before=_pad3(before, 0), _rank=rank)


# errors are raised, never remembered; ConvGeometry is frozen, so sharing one is safe
_remembered_geometry = functools.lru_cache(maxsize=512)(_geometry)


def with_explicit_padding(x5, geometry: ConvGeometry) -> tuple:
    """``(x5, geometry)`` with the padding written into a copy of ``x5`` and ``pad_before`` zero.

    For kernels holding inf or NaN. The compute kernels skip taps that fall in the padding
    (products with zeros), so ``0 * inf = NaN`` would never happen there, and where it did
    would depend on the tiling. Keras defines the padding as zeros that are multiplied (XLA
    does so wherever the kernel fits the input and is padded on both sides; it drops some of
    those products elsewhere): on an explicitly padded input every tap is in range, so the
    kernels compute every product. Returns the arguments unchanged when there is no padding.
    """
    pads = []
    for n, o, k, s, d, before in zip(geometry.in_spatial, geometry.out_spatial,
                                     geometry.kernel_spatial, geometry.strides,
                                     geometry.dilation, geometry.pad_before, strict=True):
        reach = (o - 1) * s + (k - 1) * d + 1  # input extent the outputs read, padding included
        pads.append((before, max(0, reach - before - n)))
    if not any(b or a for b, a in pads):
        return x5, geometry
    padded = zero_pad(x5, pads, "channels_last")
    return padded, replace(geometry, in_spatial=tuple(padded.shape[1:4]),
                           pad_before=(0, 0, 0))
