"""Receptive-field arithmetic for tiling a fully convolutional model (no Dask in here).

Every supported layer maps, along each spatial axis, an interval of *output* indices
``[a, b)`` to the interval of *input* indices ``[lo, hi)`` it reads (``need``), and says which
global output index the first output of a tile starting at input ``lo`` has (``origin``).
All arithmetic is on Python ints. Composed from the last layer to the first, these maps give,
for a block of the model's output, the exact window of every intermediate array, so a block
is computed layer by layer from exactly the values the whole-array computation uses:

- conv-family layers (plain, depthwise, separable, transposed) run in ``"valid"`` mode on a
  tile whose parts outside the layer's real input are zeros: that *is* the layer's own
  ``same``/``causal``/``valid`` padding, applied only at the image's real borders, never at a
  block seam (a seam gets real neighbours instead);
- Cropping and ZeroPadding only shift indices (zeros outside the input again);
- UpSampling repeats (nearest) or interpolates; an interpolating axis is never zero-extended:
  the tile is clipped to the real input and holds every tap window the kept outputs use, so
  the layer shifts its windows at the real borders exactly as on the whole array.

Layers are read through their public attributes only (``kernel_size``, ``strides``,
``dilation_rate``, ``padding``, ``output_padding``, ``cropping``, ``size``,
``interpolation``, ``data_format``).
"""

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from ..layers import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from ..layers._conv_common import ConvolutionLayer
from ..layers.conv_transpose import BaseConvTranspose
from ..models.sequential import Sequential
from ..ops import shapes
from ..ops.interpolation import TAP_RADIUS


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --------------------------------------------------------------------- one layer, one axis
@dataclass(frozen=True)
class Forward:
    """Conv, DepthwiseConv, SeparableConv: output ``o`` reads padded input ``o*s + t*d``."""
    k: int
    s: int
    d: int
    before: int  # the layer's own zeros before the input (same/causal), 0 for valid
    up, fill = 1, "zeros"

    @property
    def down(self):
        return self.s

    def need(self, a, b):
        ek = shapes.effective_kernel(self.k, self.d)
        return a * self.s - self.before, (b - 1) * self.s + ek - self.before

    def origin(self, lo):
        return (lo + self.before) // self.s  # exact: need() made lo + before a multiple of s


@dataclass(frozen=True)
class Transposed:
    """ConvTranspose: input ``i`` scatters to buffer ``i*s + t*d``; output ``o`` is buffer
    ``o + crop`` (crop from Keras's same padding, 0 for valid)."""
    k: int
    s: int
    d: int
    crop: int
    down, fill = 1, "zeros"

    @property
    def up(self):
        return self.s

    def need(self, a, b):
        ek = shapes.effective_kernel(self.k, self.d)
        first = min(_ceil_div(a + self.crop - ek + 1, self.s), (a + self.crop) // self.s)
        return first, (b - 1 + self.crop) // self.s + 1

    def origin(self, lo):
        return lo * self.s - self.crop


@dataclass(frozen=True)
class Nearest:
    """UpSampling by repetition: output ``o`` is input ``o // f``."""
    f: int
    down, fill = 1, "zeros"

    @property
    def up(self):
        return self.f

    def need(self, a, b):
        return a // self.f, (b - 1) // self.f + 1

    def origin(self, lo):
        return lo * self.f


@dataclass(frozen=True)
class Interpolated:
    """UpSampling2D bilinear/bicubic/lanczos (``ops.interpolation.tap_table``): output ``o`` samples
    ``u = (2o + 1 - f) / 2f`` from the ``T = min(n, 2r)`` inputs starting at
    ``clip(floor(u) - r + 1, 0, n - T)``. The tile is clipped to ``[0, n)`` and at least
    ``T`` long, so its window shifts equal the whole array's."""
    f: int
    radius: int
    n: int
    down, fill = 1, "clip"

    @property
    def up(self):
        return self.f

    def need(self, a, b):
        if self.f == 1:  # the identity, as in tap_table
            return a, b
        taps = min(self.n, 2 * self.radius)

        def start(o):
            base = (2 * o + 1 - self.f) // (2 * self.f)
            return min(max(base - self.radius + 1, 0), self.n - taps)

        return start(a), start(b - 1) + taps

    def origin(self, lo):
        return lo * self.f


@dataclass(frozen=True)
class Shift:
    """Cropping (``offset`` = crop before) and ZeroPadding (``offset`` = -pad before)."""
    offset: int
    up, down, fill = 1, 1, "zeros"

    def need(self, a, b):
        return a + self.offset, b + self.offset

    def origin(self, lo):
        return lo - self.offset


# --------------------------------------------------------------------- layers
@dataclass(frozen=True)
class Step:
    """One layer of the flattened model: how it runs and its per-axis maps."""
    index: int       # position in the flattened layer list
    kind: str        # "conv" (run as valid), "resample" (run as is), "shift" (no call)
    axes: tuple      # one map per spatial axis
    data_format: str
    in_shape: tuple  # the layer's whole input shape (batch None)
    out_shape: tuple


def flatten(model) -> list:
    """The layers of a Sequential, nested Sequentials expanded in place."""
    out = []
    for layer in model.layers:
        out.extend(flatten(layer) if isinstance(layer, Sequential) else [layer])
    return out


def _refuse(layer, why):
    raise ValueError(f"convkit.dask cannot tile the spatial axes through layer '{layer.name}' "
                     f"({type(layer).__name__}): {why}. Chunk the Dask array along the batch "
                     "axis only (one chunk per spatial axis).")


def _layer_maps(layer, in_shape) -> tuple:
    """(kind, per-axis maps) of one layer for the input shape ``in_shape``."""
    spatial = shapes.spatial_shape(in_shape, layer.data_format)
    if isinstance(layer, BaseConvTranspose):
        pads = layer.output_padding or (None,) * layer.rank
        return "conv", tuple(
            Transposed(k, s, d, shapes.transpose_crop(k, s, d, layer.padding, op))
            for k, s, d, op in zip(layer.kernel_size, layer.strides, layer.dilation_rate, pads))
    if isinstance(layer, ConvolutionLayer):
        return "conv", tuple(
            Forward(k, s, d, shapes.conv_padding(n, k, s, d, layer.padding)[0])
            for n, k, s, d in zip(spatial, layer.kernel_size, layer.strides,
                                  layer.dilation_rate))
    if isinstance(layer, (Cropping1D, Cropping2D, Cropping3D)):
        pairs = (layer.cropping,) if isinstance(layer, Cropping1D) else layer.cropping
        return "shift", tuple(Shift(before) for before, _ in pairs)
    if isinstance(layer, (ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)):
        pairs = (layer.padding,) if isinstance(layer, ZeroPadding1D) else layer.padding
        return "shift", tuple(Shift(-before) for before, _ in pairs)
    if isinstance(layer, (UpSampling1D, UpSampling2D, UpSampling3D)):
        sizes = (layer.size,) if isinstance(layer, UpSampling1D) else layer.size
        if layer.interpolation == "nearest":
            return "resample", tuple(Nearest(f) for f in sizes)
        if layer.interpolation not in TAP_RADIUS:
            _refuse(layer, f"interpolation {layer.interpolation!r} has no known tap radius")
        return "resample", tuple(Interpolated(f, TAP_RADIUS[layer.interpolation], n)
                                 for f, n in zip(sizes, spatial))
    _refuse(layer, "only convolution, cropping, zero-padding and upsampling layers (and "
                   "Sequential models of them) have a bounded receptive field convkit knows")


def plan_steps(model, input_shape) -> list:
    """The flattened layers of ``model`` as :class:`Step` objects for ``input_shape``."""
    if not isinstance(model, Sequential):
        _refuse(model, "only Sequential models are tiled")
    steps, shape = [], (None, *tuple(input_shape)[1:])
    layers = flatten(model)
    first = layers[0] if layers else None
    for i, layer in enumerate(layers):
        if not hasattr(layer, "data_format") or not hasattr(layer, "rank"):
            _refuse(layer, "it is not a spatial layer")
        if (layer.rank, layer.data_format) != (first.rank, first.data_format):
            _refuse(layer, f"its rank/data_format ({layer.rank}, {layer.data_format}) differs "
                           f"from the first layer's ({first.rank}, {first.data_format})")
        out = tuple(layer.compute_output_shape(shape))
        kind, axes = _layer_maps(layer, shape)
        steps.append(Step(i, kind, axes, layer.data_format, shape, out))
        shape = out
    return steps


# --------------------------------------------------------------------- composition
def windows(steps, axis: int, a: int, b: int) -> list:
    """Per step, the input interval ``(lo, hi)`` it reads (unclipped for zero-filled steps)
    so that the last step yields outputs ``[a, b)`` along spatial ``axis``."""
    out, requests = (a, b), []
    for step in reversed(steps):
        n_in = shapes.spatial_shape(step.in_shape, step.data_format)[axis]
        if out[0] >= out[1]:          # nothing wanted: an empty request
            lo, hi = 0, 0
        else:
            lo, hi = step.axes[axis].need(*out)
        requests.append((lo, hi))
        out = (max(lo, 0), min(hi, n_in))
    return requests[::-1]


def periods(steps, axis: int) -> tuple:
    """``(R, Q)``: shifting the input by ``R`` shifts every layer's output by a whole number
    of samples, the model's by ``Q`` (the composite stride, in output samples)."""
    scale, denominators = Fraction(1), [1]
    for step in steps:
        m = step.axes[axis]
        scale *= Fraction(m.up, m.down)
        denominators.append(scale.denominator)
    r = lcm(*denominators)
    return r, int(r * scale)


def output_bounds(steps, axis: int, in_chunks: tuple, n_out: int) -> tuple:
    """Output chunk sizes along ``axis``: one block per input chunk, its boundaries moved to
    the nearest multiple of the composite stride ``Q`` (so interior blocks of equal input
    chunks have the same shape and halo)."""
    _, q = periods(steps, axis)
    n_in = sum(in_chunks)
    cuts, c = {0, n_out}, 0
    for size in in_chunks[:-1]:
        c += size
        cut = round(Fraction(c * n_out, n_in) / q) * q
        if 0 < cut < n_out:
            cuts.add(cut)
    cuts = sorted(cuts)
    return tuple(hi - lo for lo, hi in zip(cuts, cuts[1:]))
