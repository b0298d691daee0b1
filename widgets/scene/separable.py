"""Depthwise-separable convolution scenes (SeparableConv2D): depthwise stage, then 1×1 mixing.

:class:`SeparableComputation` calls convkit once per configuration: ``ops.depthwise_conv``
(the C·M depthwise maps), ``ops.conv`` with the 1×1 pointwise kernel on those maps, and
``ops.separable_conv`` (the fused op the layer uses). The badge compares the two routes. The
parameter counts come from built convkit layers (``count_params``); the multiply-add counts are
shape arithmetic on the op's output shape.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from convkit import layers, ops

from . import common
from .common import CHANNELS_LAST, CaptionedScene, SceneError
from .conv import default_kernel
from .text import axis_text, fmt, signed_term

PADDINGS = ("valid", "same")


@dataclass(frozen=True)
class SeparableConfig(common.WindowConfig):
    """A SeparableConv2D configuration plus the ``groups`` of the plain Conv2D it is compared to.

    Parameters
    ----------
    kernel_size, strides, dilation_rate : int or tuple of ints
        Per spatial axis; strides > 1 together with dilation > 1 is allowed here (Keras's
        depthwise layers accept it, Conv2D does not).
    padding : {"valid", "same"}
    depth_multiplier : int
        Depthwise filters per input channel (M).
    filters : int
        Output channels of the pointwise stage (F).
    use_bias : bool
    groups : int
        ``groups`` of the plain Conv2D in the cost comparison (a divisor of C).

    Examples
    --------
    >>> SeparableConfig(kernel_size=3, depth_multiplier=2).kernel_size
    (3, 3)
    """

    rank: int = field(default=2, init=False)  # SeparableConv2D only
    depth_multiplier: int = 1
    filters: int = 2
    use_bias: bool = True
    groups: int = 1


def divisors(n: int) -> list:
    """The divisors of ``n``: the ``groups`` a conv on ``n`` channels can use.

    Examples
    --------
    >>> divisors(6)
    [1, 2, 3, 6]
    """
    return [g for g in range(1, int(n) + 1) if n % g == 0]


def _explain(message: str) -> str:
    if "output size" in message:
        return ("The dilated kernel is wider than the input, so not one window fits: use "
                "padding='same', a smaller kernel or less dilation.")
    if "padding" in message:
        return "Separable convolutions take padding 'valid' or 'same' only."
    return "convkit refuses these settings; the message above names the argument."


@dataclass
class SeparableScene(CaptionedScene):
    """Everything one step shows (plain data shared by tests, widgets and exports)."""

    config: SeparableConfig
    step: int
    n_steps: int
    filter_index: int
    padded: np.ndarray           # padded input, (H', W', C)
    pad_mask: np.ndarray         # True on padding cells
    depthwise_kernel: np.ndarray  # kernel_size + (C, M)
    pointwise: np.ndarray        # (C·M, F): the 1×1 mixing weights
    bias: np.ndarray             # (F,)
    depthwise: np.ndarray        # (oh, ow, C·M) from ops.depthwise_conv
    output: np.ndarray           # (oh, ow, F) from ops.separable_conv
    identical: bool              # depthwise → 1×1 ops.conv == ops.separable_conv
    position: tuple
    window: tuple                # per axis: padded indices of the taps
    dw_products: np.ndarray      # kernel_size + (C, M): input × depthwise weight
    dw_values: np.ndarray        # (C·M,): depthwise maps at ``position``
    pw_products: np.ndarray      # (C·M,): dw_values × pointwise[:, f]
    value: float                 # output[position, f] from ops.separable_conv
    caption: str
    formula: str
    code: dict
    costs: dict
    sentences: list = field(default_factory=list)


class SeparableComputation:
    """Compute both stages once; serve a :class:`SeparableScene` per output position.

    Parameters
    ----------
    config : SeparableConfig
    x : array_like
        ``(H, W)`` or ``(H, W, C)``.
    depthwise_kernel : array_like, optional
        ``kernel_size + (C, M)``; default small integers from ``default_rng(seed)``.
    pointwise_kernel : array_like, optional
        ``(1, 1, C·M, F)``; default small integers from ``default_rng(seed + 1)``.
    bias : array_like, optional
        ``(F,)``; default 1, 2, … when ``use_bias``.
    seed : int

    Raises
    ------
    SceneError
        For settings convkit refuses, with the op's message and a plain sentence.

    Examples
    --------
    >>> import numpy as np
    >>> computation = SeparableComputation(SeparableConfig(filters=3), np.ones((5, 5, 2)))
    >>> computation.depthwise.shape, computation.output.shape, computation.identical
    ((3, 3, 2), (3, 3, 3), True)
    """

    def __init__(self, config: SeparableConfig, x, depthwise_kernel=None,
                 pointwise_kernel=None, bias=None, seed: int = 0):
        self.config = config
        x = common.channels_last_input(x, 2)
        common.check_input_rank(x, 2, "The array must be an image (H, W) with an optional "
                                "channel axis.")
        if config.padding not in PADDINGS:
            raise SceneError(f"padding={config.padding!r} is not one of {PADDINGS}",
                             _explain("padding"))
        self.x = x
        n, C = x.shape[:2], x.shape[2]
        M, F = config.depth_multiplier, config.filters
        self.depthwise_kernel = (default_kernel(config.kernel_size, C, M, seed)
                                 if depthwise_kernel is None
                                 else np.asarray(depthwise_kernel, np.float32))
        self.pointwise_kernel = (default_kernel((1, 1), C * M, F, seed + 1)
                                 if pointwise_kernel is None
                                 else np.asarray(pointwise_kernel, np.float32))
        if bias is None:
            bias = np.arange(1, F + 1) if config.use_bias else np.zeros(F)
        self.bias = (np.asarray(bias, np.float32) if config.use_bias else np.zeros(F, np.float32))
        kw = dict(strides=config.strides, padding=config.padding,
                  dilation_rate=config.dilation_rate, **CHANNELS_LAST)
        self.depthwise = np.asarray(common.call_op(ops.depthwise_conv, x[None],
                                                   self.depthwise_kernel, explain=_explain,
                                                   **kw))[0]
        bias_arg = self.bias if config.use_bias else None
        self.output = np.asarray(common.call_op(ops.separable_conv, x[None],
                                                self.depthwise_kernel, self.pointwise_kernel,
                                                bias=bias_arg, explain=_explain, **kw))[0]
        # the two-stage route: the depthwise maps through a 1×1 ops.conv
        self.composed = np.asarray(common.call_op(ops.conv, self.depthwise[None],
                                                  self.pointwise_kernel, bias=bias_arg,
                                                  **CHANNELS_LAST, explain=_explain))[0]
        self.identical = bool(self.composed.shape == self.output.shape and np.allclose(
            self.composed, self.output, rtol=1e-5, atol=1e-4))
        self.pads = common.conv_pads(config, n)
        self.padded = np.asarray(ops.zero_pad(x[None], self.pads, **CHANNELS_LAST))[0]
        self.pad_mask = common.padding_mask(self.padded.shape[:2], self.pads, n)
        self.out_spatial = self.output.shape[:2]
        self.n_steps = int(np.prod(self.out_spatial))
        self.in_spatial, self.channels = n, C
        self.costs = cost_comparison(config, n, C)

    def window(self, position: tuple) -> tuple:
        """Padded-input indices of every depthwise tap for output ``position``."""
        return common.window_indices(self.config, position)

    def code(self) -> dict:
        """The convkit op calls, the convkit layer and the Keras layer."""
        config = self.config
        args = (f"kernel_size={config.kernel_size}, strides={config.strides}, "
                f"padding='{config.padding}', dilation_rate={config.dilation_rate}, "
                f"depth_multiplier={config.depth_multiplier}, use_bias={config.use_bias}")
        layer = f"SeparableConv2D(filters={config.filters}, {args})"
        return {"convkit": (f"y = convkit.ops.separable_conv(x, depthwise_kernel, "
                            f"pointwise_kernel, strides={config.strides}, "
                            f"padding='{config.padding}', dilation_rate={config.dilation_rate}"
                            + (", bias=bias)" if config.use_bias else ")")),
                "layer": "convkit.layers." + layer, "keras": "keras.layers." + layer}

    def sentences(self) -> list:
        config = self.config
        out = ["Depthwise stage: each input channel is convolved with its own "
               f"{config.depth_multiplier} kernel(s) and never mixed with the others; "
               f"map q = c·M + m comes from channel c.",
               f"Pointwise stage: a 1×1 conv mixes the {self.channels * config.depth_multiplier} "
               f"depthwise maps into {config.filters} outputs, one weighted sum per pixel."]
        if max(config.strides) > 1 and max(config.dilation_rate) > 1:
            out.append("Strides > 1 together with dilation > 1: DepthwiseConv2D and "
                       "SeparableConv2D accept it, Conv2D refuses it (see the comparison).")
        return out

    def scene(self, step: int, filter_index: int = 0) -> SeparableScene:
        """The scene of output position number ``step`` (row-major), output channel ``f``."""
        step, position = common.step_position(step, self.n_steps, self.out_spatial)
        f = common.clamp(filter_index, self.config.filters)
        window = self.window(position)
        patch = self.padded[np.ix_(*window, np.arange(self.channels))]
        dw_products = (patch[..., None].astype(np.float64)
                       * self.depthwise_kernel.astype(np.float64))
        pw = self.pointwise_kernel[0, 0]
        dw_values = self.depthwise[position].astype(np.float64)
        pw_products = dw_values * pw[:, f]
        value = float(self.output[position + (f,)])
        b = float(self.bias[f])
        terms = [f"d{q}·{signed_term(w)}" for q, w in enumerate(pw[:, f])]
        nums = [f"{signed_term(v)}·{signed_term(w)}" for v, w in zip(dw_values, pw[:, f],
                                                                       strict=False)]
        bias_txt = f" + {signed_term(b)}" if self.config.use_bias else ""
        pos = axis_text(position)
        formula = (f"y{pos}[f={f}] = {' + '.join(terms)}{bias_txt} = {' + '.join(nums)}"
                   f"{bias_txt} = {fmt(value)}")
        caption = (f"Step {step + 1} of {self.n_steps}: window rows {window[0][0]}–"
                   f"{window[0][-1]}, cols {window[1][0]}–{window[1][-1]} in each of the "
                   f"{self.channels} channel(s) gives {dw_values.size} depthwise value(s); "
                   f"output {pos} channel {f} = their 1×1 mix"
                   + (f" + bias {fmt(b)}" if self.config.use_bias else "") + f" = {fmt(value)}")
        return SeparableScene(
            config=self.config, step=step, n_steps=self.n_steps, filter_index=f,
            padded=self.padded, pad_mask=self.pad_mask, depthwise_kernel=self.depthwise_kernel,
            pointwise=pw, bias=self.bias, depthwise=self.depthwise, output=self.output,
            identical=self.identical, position=position, window=window,
            dw_products=dw_products, dw_values=dw_values, pw_products=pw_products, value=value,
            caption=caption, formula=formula, code=self.code(), costs=self.costs,
            sentences=self.sentences())


def _params(layer, input_shape) -> int:
    layer.build(input_shape)
    return layer.count_params()


def cost_comparison(config: SeparableConfig, spatial, channels: int) -> dict:
    """Parameters (from built convkit layers) and multiply-adds of separable vs plain Conv2D.

    Returns a dict with ``separable``/``depthwise``/``plain`` parameter counts, their formulas
    with numbers, MACs per output position and in total, the output size, and ``plain_error``
    (convkit's message and a sentence) when Conv2D refuses the settings.

    Examples
    --------
    >>> c = cost_comparison(SeparableConfig(filters=8), (6, 6), 4)
    >>> c["separable"], c["plain"], c["macs_separable"], c["macs_plain"]
    (76, 296, 68, 288)
    """
    k = math.prod(config.kernel_size)
    C, M, F, g = channels, config.depth_multiplier, config.filters, config.groups
    shape = (None, *spatial, channels)
    shared = dict(kernel_size=config.kernel_size, padding=config.padding, use_bias=config.use_bias,
                  **CHANNELS_LAST)
    sep = layers.SeparableConv2D(F, strides=config.strides, dilation_rate=config.dilation_rate,
                                 depth_multiplier=M, **shared)
    out = {"separable": _params(sep, shape),
           "depthwise": _params(layers.DepthwiseConv2D(
               strides=config.strides, dilation_rate=config.dilation_rate, depth_multiplier=M,
               use_bias=False, kernel_size=config.kernel_size, padding=config.padding,
               **CHANNELS_LAST), shape)}
    out_spatial = sep.compute_output_shape(shape)[1:3]
    positions = math.prod(out_spatial)
    b = f" + {F}" if config.use_bias else ""
    out["separable_formula"] = (f"k·k·C·M + C·M·F{' + F' if config.use_bias else ''} = "
                                f"{k}·{C}·{M} + {C}·{M}·{F}{b} = {out['separable']}")
    out["macs_separable"] = k * C * M + C * M * F
    out["macs_separable_formula"] = f"{k}·{C}·{M} + {C}·{M}·{F} = {out['macs_separable']}"
    out["out_spatial"] = tuple(out_spatial)
    out["positions"] = positions
    out["groups"] = g
    out["plain_error"] = None
    # the plain conv's own rules: strides with dilation, and groups dividing C and F
    try:
        layers.Conv2D(F, strides=config.strides, dilation_rate=config.dilation_rate, groups=g,
                      **shared)
    except ValueError as exc:
        out["plain_error"] = (str(exc), "Conv2D refuses strides > 1 together with dilation > "
                              "1, which the depthwise layers accept; the counts below are for "
                              "the same Conv2D at stride 1 (parameters don't depend on it).")
    try:
        plain = layers.Conv2D(F, groups=g, **shared)
        out["plain"] = _params(plain, shape)
    except ValueError as exc:
        out["plain"] = None
        out["plain_error"] = (str(exc), f"groups={g} must divide both the {C} input channels "
                              f"and the {F} filters: each group maps C/g inputs to F/g outputs.")
    if out["plain"] is not None:
        bias = " + F" if config.use_bias else ""
        gtxt = "" if g == 1 else f"/{g}"
        out["plain_formula"] = (f"k·k·(C/g)·F{bias} = {k}·{C}{gtxt}·{F}{b} = {out['plain']}")
        out["macs_plain"] = k * (C // g) * F
        out["macs_plain_formula"] = f"{k}·{C}{gtxt}·{F} = {out['macs_plain']}"
        out["ratio"] = out["plain"] / max(out["separable"], 1)
    for key in ("separable", "plain"):
        per = out.get(f"macs_{key}")
        out[f"macs_{key}_total"] = None if per is None else per * positions
    return out


__all__ = ["SeparableConfig", "SeparableComputation", "SeparableScene", "cost_comparison",
           "divisors", "PADDINGS"]
