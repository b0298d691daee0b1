"""Forward convolution scenes (Conv1D/Conv2D): one scene per output position.

:class:`ConvComputation` does the work once per configuration: the padded input (from
``ops.zero_pad``), the output (from ``ops.conv``) and the geometry. :meth:`ConvComputation.scene`
then only slices, so stepping is cheap.
"""

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from convkit import ops

from . import common
from .common import CHANNELS_LAST, STRIDE_DILATION_SENTENCE, CaptionedScene, SceneError
from .text import axis_text, fmt, signed_term

PADDINGS = ("valid", "same", "causal", "full", "explicit")


@dataclass(frozen=True)
class ConvConfig(common.WindowConfig):
    """A Conv1D/Conv2D configuration, one value per spatial axis.

    Parameters
    ----------
    rank : {1, 2, 3}
    kernel_size, strides, dilation_rate : int or tuple of ints
    padding : {"valid", "same", "causal", "full", "explicit"}
        ``causal`` is Conv1D's; ``full`` (k̂ − 1 zeros per side) and ``explicit``
        (``explicit_pad`` zeros per side) are not Keras arguments and are computed as
        ``ops.zero_pad`` followed by a ``valid`` conv, as the code line says.
    explicit_pad : int
        Zeros per side for ``padding="explicit"``.
    activation : {None, "relu"}
        Applied by ``ops.conv`` after the bias (the ImageFilterLab's ReLU toggle).
    use_bias : bool

    Examples
    --------
    >>> ConvConfig(rank=1, kernel_size=3, padding="causal").kernel_size
    (3,)
    """

    use_bias: bool = True
    explicit_pad: int = 1
    activation: str | None = None


def default_kernel(kernel_size: tuple, channels: int = 1, filters: int = 1, seed: int = 0):
    """Small integer weights in −1..2 from ``default_rng(seed)``, for mental arithmetic.

    Examples
    --------
    >>> default_kernel((3, 3)).shape
    (3, 3, 1, 1)
    """
    rng = np.random.default_rng(seed)
    return rng.integers(-1, 3, size=tuple(kernel_size) + (channels, filters)).astype(np.float32)


def check_kernel(kernel, rank: int) -> np.ndarray:
    """A learner's ``kernel=`` as float32 in Keras's layout ``kernel_size + (C // groups, F)``.

    ``kernel`` is either ``kernel_size`` alone (one input channel, one filter) or the full
    layout with ``rank + 2`` axes.

    Raises
    ------
    TypeError
        When ``kernel`` is not an array of real numbers.
    ValueError
        For a wrong number of axes, an empty axis or a NaN/infinite weight.

    Examples
    --------
    >>> check_kernel([[1, 0], [0, -1]], 2).shape
    (2, 2, 1, 1)
    """
    try:
        array = np.asarray(kernel)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"kernel must be an array of real numbers, received {kernel!r}") from exc
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"kernel must be an array of real numbers, received dtype {array.dtype}")
    if array.ndim not in (rank, rank + 2):
        layout = "kernel_size" if rank == 1 else "×".join(("k",) * rank)
        axes = "1 axis" if rank == 1 else f"{rank} axes"
        raise ValueError(f"kernel must have {axes} ({layout}) or {rank + 2} "
                         f"(kernel_size + (input channels per group, filters)) for a Conv{rank}D, "
                         f"received shape {array.shape}")
    if 0 in array.shape:
        raise ValueError(f"kernel must have at least one weight along every axis, received "
                         f"shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("kernel must hold finite weights, received NaN or infinity")
    if float(np.abs(array).max()) > float(np.finfo(np.float32).max):  # 1e300: not float32
        raise ValueError("kernel must hold weights float32 can represent (|w| < 3.4e38), "
                         "received a larger magnitude")
    array = array.astype(np.float32)
    return array.reshape(array.shape + (1, 1)) if array.ndim == rank else array


def flipped(kernel: np.ndarray, rank: int) -> np.ndarray:
    """The kernel reversed along its ``rank`` spatial axes (channels and filters kept): what
    slides when a *convolution* is computed as a cross-correlation.

    Examples
    --------
    >>> flipped(np.arange(3.0).reshape(3, 1, 1), 1).ravel().tolist()
    [2.0, 1.0, 0.0]
    """
    return np.ascontiguousarray(np.flip(kernel, axis=tuple(range(rank))))


def block_diagonal(kernel: np.ndarray, channels: int) -> np.ndarray:
    """A grouped kernel ``kernel_size + (C // groups, F)`` as the dense ``kernel_size + (C, F)``
    one it equals: filter f keeps its weights on its group's channels, zeros elsewhere.

    Examples
    --------
    >>> dense = block_diagonal(np.ones((1, 1, 2), np.float32), 2)
    >>> dense[0, :, :].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    cg, filters = kernel.shape[-2:]
    groups = channels // cg
    fg = filters // groups
    dense = np.zeros(kernel.shape[:-2] + (channels, filters), dtype=kernel.dtype)
    for g in range(groups):
        dense[..., g * cg:(g + 1) * cg, g * fg:(g + 1) * fg] = kernel[..., g * fg:(g + 1) * fg]
    return dense


def _plain_sentence(config: ConvConfig, n: tuple):
    """Explain the ValueError that ``ops.conv`` raises for ``config`` on spatial shape ``n``."""
    def explain(message: str) -> str:
        if config.padding == "causal" and config.rank != 1:
            return ("Causal padding exists for Conv1D only: it pads the time axis on the left "
                    "so no output sees the future, and an image has no time direction.")
        eks = common.effective_kernels(config)
        if any(e > m for e, m in zip(eks, n, strict=False)):
            return (f"The dilated kernel spans k̂ = {'×'.join(map(str, eks))} cells but the input "
                    f"is only {'×'.join(map(str, n))}, so not one window fits: use "
                    "padding='same', a smaller kernel or less dilation.")
        if "groups" in message:
            return ("A grouped convolution splits the C input channels into `groups` equal "
                    "groups and the F filters likewise, filter group g reading channel group g "
                    "only: both C and F must be multiples of groups.")
        return "convkit refuses these settings; the message above names the argument."
    return explain


@dataclass
class ConvScene(CaptionedScene):
    """Everything one step shows. Plain data: tests, widgets and exports share it."""

    config: ConvConfig
    step: int
    n_steps: int
    filter_index: int
    padded: np.ndarray          # padded input, spatial + (C,)
    pad_mask: np.ndarray        # True on padding cells, spatial shape of ``padded``
    pads: tuple                 # (before, after) per axis
    kernel: np.ndarray          # kernel_size + (C, F): dense (zeros off the filter's group)
    bias: np.ndarray            # (F,)
    output: np.ndarray          # out_spatial + (F,), from ops.conv
    position: tuple             # this step's output position
    window: tuple               # per axis: padded indices of the taps
    products: np.ndarray        # kernel_size + (C,): input × weight per tap
    partial_sums: np.ndarray    # (C,): per-channel sums of the products
    value: float                # output[position, filter] as computed by ops.conv
    caption: str
    formula: str
    shape_formula: list
    code: dict
    sentences: list = field(default_factory=list)
    groups: int = 1             # Keras's ``groups``: filter f reads ``channels_seen`` only
    channels_seen: tuple = ()   # the input channels filter ``filter_index`` reads
    typed_kernel: np.ndarray | None = None  # the kernel as given (before a flip), Keras layout
    flip: bool = False          # True: a convolution (the typed kernel flipped slides)


class ConvComputation:
    """Compute a forward conv (1-D, 2-D or 3-D, grouped or not) once and serve a
    :class:`ConvScene` per step.

    Parameters
    ----------
    config : ConvConfig
    x : array_like
        ``spatial`` or ``spatial + (C,)`` (no batch axis).
    kernel : array_like, optional
        ``kernel_size + (C, F)``; default :func:`default_kernel`.
    bias : array_like, optional
        ``(F,)``; default 1 per filter when ``use_bias`` (zeros otherwise).
    flip : bool, default False
        Compute a *convolution*: the kernel is flipped along its spatial axes, then
        cross-correlated by ``ops.conv`` (Keras's layers compute the cross-correlation).

    Raises
    ------
    SceneError
        For settings convkit refuses, carrying the op's message and a plain sentence.

    Examples
    --------
    >>> import numpy as np
    >>> computation = ConvComputation(ConvConfig(strides=2), np.arange(25.0).reshape(5, 5))
    >>> computation.output.shape, computation.n_steps
    ((2, 2, 1), 4)
    """

    def __init__(self, config: ConvConfig, x, kernel=None, bias=None, flip: bool = False):
        self.config = config
        x = common.channels_last_input(x, config.rank)
        common.check_input_rank(x, config.rank, "The array must be a signal (1-D), an image "
                                "(2-D) or a volume (3-D), with an optional channel axis last.")
        self.x = x
        n = x.shape[:-1]
        channels = x.shape[-1]
        self.typed_kernel = (default_kernel(config.kernel_size, channels) if kernel is None
                             else np.asarray(kernel, dtype=np.float32))
        self.flip = bool(flip)
        # what slides over the input: the layer's weights (flipped for a convolution)
        self.kernel = flipped(self.typed_kernel, config.rank) if flip else self.typed_kernel
        filters = self.kernel.shape[-1]
        if bias is None:
            bias = np.ones(filters) if config.use_bias else np.zeros(filters)
        self.bias = np.asarray(bias, dtype=np.float32) if config.use_bias else np.zeros(
            filters, np.float32)
        if config.padding not in PADDINGS:
            raise SceneError(f"padding={config.padding!r} is not one of {PADDINGS}",
                             "Choose valid, same, causal (1-D only), full or explicit.")
        common.check_conv_strides_dilation(config)  # the Conv1D/2D constructors' rule
        explain = _plain_sentence(config, n)
        eks = self.effective_kernel = common.effective_kernels(config)
        if config.padding == "full":
            self.pads = tuple((e - 1, e - 1) for e in eks)
        elif config.padding == "explicit":
            self.pads = tuple((config.explicit_pad, config.explicit_pad) for _ in eks)
        elif config.padding == "causal" and config.rank != 1:
            self.pads = tuple((0, 0) for _ in n)  # ops.conv below raises: the banner explains
        else:
            self.pads = common.conv_pads(config, n)
        bias_arg = self.bias if config.use_bias else None
        if config.padding in ("full", "explicit"):
            padded_batch = common.call_op(ops.zero_pad, x[None], self.pads,
                                          **CHANNELS_LAST, explain=explain)
            out = common.call_op(ops.conv, padded_batch, self.kernel, strides=config.strides,
                                 padding="valid", dilation_rate=config.dilation_rate, bias=bias_arg,
                                 activation=config.activation, **CHANNELS_LAST,
                                 explain=explain)
        else:
            out = common.call_op(ops.conv, x[None], self.kernel, strides=config.strides,
                                 padding=config.padding, dilation_rate=config.dilation_rate,
                                 bias=bias_arg, activation=config.activation,
                                 **CHANNELS_LAST, explain=explain)
            padded_batch = common.call_op(ops.zero_pad, x[None], self.pads,
                                          **CHANNELS_LAST, explain=explain)
        self.output = np.asarray(out)[0]
        self.padded = np.asarray(padded_batch)[0]
        # ops.conv accepted the kernel, so C // groups input channels per filter fits C
        self.groups = channels // self.kernel.shape[-2]
        self.dense_kernel = block_diagonal(self.kernel, channels)
        self.pad_mask = common.padding_mask(self.padded.shape[:-1], self.pads, n)
        self.out_spatial = self.output.shape[:-1]
        self.n_steps = int(np.prod(self.out_spatial))
        self.in_spatial = n

    # ---- geometry (index arithmetic only; the numbers come from ops) ----
    def window(self, position: tuple) -> tuple:
        """Padded-input indices of every tap, per axis, for output ``position``."""
        return common.window_indices(self.config, position)

    def outputs_fed_by(self, padded_index: tuple) -> list:
        """Inspect input → outputs: ``[(output position, tap), ...]`` that read this cell.

        Border cells feed fewer outputs than interior ones; padding cells feed some too.
        """
        config = self.config
        per_axis = []
        for p, k, s, d, m in zip(padded_index, config.kernel_size, config.strides,
                                 config.dilation_rate, self.out_spatial, strict=False):
            pairs = [((p - t * d) // s, t) for t in range(k)
                     if (p - t * d) % s == 0 and 0 <= (p - t * d) // s < m]
            per_axis.append(pairs)
        return [(tuple(o for o, _ in combo), tuple(t for _, t in combo))
                for combo in itertools.product(*per_axis)]

    def inputs_of_tap(self, tap: tuple) -> list:
        """Inspect weight → inputs: every padded cell this weight multiplies (weight sharing)."""
        config = self.config
        per_axis = [[o * s + t * d for o in range(m)] for t, s, d, m in
                    zip(tap, config.strides, config.dilation_rate, self.out_spatial, strict=False)]
        return list(itertools.product(*per_axis))

    def shape_formula(self) -> list:
        """One line per axis: the output-size formula with this configuration's numbers."""
        config = self.config
        lines = []
        names = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}[
            config.rank]
        for ax, (n, k, s, d, e, (b, a), out) in enumerate(zip(
                self.in_spatial, config.kernel_size, config.strides, config.dilation_rate,
                self.effective_kernel, self.pads, self.out_spatial, strict=False)):
            head = f"{names[ax]}: "
            if config.padding == "valid":
                text = f"⌊(n − k̂)/s⌋ + 1 = ⌊({n} − {e})/{s}⌋ + 1 = {out}"
            elif config.padding == "same":
                total = b + a
                text = (f"⌈n/s⌉ = ⌈{n}/{s}⌉ = {out}; zeros = max(({out} − 1)·{s} + {e} − {n}, 0)"
                        f" = {total} → {b} before, {a} after")
                if total % 2:
                    text += " (Keras puts the odd zero after: bottom/right)"
            elif config.padding == "causal":
                text = (f"d·(k − 1) = {d}·({k} − 1) = {b} zeros before, none after (no peeking "
                        f"into the future), then ⌊({n} + {b} − {e})/{s}⌋ + 1 = {out}")
            elif config.padding == "explicit":
                text = (f"⌊(n + 2p − k̂)/s⌋ + 1 = ⌊({n} + {b + a} − {e})/{s}⌋ + 1 = {out}")
            else:
                text = (f"k̂ − 1 = {e - 1} zeros on each side, then "
                        f"⌊({n} + {b + a} − {e})/{s}⌋ + 1 = {out}")
            if d > 1:
                text += f"   [k̂ = k + (k − 1)(d − 1) = {k} + {k - 1}·{d - 1} = {e}]"
            lines.append(head + text)
        return lines

    def sentences(self) -> list:
        """Plain sentences explaining stride, dilation and padding for this configuration."""
        config = self.config
        out = []
        if max(config.strides) > 1:
            out.append(f"Stride {axis_text(config.strides)}: the window jumps "
                       f"{' and '.join(map(str, sorted(set(config.strides))))} cells at a time, so "
                       "the "
                       "output is smaller; the floor drops a last window that would run off the "
                       "end.")
        if max(config.dilation_rate) > 1:
            out.append(f"Dilation {axis_text(config.dilation_rate)}: the same "
                       f"{int(np.prod(config.kernel_size))} weights are spread with holes over "
                       f"{'×'.join(map(str, self.effective_kernel))} cells, widening the view "
                       "without adding weights.")
        if config.padding == "same":
            out.append("'same' keeps ⌈n/s⌉ outputs by adding zeros (PADDING, hatched); an odd "
                       "number of zeros puts the extra one at the end (bottom/right), unlike "
                       "PyTorch's symmetric padding.")
        elif config.padding == "causal":
            out.append("'causal' pads only on the left, so output t sees inputs up to t·s and "
                       "never the future: the right choice for time series.")
        elif config.padding == "full":
            out.append("'full' (not a Keras argument) pads k̂ − 1 zeros per side so every "
                       "partial overlap counts: ZeroPadding then a 'valid' conv.")
        elif config.padding == "explicit":
            out.append(f"Explicit padding ({config.explicit_pad} zeros per side) is not a Keras "
                       "conv argument: it is a ZeroPadding layer followed by a 'valid' conv.")
        if self.flip:
            out.append("Convolution: the kernel is flipped along every spatial axis, then slid "
                       "as usual. Keras's Conv layers compute the cross-correlation (no flip); "
                       "to get this result from a layer, give it the flipped kernel.")
        if self.groups > 1:
            cg, filters = self.kernel.shape[-2:]
            out.append(f"groups={self.groups}: the {cg * self.groups} input channels form "
                       f"{self.groups} groups of {cg}, and each group of "
                       f"{filters // self.groups} filter(s) reads its own group only, so the "
                       f"kernel holds {cg} (not {cg * self.groups}) channels per filter.")
        return out

    def code(self) -> dict:
        """The equivalent convkit op call, convkit layer and Keras layer for this config.

        Each entry is valid Python: ``convkit`` is a statement assigning ``y`` (given ``x``,
        ``kernel`` and ``bias``), ``layer`` and ``keras`` are expressions. ``full`` and
        explicit padding are not conv arguments, so they become a ZeroPadding layer and a
        ``valid`` conv inside a ``Sequential``.
        """
        config = self.config
        r = config.rank
        k, s, d = common.layer_args(config)
        filters = self.kernel.shape[-1]
        extras = "" if config.activation is None else f", activation={config.activation!r}"
        op_extras = (", bias=bias" if config.use_bias else "") + extras
        groups = "" if self.groups == 1 else f", groups={self.groups}"
        conv_args = (f"filters={filters}, kernel_size={k}, strides={s}, padding={{padding!r}}, "
                     f"dilation_rate={d}{groups}{extras}, use_bias={config.use_bias}")
        # a convolution is ops.conv (a cross-correlation) with the kernel flipped
        kernel = (f"np.flip(kernel, axis={tuple(range(r))})" if self.flip else "kernel")
        if config.padding in ("full", "explicit"):
            pad = common.layer_arg(self.pads, r)
            op = (f"y = convkit.ops.conv(convkit.ops.zero_pad(x, {self.pads}), {kernel}, "
                  f"strides={s}, padding='valid', dilation_rate={d}{op_extras})")
            stack = (f"[{{lib}}.layers.ZeroPadding{r}D(padding={pad}), "
                     f"{{lib}}.layers.Conv{r}D({conv_args.format(padding='valid')})]")
            layer = "{lib}.Sequential(" + stack + ")"
        else:
            op = (f"y = convkit.ops.conv(x, {kernel}, strides={s}, padding={config.padding!r}, "
                  f"dilation_rate={d}{op_extras})")
            layer = f"{{lib}}.layers.Conv{r}D({conv_args.format(padding=config.padding)})"
        return {"convkit": op, "layer": layer.format(lib="convkit"),
                "keras": layer.format(lib="keras")}

    # ---- one step ----
    def scene(self, step: int, filter_index: int = 0) -> ConvScene:
        """The scene of output cell number ``step`` (row-major) for filter ``filter_index``."""
        step, position = common.step_position(step, self.n_steps, self.out_spatial)
        f = common.clamp(filter_index, self.kernel.shape[-1])
        window = self.window(position)
        patch = self.padded[np.ix_(*window, np.arange(self.padded.shape[-1]))]
        # the dense kernel is zero on the channels outside filter f's group
        weights = self.dense_kernel[..., f]
        products = patch.astype(np.float64) * weights.astype(np.float64)
        spatial_axes = tuple(range(self.config.rank))
        partial = products.sum(axis=spatial_axes)
        value = float(self.output[position + (f,)])
        b = float(self.bias[f])
        seen = self.channels_seen(f)
        terms = [f"{signed_term(xv)}·{signed_term(wv)}"
                 for xv, wv in zip(patch[..., seen].ravel(), weights[..., seen].ravel(),
                                   strict=False)]
        shown = " + ".join(terms[:12]) + (f" + … ({len(terms)} products)" if len(terms) > 12
                                          else "")
        bias_txt = f" + {signed_term(b)}" if self.config.use_bias else ""
        if self.config.activation:
            formula = (f"y{axis_text(position)} = {self.config.activation}({shown}{bias_txt}) "
                       f"= {fmt(value)}")
        else:
            formula = f"y{axis_text(position)} = {shown}{bias_txt} = {fmt(value)}"
        names = {1: ("cells",), 2: ("rows", "cols"), 3: ("depths", "rows", "cols")}
        spans = ", ".join(f"{name} {w[0]}–{w[-1]}" for name, w in
                          zip(names[self.config.rank], window, strict=False))
        n_prod = len(terms)
        caption = (f"Step {step + 1} of {self.n_steps}: window {spans} of the padded input; "
                   f"output {axis_text(position)} = sum of {n_prod} products"
                   + (f" + bias {fmt(b)}" if self.config.use_bias else "") + f" = {fmt(value)}")
        if self.flip:
            caption += " (convolution: the flipped kernel slides)"
        if self.groups > 1:
            caption += (f"; filter {f} reads channels {seen[0]}–{seen[-1]} only (groups="
                        f"{self.groups}), the others' KERNEL slices are drawn as 0")
        return ConvScene(
            config=self.config, step=step, n_steps=self.n_steps, filter_index=f,
            padded=self.padded, pad_mask=self.pad_mask, pads=self.pads,
            kernel=self.dense_kernel,
            bias=self.bias, output=self.output, position=position, window=window,
            products=products, partial_sums=partial, value=value, caption=caption,
            formula=formula, shape_formula=self.shape_formula(), code=self.code(),
            sentences=self.sentences(), groups=self.groups, channels_seen=seen,
            typed_kernel=self.typed_kernel, flip=self.flip)

    def channels_seen(self, filter_index: int) -> tuple:
        """The input channels filter ``filter_index`` reads: its group's C // groups."""
        cg = self.kernel.shape[-2]
        group = filter_index // (self.kernel.shape[-1] // self.groups)
        return tuple(range(group * cg, (group + 1) * cg))


def receptive_field(kernel_sizes, dilations) -> int:
    """Receptive field of stacked stride-1 (causal) convs: 1 + Σ d·(k − 1).

    Examples
    --------
    >>> receptive_field([2, 2, 2], [1, 2, 4])
    8
    """
    return 1 + sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations, strict=False))


def macs(config: ConvConfig, out_spatial, channels: int, filters: int) -> int:
    """Multiply-adds of a conv: outputs · k · C · F."""
    return int(math.prod(out_spatial) * math.prod(config.kernel_size) * channels * filters)


__all__ = ["ConvConfig", "ConvComputation", "ConvScene", "PADDINGS", "default_kernel",
           "check_kernel", "flipped", "block_diagonal",
           "receptive_field", "macs", "STRIDE_DILATION_SENTENCE"]
