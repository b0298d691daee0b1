"""Pooling, forward and backward: each window's maximum or average, and where dy goes back.

The reference numbers come from a real ``convkit.layers`` pooling layer (``MaxPooling1D/2D``,
``AveragePooling1D/2D``, ``GlobalMaxPooling1D/2D``, ``GlobalAveragePooling1D/2D``): its
forward output and ``layer.backward(x, dy)``. The pictures are rebuilt from the definitions
and live badges compare each with the layer:

* **forward** — per output cell, the window's real cells (padding positions are neither
  counted nor used): max picks the first largest in window order (row-major), which is where
  Keras's jax backend routes the gradient; average divides by the number of real cells;
* **backward** — each dy cell goes to its window's argmax (max) or is spread as dy/count over
  the window's real cells (average); overlapping windows add.

Keras's "same" padding puts the odd extra cell after (bottom/right): ``ops.shapes`` says how
many, the scene shows it hatched.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np

from convkit import layers

from . import common
from .common import CaptionedScene, SceneError
from .panes import Pane, cells_2d, compare
from .text import axis_text, fmt

KINDS = ("max", "average", "global max", "global average")
PADDINGS = ("valid", "same")
_LAYERS = {"max": "MaxPooling{}D", "average": "AveragePooling{}D",
           "global max": "GlobalMaxPooling{}D", "global average": "GlobalAveragePooling{}D"}


@dataclass(frozen=True)
class PoolingConfig(common.WindowConfig):
    """The pooling layer shown: ``kind`` (one of :data:`KINDS`), ``rank``, ``kernel_size``
    (the pool size), ``strides`` and ``padding``. Global kinds ignore the window settings.

    Examples
    --------
    >>> PoolingConfig(rank=1, kind="max", kernel_size=2).strides
    (1,)
    """

    kind: str = "max"

    @property
    def is_global(self) -> bool:
        """True for global pooling: one window, the whole input."""
        return self.kind.startswith("global")

    @property
    def reduction(self) -> str:
        """``"max"`` or ``"average"``."""
        return "max" if self.kind.endswith("max") else "average"

    def layer_name(self) -> str:
        """The convkit (= Keras) class name."""
        return _LAYERS[self.kind].format(self.rank)


@dataclass
class PoolingScene(CaptionedScene):
    """One output cell's window, its value, and the live badges."""

    config: PoolingConfig
    step: int
    n_steps: int
    position: tuple
    value: float
    chosen: tuple | None        # max: the input cell picked (unpadded index); average: None
    count: int                  # real cells under the window (the divisor of an average)
    panes: list
    badges: list
    caption: str
    formula: str
    code: dict
    sentences: list = field(default_factory=list)


def pooling_code(config: PoolingConfig) -> dict:
    """The layer call, as Keras and convkit spell it."""
    name = config.layer_name()
    if config.is_global:
        args = ""
    else:
        def one(v):
            return str(v[0]) if config.rank == 1 else str(tuple(v))
        args = (f"pool_size={one(config.kernel_size)}, strides={one(config.strides)}, "
                f"padding={config.padding!r}")
    return {"Keras": f"keras.layers.{name}({args})", "convkit": f"convkit.layers.{name}({args})"}


class PoolingComputation:
    """A pooling layer's forward and backward pass computed once, served as scenes per step.

    Parameters
    ----------
    config : PoolingConfig
    x : array_like
        ``spatial`` (one channel) or ``spatial + (1,)``.
    output_gradient : array_like, optional
        dL/dy, the layer output's shape (without the batch axis; for one channel the channel
        axis may be left out); default seeded small integers.
    seed : int

    Examples
    --------
    >>> c = PoolingComputation(PoolingConfig(kind="max", kernel_size=2, strides=2),
    ...                        np.arange(16.0).reshape(4, 4))
    >>> c.out_spatial, [b.ok for b in c.badges]
    ((2, 2), [True, True])
    """

    def __init__(self, config: PoolingConfig, x, output_gradient=None, *, seed: int = 0):
        if config.kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}. Received: {config.kind!r}")
        if config.rank not in (1, 2):
            raise ValueError(f"`rank` must be 1 or 2. Received: {config.rank!r}")
        self.config = config
        x = common.channels_last_input(x, config.rank)
        common.check_input_rank(x, config.rank, "Pooling here takes a signal (1-D) or an "
                                "image (2-D) with one channel.")
        if x.shape[-1] != 1:
            raise SceneError(f"expected one channel, received {x.shape[-1]}",
                             "Pooling works on each channel alone: the explorer shows one.")
        if not np.isfinite(x).all():
            raise SceneError("`x` holds NaN or infinite values.",
                             "A maximum or an average of NaN is NaN: give finite numbers.")
        if config.padding not in PADDINGS and not config.is_global:
            raise SceneError(f"padding={config.padding!r} is not one of {PADDINGS}",
                             "Pooling layers take valid or same padding.")
        self.x = x
        self.in_spatial = x.shape[:-1]
        self.layer = self._layer()
        self.output = np.asarray(common.call_op(
            self.layer, x[None], explain=lambda _: "The pool window must fit the input at least "
            "once (valid padding), or use padding='same'."))[0]
        # global pooling drops the spatial axes (Keras's keepdims=False): one cell is drawn
        self.out_spatial = (1,) * config.rank if config.is_global else self.output.shape[:-1]
        if min(self.out_spatial) <= 0:
            raise SceneError(f"the layer's output would have shape {self.output.shape}",
                             "The pool window is larger than the input and padding is valid: "
                             "no window fits. Use padding='same' or a smaller pool.")
        if config.is_global:
            self.pads = ((0, 0),) * config.rank
            self.window_shape = self.in_spatial
            self.step_shape = (1,) * config.rank
        else:
            self.pads = common.conv_pads(config, self.in_spatial)
            self.window_shape = config.kernel_size
            self.step_shape = config.strides
        self.padded_spatial = tuple(n + a + b for n, (a, b) in zip(self.in_spatial, self.pads,
                                                                    strict=True))
        self.pad_mask = common.padding_mask(self.padded_spatial, self.pads, self.in_spatial)
        self.output_gradient = self._output_gradient(output_gradient, seed)
        dx, _ = self.layer.backward(x[None], self.output_gradient.reshape((1,)
                                                                          + self.output.shape))
        self.input_gradient = np.asarray(dx)[0]      # the reference for the backward picture
        self.n_steps = int(np.prod(self.out_spatial))
        self.build_views()

    def _layer(self):
        config = self.config
        cls = getattr(layers, config.layer_name())
        try:
            if config.is_global:
                return cls(data_format="channels_last")
            pool, strides, _ = common.layer_args(config)
            return cls(pool_size=pool, strides=strides, padding=config.padding,
                       data_format="channels_last")
        except ValueError as exc:
            raise SceneError(str(exc), "convkit's pooling layer refuses this setting; the "
                             "message names the argument.") from exc

    def _output_gradient(self, output_gradient, seed: int) -> np.ndarray:
        shape = self.out_spatial + (1,)
        if output_gradient is None:
            rng = np.random.default_rng(seed + 1)
            return rng.integers(1, 4, size=shape).astype(np.float32)
        g = np.asarray(output_gradient, dtype=np.float32).reshape(-1)
        if g.size != int(np.prod(shape)) or not np.isfinite(g).all():
            raise SceneError(f"`output_gradient` must hold {int(np.prod(shape))} finite values "
                             f"(one per output cell). Received {g.size}.",
                             "The output gradient has one value per output cell.")
        return g.reshape(shape)

    # ---- the pictures, from the definitions ----
    def window(self, position) -> list:
        """The window of output ``position``: real input cells (unpadded indices), in window
        order (row-major); padding positions are left out, as the layer leaves them out."""
        starts = [o * s - before for o, s, (before, _) in
                  zip(position, self.step_shape, self.pads, strict=True)]
        axes = [range(max(a, 0), min(a + k, n)) for a, k, n in
                zip(starts, self.window_shape, self.in_spatial, strict=True)]
        return list(itertools.product(*axes))

    def padded_window(self, position) -> list:
        """Every window position in padded coordinates (padding included), for outlines."""
        axes = [range(o * s, o * s + k) for o, s, k in
                zip(position, self.step_shape, self.window_shape, strict=True)]
        return list(itertools.product(*axes))

    def routes(self, o, values=None, cells=None) -> list:
        """Max pooling: ``[(input cell, share of dy)]`` for output ``o``. A windowed max
        sends all of dy to the first largest cell (jax's ``reduce_window`` gradient); a global
        max splits dy evenly between every cell equal to the maximum (``jnp.max``'s rule)."""
        cells = self.window(o) if cells is None else cells
        if values is None:
            values = [float(self.x[c + (0,)]) for c in cells]
        if not self.config.is_global:
            return [(cells[int(np.argmax(values))], 1.0)]
        top = max(values)
        tied = [c for c, v in zip(cells, values, strict=True) if v == top]
        return [(c, 1.0 / len(tied)) for c in tied]

    def build_views(self):
        """Rebuild the forward and backward pictures from ``x`` and ``output_gradient`` and
        compare them with the layer (tests corrupt one array and call this again)."""
        x = self.x[..., 0].astype(np.float64)
        dy = self.output_gradient[..., 0].astype(np.float64)
        forward = np.zeros(self.out_spatial)
        backward = np.zeros(self.in_spatial)
        self.chosen, self.counts = {}, {}
        for o in itertools.product(*(range(m) for m in self.out_spatial)):
            cells = self.window(o)
            values = [x[c] for c in cells]
            self.counts[o] = len(cells)
            if self.config.reduction == "max":
                best = int(np.argmax(values))     # first largest in window order
                self.chosen[o] = cells[best]
                forward[o] = values[best]
                for c, share in self.routes(o, values, cells):
                    backward[c] += dy[o] * share
            else:
                forward[o] = sum(values) / len(cells)
                for c in cells:
                    backward[c] += dy[o] / len(cells)
        self.forward, self.backward = forward, backward
        name = self.config.layer_name()
        self.badges = [
            compare("forward picture", f"{name} output",
                    forward, self.output.reshape(self.out_spatial)),
            compare("backward picture", "layer.backward dx", backward,
                    self.input_gradient[..., 0])]

    # ---- scenes ----
    def _padded(self, a, fill=0.0):
        out = np.full(self.padded_spatial, fill, dtype=np.float64)
        out[tuple(slice(b, b + n) for (b, _), n in zip(self.pads, self.in_spatial,
                                                        strict=True))] = a
        return out

    def _to_padded(self, cell):
        return tuple(c + b for c, (b, _) in zip(cell, self.pads, strict=True))

    def scene(self, step: int) -> PoolingScene:
        config, rank = self.config, self.config.rank
        step, o = common.step_position(step, self.n_steps, self.out_spatial)
        cells = self.window(o)
        count = self.counts[o]
        layer_output = self.output.reshape(self.out_spatial)   # the numbers shown: the layer's
        value = float(layer_output[o])
        chosen = self.chosen.get(o)
        x = self.x[..., 0]
        hidden = np.ones(self.out_spatial, dtype=bool)
        hidden.reshape(-1)[:step + 1] = False
        dy = self.output_gradient[..., 0]
        # dx built up to this step: what the first step+1 dy cells sent back
        partial = np.zeros(self.in_spatial)
        for k in range(step + 1):
            _, ok = common.step_position(k, self.n_steps, self.out_spatial)
            if config.reduction == "max":
                for c, share in self.routes(ok):
                    partial[c] += dy[ok] * share
            else:
                for c in self.window(ok):
                    partial[c] += dy[ok] / self.counts[ok]
        outline = cells_2d(self.padded_window(o), rank)
        routed = cells if chosen is None else [c for c, _ in self.routes(o)]
        target = cells_2d([self._to_padded(c) for c in routed], rank)
        oc = cells_2d([o], rank)
        panes = [
            Pane("INPUT x" + (" (PADDING hatched, not used)" if any(
                sum(p) for p in self.pads) else ""), "input", self._padded(x), outline=outline,
                 current=target, hatch=self.pad_mask, name="x"),
            Pane("OUTPUT y", "output", layer_output, current=oc, hidden=hidden, name="y"),
            Pane("OUTPUT GRADIENT dy", "kernel", dy, current=oc, name="dy"),
            Pane("INPUT GRADIENT dx (so far)", "highlight", self._padded(partial),
                 current=target, hatch=self.pad_mask, name="dx")]
        where = axis_text(o)
        terms = [fmt(x[c]) for c in cells]
        if config.reduction == "max":
            formula = f"y{where} = max({', '.join(terms)}) = {fmt(value)}"
            caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT {where} = max of {count} "
                       f"real cells = {fmt(value)}, taken from INPUT {axis_text(chosen)}; dy"
                       f"{where} = {fmt(dy[o])} goes back "
                       + ("to that cell only" if len(routed) == 1 else
                          f"split evenly between the {len(routed)} tied maxima"))
        else:
            total = " + ".join(terms).replace("+ -", "− ")
            formula = f"y{where} = ({total}) / {count} = {fmt(value)}"
            caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT {where} = average of "
                       f"{count} real cells = {fmt(value)}; dy{where} = {fmt(dy[o])} is "
                       f"spread as {fmt(dy[o])}/{count} over them")
        return PoolingScene(config, step, self.n_steps, o, value, chosen, count, panes,
                            self.badges, caption, formula, pooling_code(config),
                            self.sentences(o))

    def sentences(self, o) -> list:
        """Plain sentences: the padding split, the divisor, the tie rule."""
        config, out = self.config, []
        if config.is_global:
            out.append("Global pooling reads the whole input once: one number per channel "
                       "(Keras drops the spatial axes, so the output shape is (batch, "
                       "channels)).")
        elif config.padding == "same":
            split = ", ".join(f"{name}: {b} before, {a} after" for name, (b, a) in
                              zip(("rows", "cols") if config.rank == 2 else ("length",),
                                  self.pads, strict=False))
            out.append(f"'same' pads so that the output has ⌈n/s⌉ cells; Keras puts the odd "
                       f"extra cell after (bottom/right): {split}. Padding cells are hatched "
                       "and never used: not in a maximum, not counted in an average.")
        if config.reduction == "max" and config.is_global:
            out.append("Ties: global max takes jnp.max's rule on Keras's jax backend: the "
                       "gradient is split evenly between all cells equal to the maximum.")
        elif config.reduction == "max":
            out.append("Ties: the first largest cell in window order (row by row) wins; Keras's "
                       "jax backend sends the gradient there, and only there.")
        elif not config.is_global:
            out.append(f"The average divides by the number of real cells under the window "
                       f"(here {self.counts[o]}), so edge windows under 'same' divide by "
                       "fewer.")
        return out

    def shape_formula(self) -> list:
        """The output size per axis with the numbers."""
        config = self.config
        if config.is_global:
            return [f"global: the whole {'×'.join(map(str, self.in_spatial))} input → 1 "
                    "value per channel"]
        lines = []
        for n, k, s, m in zip(self.in_spatial, config.kernel_size, config.strides,
                              self.out_spatial, strict=True):
            if config.padding == "valid":
                lines.append(f"⌊({n} − {k})/{s}⌋ + 1 = {m}")
            else:
                lines.append(f"⌈{n}/{s}⌉ = {m}")
        return lines


__all__ = ["KINDS", "PADDINGS", "PoolingConfig", "PoolingScene", "PoolingComputation",
           "pooling_code"]
