"""Cropping, ZeroPadding and UpSampling scenes (1-D/2-D/3-D): one scene per output cell.

The output comes from ``ops.crop``/``ops.zero_pad``/``ops.upsample``. Inspecting an output cell
lists its taps: the input cells it reads and their weights, computed from the definition in
docs/design/keras_parity.md §3.7 (half-pixel centres, weights renormalised over in-range taps). The
scene checks that Σ weight · input reproduces the op's value.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from convkit import ops
from convkit.ops.arguments import INTERPOLATIONS, standardize_pairs

from . import common
from .common import CHANNELS_LAST, CaptionedScene, SceneError
from .text import axis_text, fmt

OPERATIONS = ("crop", "pad", "upsample")
_LAYER = {"crop": "Cropping", "pad": "ZeroPadding", "upsample": "UpSampling"}


@dataclass(frozen=True)
class ResampleConfig:
    """Which reshaping op, its rank and its amounts.

    Parameters
    ----------
    operation : {"crop", "pad", "upsample"}
    rank : {1, 2, 3}
    amounts : tuple of (before, after) pairs
        Crop or pad per spatial axis (ignored by upsample).
    size : int or tuple of ints
        Upsampling factor per axis (ignored otherwise).
    interpolation : str
        ``nearest`` for every rank; 2-D also bilinear, bicubic, lanczos3, lanczos5.

    Examples
    --------
    >>> ResampleConfig("upsample", rank=2, size=2).size
    (2, 2)
    """

    operation: str = "upsample"
    rank: int = 2
    amounts: tuple = 1
    size: tuple = 2
    interpolation: str = "nearest"

    def __post_init__(self):
        object.__setattr__(self, "size", common.as_tuple(self.size, self.rank))
        object.__setattr__(self, "amounts", standardize_pairs(self.amounts, self.rank, "amounts"))


def kernel_weight(x: np.ndarray, interpolation: str) -> np.ndarray:
    """The 1-D resampling kernel of each mode, evaluated at distances ``x``
    (docs/design/keras_parity.md §3.7).

    Examples
    --------
    >>> kernel_weight(np.array([0.0, 0.5, 1.0]), "bilinear").tolist()
    [1.0, 0.5, 0.0]
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    if interpolation == "bilinear":
        return np.maximum(0.0, 1.0 - a)
    if interpolation == "bicubic":  # Keys cubic, a = −0.5
        k = -0.5
        near = ((k + 2) * a - (k + 3)) * a * a + 1
        far = ((k * a - 5 * k) * a + 8 * k) * a - 4 * k
        return np.where(a <= 1, near, np.where(a < 2, far, 0.0))
    if interpolation in ("lanczos3", "lanczos5"):
        r = 3.0 if interpolation == "lanczos3" else 5.0
        safe = np.where(a <= 1e-3, 1.0, a)
        val = r * np.sin(np.pi * safe) * np.sin(np.pi * safe / r) / (np.pi ** 2 * safe ** 2)
        return np.where(a <= 1e-3, 1.0, np.where(a < r, val, 0.0))
    raise ValueError(f"no kernel for interpolation={interpolation!r}")


def axis_taps(j: int, n: int, f: int, interpolation: str) -> list:
    """Taps ``[(input index, weight), ...]`` of output sample ``j`` along one axis.

    Examples
    --------
    >>> axis_taps(1, 4, 2, "bilinear")
    [(0, 0.75), (1, 0.25)]
    >>> axis_taps(3, 4, 2, "nearest")
    [(1, 1.0)]
    """
    if interpolation == "nearest" or f == 1:
        return [(j // f, 1.0)]
    u = (j + 0.5) / f - 0.5  # half-pixel centres
    idx = np.arange(n)
    w = kernel_weight(u - idx, interpolation)
    keep = np.abs(w) > 1e-12
    w = w[keep] / w[keep].sum()  # renormalise over the in-range taps
    return [(int(i), float(v)) for i, v in zip(idx[keep], w, strict=False)]


@dataclass
class ResampleScene(CaptionedScene):
    """One step: an output cell, its taps and weights, and the op's value."""

    config: ResampleConfig
    step: int
    n_steps: int
    x: np.ndarray            # input, spatial + (C,)
    output: np.ndarray       # op output, spatial + (C,)
    in_mask: np.ndarray      # crop: cells removed; others: all False
    out_mask: np.ndarray     # pad: cells added (zeros); others: all False
    position: tuple          # output cell
    taps: list               # [(input index tuple, weight)]; empty for a padding zero
    value: float             # output[position, 0] from the op
    reconstructed: float     # Σ weight · input over the taps
    caption: str
    formula: str
    code: dict


class ResampleComputation:
    """Run one reshaping op and serve a :class:`ResampleScene` per output cell.

    Examples
    --------
    >>> import numpy as np
    >>> computation = ResampleComputation(ResampleConfig("upsample", rank=1, size=2,
    ...                                           interpolation="nearest"), np.arange(3.0))
    >>> computation.output[:, 0].tolist(), computation.scene(3).taps
    ([0.0, 0.0, 1.0, 1.0, 2.0, 2.0], [((1,), 1.0)])
    """

    def __init__(self, config: ResampleConfig, x):
        self.config = config
        x = self.x = common.channels_last_input(x, config.rank)
        n = x.shape[:-1]
        if config.operation not in OPERATIONS:
            raise SceneError(f"operation={config.operation!r} is not one of {OPERATIONS}",
                             "Choose crop, pad or upsample.")
        if config.operation == "upsample" and config.interpolation != "nearest" \
                and config.rank != 2:
            raise SceneError(
                f"UpSampling{config.rank}D has no interpolation argument; received "
                f"interpolation={config.interpolation!r}",
                "Keras interpolates only in UpSampling2D; UpSampling1D and 3D repeat values.")

        def explain(message: str) -> str:
            if config.operation == "crop":
                return ("Cropping must leave at least one cell on every axis: before + after "
                        "has to be smaller than the input size.")
            return "convkit refuses these settings; the message above names the argument."

        if config.operation == "crop":
            out = common.call_op(ops.crop, x[None], config.amounts, **CHANNELS_LAST,
                                 explain=explain)
        elif config.operation == "pad":
            out = common.call_op(ops.zero_pad, x[None], config.amounts, **CHANNELS_LAST,
                                 explain=explain)
        else:
            out = common.call_op(ops.upsample, x[None], config.size,
                                 interpolation=config.interpolation, **CHANNELS_LAST,
                                 explain=explain)
        self.output = np.asarray(out)[0]
        out_spatial = self.output.shape[:-1]
        self.in_mask = np.zeros(n, dtype=bool)
        self.out_mask = np.zeros(out_spatial, dtype=bool)
        if config.operation == "crop":  # the removed cells: what padding the output back would add
            self.in_mask = common.padding_mask(n, config.amounts, out_spatial)
        elif config.operation == "pad":
            self.out_mask = common.padding_mask(out_spatial, config.amounts, n)
        self.n_steps = int(np.prod(self.output.shape[:-1]))

    def taps(self, position: tuple) -> list:
        """Inspect an output cell: ``[(input index, weight), ...]`` (tensor product of axes)."""
        config = self.config
        n = self.x.shape[:-1]
        if config.operation == "crop":
            source = tuple(p + b for p, (b, _) in zip(position, config.amounts, strict=False))
            return [(source, 1.0)]
        if config.operation == "pad":
            src = tuple(p - b for p, (b, _) in zip(position, config.amounts, strict=False))
            inside = all(0 <= s < m for s, m in zip(src, n, strict=False))
            return [(src, 1.0)] if inside else []
        per_axis = [axis_taps(j, m, f, config.interpolation)
                    for j, m, f in zip(position, n, config.size, strict=False)]
        return [(tuple(i for i, _ in combo), math.prod(w for _, w in combo))
                for combo in itertools.product(*per_axis)]

    def code(self) -> dict:
        config = self.config
        r = config.rank
        name = f"{_LAYER[config.operation]}{r}D"
        if config.operation == "upsample":
            size = common.layer_arg(config.size, r)
            interp = f", interpolation='{config.interpolation}'" if r == 2 else ""
            layer = f"{name}(size={size}{interp})"
            op = (f"y = convkit.ops.upsample(x, size={config.size}, "
                  f"interpolation='{config.interpolation}')")
        else:
            arg = "cropping" if config.operation == "crop" else "padding"
            amounts = common.layer_arg(config.amounts, r)
            layer = f"{name}({arg}={amounts})"
            fn = "crop" if config.operation == "crop" else "zero_pad"
            op = f"y = convkit.ops.{fn}(x, {config.amounts})"
        return {"convkit": op, "layer": "convkit.layers." + layer, "keras": "keras.layers." + layer}

    def shape_text(self) -> str:
        """Input → output shape with the per-axis arithmetic."""
        config = self.config
        parts = []
        for m, out, (b, a), f in zip(self.x.shape[:-1], self.output.shape[:-1], config.amounts,
                                     config.size, strict=False):
            if config.operation == "crop":
                parts.append(f"{m} − {b} − {a} = {out}")
            elif config.operation == "pad":
                parts.append(f"{m} + {b} + {a} = {out}")
            else:
                parts.append(f"{m} × {f} = {out}")
        return "; ".join(parts)

    def scene(self, step: int) -> ResampleScene:
        """The scene of output cell number ``step`` (row-major), channel 0."""
        step, position = common.step_position(step, self.n_steps, self.output.shape[:-1])
        taps = self.taps(position)
        value = float(self.output[position + (0,)])
        recon = float(sum(w * float(self.x[idx + (0,)]) for idx, w in taps))
        where = axis_text(position)
        if not taps:
            formula = f"y{where} = 0 (PADDING: an added zero)"
            how = "an added zero (PADDING)"
        else:
            terms = " + ".join(f"{fmt(w)}·x{axis_text(i)}" for i, w in taps[:16])
            more = f" + … ({len(taps)} taps)" if len(taps) > 16 else ""
            formula = f"y{where} = {terms}{more} = {fmt(value)}"
            how = (f"a copy of INPUT {axis_text(taps[0][0])}" if len(taps) == 1 and taps[0][1] == 1
                   else f"a weighted sum of {len(taps)} INPUT cells (weights sum to 1)")
        caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT {where} = {fmt(value)} is {how}.")
        return ResampleScene(
            config=self.config, step=step, n_steps=self.n_steps, x=self.x, output=self.output,
            in_mask=self.in_mask, out_mask=self.out_mask, position=position, taps=taps,
            value=value, reconstructed=recon, caption=caption, formula=formula,
            code=self.code())


__all__ = ["ResampleConfig", "ResampleComputation", "ResampleScene", "OPERATIONS",
           "INTERPOLATIONS", "axis_taps", "kernel_weight"]
