"""Transposed convolution scenes: scatter view, zero-insertion view, ambiguity strip.

The two pictures are computed from their definitions (docs/design/keras_parity.md §3.2): the scatter
view stamps ``x[i] · K`` into a full buffer and crops ``c0``; the zero-insertion view puts s − 1
zeros between inputs, pads, and runs a *unit-stride* ``ops.conv`` with the flipped kernel. A badge
compares both with ``ops.conv_transpose``, which gives the output that is displayed.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from convkit import ops
from convkit.ops import shapes

from . import common
from .common import CHANNELS_LAST, CaptionedScene, SceneError
from .matrix import matrix_view
from .text import axis_text, fmt


@dataclass(frozen=True)
class TransposedConfig(common.WindowConfig):
    """A Conv1DTranspose/Conv2DTranspose configuration: ``rank``, ``kernel_size``,
    ``strides`` (default 2 here) and ``dilation_rate`` as in :class:`.ConvConfig`, plus:

    Parameters
    ----------
    padding : {"valid", "same"}
    output_padding : None, int or tuple of ints
        Each entry must be < the stride on its axis.

    Examples
    --------
    >>> TransposedConfig(strides=2, output_padding=1).output_padding
    (1, 1)
    """

    strides: tuple = 2
    output_padding: tuple | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.output_padding is not None:
            object.__setattr__(self, "output_padding",
                               common.as_tuple(self.output_padding, self.rank))


def _explain(message: str) -> str:
    if "output_padding" in message:
        return ("output_padding only chooses among the input sizes that a stride-s conv maps "
                "to the same n, and there are s of them (0 … s − 1), so it must stay below the "
                "stride.")
    return "convkit refuses these settings; the message above names the argument."


@dataclass
class TransposedScene(CaptionedScene):
    """One step: the scatter of input cell ``position`` and both equivalent pictures."""

    config: TransposedConfig
    step: int
    n_steps: int
    x: np.ndarray               # input, spatial + (C,)
    kernel: np.ndarray          # kernel_size + (F, C)
    output: np.ndarray          # ops.conv_transpose, out_spatial + (F,)
    scatter: np.ndarray         # scatter view result, same shape as output
    zero_insertion: np.ndarray  # zero-insertion view result, same shape
    full: np.ndarray            # the uncropped scatter buffer, (L…) + (F,)
    crop: tuple                 # c0 per axis: output j reads full[j + c0]
    position: tuple             # this step's input position
    stamp_origin: tuple         # where x[position]·K lands in the full buffer
    stamp: np.ndarray           # kernel_size + (F,): x[position] · K (dilated taps)
    partial: np.ndarray         # output after stamping inputs 0 … step (cropped)
    inserted: np.ndarray        # the zero-inserted, padded input of the conv view
    inserted_kind: np.ndarray   # 0 = input value, 1 = inserted zero, 2 = border zero
    identical: bool             # scatter == zero insertion == ops.conv_transpose
    ambiguity: list             # per axis: {"n", "candidates", "chosen", "maps_back"}
    caption: str
    formula: str
    code: dict
    matrix: object = None       # MatrixView (tiny sizes) or None


class TransposedComputation:
    """Compute a transposed conv three ways once; serve a scene per input position.

    Examples
    --------
    >>> import numpy as np
    >>> computation = TransposedComputation(TransposedConfig(), np.arange(1.0, 5.0).reshape(2, 2))
    >>> computation.output.shape, computation.identical
    ((5, 5, 1), True)
    """

    def __init__(self, config: TransposedConfig, x, kernel=None):
        self.config = config
        x = self.x = common.channels_last_input(x, config.rank)
        if kernel is None:
            kernel = np.ones(config.kernel_size + (1, x.shape[-1]), np.float32)
            kernel[...] = np.arange(1, int(np.prod(config.kernel_size)) + 1).reshape(
                config.kernel_size + (1, 1))
        self.kernel = np.asarray(kernel, dtype=np.float32)
        common.check_conv_strides_dilation(config)
        if config.padding not in ("valid", "same"):
            raise SceneError(f"The `padding` argument must be 'valid' or 'same'. Received: "
                             f"{config.padding}", "Transposed convs have no causal padding.")
        sizes = [shapes.transpose_output_length(m, k, s, d, config.padding, op)
                 for m, k, s, d, op in zip(x.shape[:-1], config.kernel_size, config.strides,
                                           config.dilation_rate,
                                           config.output_padding or (None,) * config.rank,
                                           strict=False)]
        if min(sizes) <= 0:
            # convkit returns an empty array here, like Keras (docs/design/keras_parity.md D7):
            # nothing to draw
            raise SceneError(f"the transposed output would have shape {tuple(sizes)}",
                             "With these settings the output is empty: 'same' with "
                             "output_padding=0 and an even effective kernel maps a length-1 "
                             "input to length 0. Try a larger input or output_padding=None.")
        self.output = np.asarray(common.call_op(
            ops.conv_transpose, x[None], self.kernel, config.strides, padding=config.padding,
            output_padding=config.output_padding, dilation_rate=config.dilation_rate,
            **CHANNELS_LAST, explain=_explain))[0]
        n = x.shape[:-1]
        self.in_spatial = n
        output_padding = config.output_padding or (None,) * config.rank
        self.effective_kernels = common.effective_kernels(config)
        self.crop = tuple(shapes.transpose_crop(k, s, d, config.padding, op) for k, s, d, op in
                          zip(config.kernel_size, config.strides, config.dilation_rate,
                              output_padding, strict=False))
        self.out_spatial = tuple(shapes.transpose_output_length(m, k, s, d, config.padding, op)
                                 for m, k, s, d, op in zip(n, config.kernel_size, config.strides,
                                                           config.dilation_rate, output_padding,
                                                           strict=False))
        self.n_steps = int(np.prod(n))
        self._scatter_view()
        self._zero_insertion_view()
        self.identical = bool(np.allclose(self.scatter, self.output, atol=1e-4)
                              and np.allclose(self.zero_insertion, self.output, atol=1e-4)
                              and self.scatter.shape == self.output.shape)
        self.ambiguity = self._ambiguity()
        # (c) the matrix view, for tiny sizes only (forward input ≤ 4×4, output ≤ 3×3)
        self.matrix = matrix_view(config, self.x, self.kernel, self.output)

    # ---- (a) scatter: every input stamps value × kernel; overlaps add ----
    def _stamp(self, position) -> np.ndarray:
        # kernel (k…, F, C) · x[position] (C,) → (k…, F)
        return self.kernel.astype(np.float64) @ self.x[position].astype(np.float64)

    def _tap_slices(self, position) -> tuple:
        config = self.config
        return tuple(slice(i * s, i * s + shapes.effective_kernel(k, d), d) for i, k, s, d in
                     zip(position, config.kernel_size, config.strides, config.dilation_rate,
                         strict=False))

    def _crop(self, full: np.ndarray) -> np.ndarray:
        # output j reads full[j + c0]; indices past the buffer read 0 (docs/design/keras_parity.md
        # §3.2)
        out = np.zeros(self.out_spatial + full.shape[-1:], dtype=np.float64)
        src = tuple(slice(c, min(c + m, L)) for c, m, L in
                    zip(self.crop, self.out_spatial, full.shape[:-1], strict=False))
        dst = tuple(slice(0, max(0, min(c + m, L) - c)) for c, m, L in
                    zip(self.crop, self.out_spatial, full.shape[:-1], strict=False))
        out[dst] = full[src]
        return out

    def _scatter_view(self):
        config = self.config
        length = tuple((m - 1) * s + e
                       for m, s, e in zip(self.in_spatial, config.strides, self.effective_kernels,
                                          strict=False))
        self.full = np.zeros(length + (self.kernel.shape[-2],), dtype=np.float64)
        self._partials = []
        for position in itertools.product(*(range(m) for m in self.in_spatial)):
            self.full[self._tap_slices(position)] += self._stamp(position)
            self._partials.append(self._crop(self.full))
        self.scatter = self._partials[-1] if self._partials else self._crop(self.full)

    # ---- (b) zero insertion: s − 1 zeros between units, border zeros, unit-stride conv ----
    def _zero_insertion_view(self):
        config = self.config
        n = self.in_spatial
        dilated_shape = tuple((m - 1) * s + 1 for m, s in zip(n, config.strides, strict=False))
        z = np.zeros(dilated_shape + self.x.shape[-1:], dtype=np.float32)
        z[tuple(slice(None, None, s) for s in config.strides)] = self.x
        kind = np.ones(dilated_shape, dtype=np.int8)
        kind[tuple(slice(None, None, s) for s in config.strides)] = 0
        lo = tuple(e - 1 - c for e, c in zip(self.effective_kernels, self.crop, strict=False))
        hi = tuple(out + e - 1 - b - L for out, e, b, L in
                   zip(self.out_spatial, self.effective_kernels, lo, dilated_shape, strict=False))
        pads = tuple((b, max(a, 0)) for b, a in zip(lo, hi, strict=False))
        padded = np.asarray(ops.zero_pad(z[None], pads, **CHANNELS_LAST))[0]
        kind = np.pad(kind, pads, constant_values=2)
        # a negative "after" means the output ends before the last unit: trim the end
        keep = tuple(slice(0, P + min(a, 0)) for P, a in zip(padded.shape[:-1], hi, strict=False))
        self.inserted = padded[keep + (slice(None),)]
        self.inserted_kind = kind[keep]
        self.zero_pads = tuple((b, a) for b, a in zip(lo, hi, strict=False))
        flipped = np.ascontiguousarray(
            np.swapaxes(self.kernel[tuple(slice(None, None, -1) for _ in config.kernel_size)],
                        -1, -2))
        self.flipped_kernel = flipped  # (k…, C, F): the forward layout, spatially flipped
        self.zero_insertion = np.asarray(ops.conv(
            self.inserted[None], flipped, strides=1, padding="valid",
            dilation_rate=config.dilation_rate, **CHANNELS_LAST))[0]

    # ---- the output_padding ambiguity strip ----
    def _ambiguity(self) -> list:
        config = self.config
        rows = []
        per_axis = zip(self.in_spatial, config.kernel_size, config.strides, config.dilation_rate,
                       self.out_spatial, strict=False)
        for ax, (n, k, s, d, out) in enumerate(per_axis):
            e = shapes.effective_kernel(k, d)
            # every size the forward conv (same k, s, d, padding) maps to n
            cands = [m for m in range(1, n * s + e + s + 1)
                     if shapes.conv_output_length(m, k, s, d, config.padding) == n]
            op = None if config.output_padding is None else config.output_padding[ax]
            rows.append({"axis": ax, "n": n, "candidates": cands, "chosen": out,
                         "output_padding": op, "maps_back": out in cands,
                         "by_output_padding": {
                             a: shapes.transpose_output_length(n, k, s, d, config.padding, a)
                             for a in range(s)}})
        return rows

    def code(self) -> dict:
        """The equivalent convkit op call, convkit layer and Keras layer for this config."""
        config = self.config
        k, s, d = common.layer_args(config)
        r = config.rank
        op = None if config.output_padding is None else common.layer_arg(config.output_padding, r)
        args = (f"strides={s}, padding='{config.padding}', output_padding={op}, "
                f"dilation_rate={d}")
        layer = f"Conv{r}DTranspose(filters={self.kernel.shape[-2]}, kernel_size={k}, {args})"
        return {"convkit": f"y = convkit.ops.conv_transpose(x, kernel, {args})",
                "layer": "convkit.layers." + layer, "keras": "keras.layers." + layer}

    def scene(self, step: int) -> TransposedScene:
        """The scene after stamping input cell number ``step`` (row-major)."""
        step, position = common.step_position(step, self.n_steps, self.in_spatial)
        config = self.config
        origin = tuple(i * s for i, s in zip(position, config.strides, strict=False))
        stamp = self._stamp(position)
        xv = self.x[position]
        value = fmt(xv[0]) if xv.size == 1 else "x" + axis_text(position)
        caption = (f"Step {step + 1} of {self.n_steps}: INPUT {axis_text(position)} = {value} "
                   f"stamps {value} × KERNEL into the OUTPUT at offset {axis_text(origin)} "
                   f"(stride {axis_text(config.strides)}), overlaps add; then the first "
                   f"{axis_text(self.crop)} rows/cols are cropped.")
        # the output size is told once per axis, named, by size_formula()
        formula = f"stamp = {value} × K"
        return TransposedScene(
            config=config, step=step, n_steps=self.n_steps, x=self.x, kernel=self.kernel,
            output=self.output, scatter=self.scatter, zero_insertion=self.zero_insertion,
            full=self.full, crop=self.crop, position=position, stamp_origin=origin,
            stamp=stamp, partial=self._partials[step], inserted=self.inserted,
            inserted_kind=self.inserted_kind, identical=self.identical,
            ambiguity=self.ambiguity, caption=caption, formula=formula, code=self.code(),
            matrix=self.matrix)

    def size_formula(self) -> list:
        """Per axis: the transposed output-size formula with numbers (docs/design/keras_parity.md
        §2.4), each line naming its axis ("rows (axis 0)", "cols (axis 1)"; "length" in 1-D),
        so two equal lines of a square input still say which is which."""
        config = self.config
        lines = []
        for axis, (n, s, e, out, row) in enumerate(zip(
                self.in_spatial, config.strides, self.effective_kernels, self.out_spatial,
                self.ambiguity, strict=False)):
            op = row["output_padding"]
            if config.padding == "valid":
                a = max(e, s) - e if op is None else op
                formula = f"(n − 1)·s + k̂ + a = ({n} − 1)·{s} + {e} + {a} = {out}"
            elif op is None:
                formula = f"n·s = {n}·{s} = {out}"
            else:
                formula = f"(n − 1)·s + (k̂ mod 2) + a = ({n} − 1)·{s} + {e % 2} + {op} = {out}"
            lines.append(f"{axis_name(axis, config.rank)}: {formula}")
        return lines


def axis_name(axis: int, rank: int) -> str:
    """How a readout names a spatial axis: "length" in 1-D, "rows (axis 0)" / "cols (axis 1)"
    in 2-D.

    Examples
    --------
    >>> axis_name(0, 1), axis_name(1, 2)
    ('length', 'cols (axis 1)')
    """
    if rank == 1:
        return "length"
    return f"{('rows', 'cols', 'depth')[axis] if axis < 3 else 'axis'} (axis {axis})"


__all__ = ["TransposedConfig", "TransposedComputation", "TransposedScene", "axis_name"]
