"""Backpropagation through a convolution: the input gradient two ways, the weight gradient.

The reference numbers come from a real ``convkit.layers.Conv1D``/``Conv2D`` (weights set with
``set_weights``): its forward output and ``layer.backward(x, dy)``. The three pictures are
computed from their definitions and badges compare each with the layer:

* **scatter** — every output-gradient cell dy[o] sends dy[o] · K back to the input cells its
  window read (padded indices o·s + t·d); overlaps add; what lands on padding is dropped;
* **flipped kernel** — dy with s − 1 zeros between cells and k̂ − 1 − p_before zeros before,
  then a unit-stride ``ops.conv`` with the spatially flipped kernel (a transposed convolution);
* **weight gradient** — ``ops.conv`` of the padded input with dy as the kernel (stride d,
  dilation s): dW[t] = Σ_o x[o·s + t·d] · dy[o], the correlation of the input with dy.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np

from convkit import layers, ops

from . import common
from .common import CHANNELS_LAST, CaptionedScene, SceneError
from .conv import _plain_sentence, default_kernel
from .panes import Badge, Pane, cells_2d, compare
from .text import axis_text, fmt, signed_term

#: What the explorer can show, in teaching order.
VIEWS = ("scatter", "flipped kernel", "weight gradient")
PADDINGS = ("valid", "same", "causal")


@dataclass(frozen=True)
class BackpropConfig(common.WindowConfig):
    """The Conv1D/Conv2D layer whose backward pass is shown: ``rank``, ``kernel_size``,
    ``strides``, ``dilation_rate`` and ``padding`` (``valid``, ``same``, or ``causal`` in
    1-D), as the layer takes them.

    Examples
    --------
    >>> BackpropConfig(rank=1, kernel_size=3, strides=2).strides
    (2,)
    """


def output_gradient_sample(shape, seed: int) -> np.ndarray:
    """A seeded output gradient of small nonzero integers (−2, −1, 1, 2): every cell visibly
    sends something back."""
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 3, size=shape) * rng.choice([-1, 1], size=shape)
    return values.astype(np.float32)


@dataclass
class BackpropScene(CaptionedScene):
    """One step of one view: its panes, this step's number and the live badges."""

    config: BackpropConfig
    view: str
    step: int
    n_steps: int
    position: tuple             # output cell (scatter), input cell (flipped) or tap (weight)
    value: float                # the number this step produces or sends
    panes: list                 # Pane, left to right
    badges: list                # Badge: each picture against layer.backward
    caption: str
    formula: str
    code: dict
    sentences: list = field(default_factory=list)


class BackpropComputation:
    """A conv layer's backward pass computed once, served as scenes per view and step.

    Parameters
    ----------
    config : BackpropConfig
    x : array_like
        ``spatial`` or ``spatial + (C,)``.
    kernel : array_like, optional
        ``kernel_size + (C, F)``; default small seeded integers.
    output_gradient : array_like, optional
        The gradient of the loss with respect to the layer's output, ``out_spatial + (F,)``
        (or ``out_spatial`` when F = 1); default :func:`output_gradient_sample`.
    seed : int
        Seeds the default kernel and output gradient.
    view : {"scatter", "flipped kernel", "weight gradient"}

    Examples
    --------
    >>> c = BackpropComputation(BackpropConfig(kernel_size=2, strides=2), np.ones((4, 4)))
    >>> c.n_steps, [b.ok for b in c.badges]
    (4, [True, True, True])
    """

    def __init__(self, config: BackpropConfig, x, kernel=None, output_gradient=None, *,
                 seed: int = 0, view: str = "scatter"):
        if view not in VIEWS:
            raise ValueError(f"`view` must be one of {VIEWS}. Received: {view!r}")
        self.config = config
        self.view = view
        rank = config.rank
        x = common.channels_last_input(x, rank)
        common.check_input_rank(x, rank, "The array must be a signal (1-D) or an image (2-D), "
                                "with an optional channel axis last.")
        if not np.isfinite(x).all():
            raise SceneError("`x` holds NaN or infinite values.",
                             "Every gradient would be NaN: give the explorer finite numbers.")
        self.x = x
        if config.padding not in PADDINGS or (config.padding == "causal" and rank != 1):
            raise SceneError(f"padding={config.padding!r} is not one of "
                             f"{PADDINGS if rank == 1 else PADDINGS[:2]}",
                             "Conv layers take valid or same padding; causal exists for Conv1D "
                             "only.")
        common.check_conv_strides_dilation(config)
        channels = x.shape[-1]
        self.kernel = (default_kernel(config.kernel_size, channels, 1, seed) if kernel is None
                       else np.asarray(kernel, dtype=np.float32))
        if self.kernel.shape[:-1] != config.kernel_size + (channels,):
            raise ValueError(f"`kernel` must have shape kernel_size + (channels, filters) = "
                             f"{config.kernel_size + (channels,)} + (F,). Received shape "
                             f"{self.kernel.shape}.")
        self.layer = self._layer()
        n = self.in_spatial = x.shape[:-1]
        self.output = np.asarray(common.call_op(self.layer, x[None],
                                                explain=_plain_sentence(config, n)))[0]
        self.out_spatial = self.output.shape[:-1]
        if min(self.out_spatial) <= 0:
            raise SceneError(f"the layer's output would have shape {self.out_spatial}",
                             "The window does not fit the input once: there is no output, so "
                             "no gradient flows back. Use padding='same' or a smaller kernel.")
        self.output_gradient = self._output_gradient(output_gradient, seed)
        dx, (dw,) = self.layer.backward(x[None], self.output_gradient[None])
        # the reference every picture is checked against
        self.input_gradient = np.asarray(dx)[0]
        self.weight_gradient = np.asarray(dw)
        self.pads = common.conv_pads(config, n)
        self.padded = np.asarray(ops.zero_pad(x[None], self.pads, **CHANNELS_LAST))[0]
        self.pad_mask = common.padding_mask(self.padded.shape[:-1], self.pads, n)
        self.effective_kernel = common.effective_kernels(config)
        self.build_views()

    # ---- the real layer and its numbers ----
    def _layer(self):
        config = self.config
        cls = layers.Conv1D if config.rank == 1 else layers.Conv2D
        k, s, d = common.layer_args(config)
        try:
            layer = cls(filters=self.kernel.shape[-1], kernel_size=k, strides=s,
                        padding=config.padding, dilation_rate=d, use_bias=False,
                        data_format="channels_last")
            layer.build((1,) + self.x.shape)
            layer.set_weights([self.kernel])
        except ValueError as exc:
            raise SceneError(str(exc), "convkit's Conv layer refuses these settings; the "
                             "message names the argument.") from exc
        return layer

    def _output_gradient(self, output_gradient, seed: int) -> np.ndarray:
        shape = self.output.shape
        if output_gradient is None:
            return output_gradient_sample(shape, seed + 1)
        g = np.asarray(output_gradient, dtype=np.float32)
        if g.shape == shape[:-1] and shape[-1] == 1:
            g = g[..., None]
        if g.shape != shape:
            raise SceneError(f"`output_gradient` must have the layer output's shape {shape}. "
                             f"Received shape {g.shape}.",
                             "The output gradient has one value per output cell and filter.")
        if not np.isfinite(g).all():
            raise SceneError("`output_gradient` holds NaN or infinite values.",
                             "A gradient must be finite.")
        return np.ascontiguousarray(g)

    # ---- the three pictures, from their definitions ----
    def build_views(self):
        """Compute the scatter, flipped-kernel and correlation pictures from ``x``,
        ``kernel`` and ``output_gradient`` and compare each with ``layer.backward`` (tests
        corrupt one of those arrays and call this again: the badge must fail)."""
        self._scatter_view()
        self._flipped_view()
        self._weight_view()
        self.badges = [
            compare("scatter view", "layer.backward dx", self.scatter, self.input_gradient),
            compare("flipped-kernel view", "layer.backward dx", self.flipped,
                    self.input_gradient),
            compare("correlation x ⋆ dy", "layer.backward dW", self.correlation,
                    self.weight_gradient)]

    def _taps(self, position) -> tuple:
        """Padded-input slices the window of output ``position`` reads (dilated taps)."""
        return tuple(slice(o * s, o * s + e, d) for o, s, d, e in
                     zip(position, self.config.strides, self.config.dilation_rate,
                         common.effective_kernels(self.config), strict=False))

    def _scatter_view(self):
        kernel = self.kernel.astype(np.float64)
        buffer = np.zeros(self.padded.shape, dtype=np.float64)
        self._partials = []
        for o in itertools.product(*(range(m) for m in self.out_spatial)):
            # (k…, C, F) @ (F,) → (k…, C): what dy[o] sends to each tap's input cell
            buffer[self._taps(o)] += kernel @ self.output_gradient[o].astype(np.float64)
            self._partials.append(buffer.copy())
        self.scatter_padded = buffer
        interior = tuple(slice(b, b + m) for (b, _), m in zip(self.pads, self.in_spatial,
                                                              strict=False))
        self.scatter = buffer[interior]

    def _flipped_view(self):
        config = self.config
        strides = config.strides
        dy = self.output_gradient
        inserted_shape = tuple((m - 1) * s + 1 for m, s in zip(self.out_spatial, strides,
                                                               strict=False))
        z = np.zeros(inserted_shape + dy.shape[-1:], dtype=np.float32)
        units = tuple(slice(None, None, s) for s in strides)
        z[units] = dy
        kind = np.ones(inserted_shape, dtype=np.int8)  # 0 = dy value, 1 = inserted, 2 = border
        kind[units] = 0
        # input cell i sees output cells whose window covers it: the flipped kernel's window
        # over the zero-inserted dy starts k̂ − 1 − p_before cells before unit 0
        lo = tuple(e - 1 - b for e, (b, _) in zip(self.effective_kernel, self.pads,
                                                  strict=False))
        hi = tuple(n + e - 1 - b - L for n, e, b, L in
                   zip(self.in_spatial, self.effective_kernel, lo, inserted_shape,
                       strict=False))
        pads = tuple((b, max(a, 0)) for b, a in zip(lo, hi, strict=False))
        padded = np.asarray(ops.zero_pad(z[None], pads, **CHANNELS_LAST))[0]
        kind = np.pad(kind, pads, constant_values=2)
        # a negative "after" (never for valid/same/causal, kept for safety) trims the end
        keep = tuple(slice(0, P + min(a, 0)) for P, a in zip(padded.shape[:-1], hi,
                                                             strict=False))
        self.inserted = padded[keep + (slice(None),)]
        self.inserted_kind = kind[keep]
        self.inserted_pads = tuple(zip(lo, hi, strict=False))
        flip = tuple(slice(None, None, -1) for _ in config.kernel_size)
        # (k…, C, F) flipped in space, channels swapped: (k…, F, C), a conv from dy to dx
        self.flipped_kernel = np.ascontiguousarray(np.swapaxes(self.kernel[flip], -1, -2))
        self.flipped = np.asarray(ops.conv(self.inserted[None], self.flipped_kernel, strides=1,
                                           padding="valid", dilation_rate=config.dilation_rate,
                                           **CHANNELS_LAST))[0]

    def _weight_view(self):
        config = self.config
        # channels become the batch, dy becomes the kernel (out…, 1, F): stride d, dilation s
        inputs = np.ascontiguousarray(np.moveaxis(self.padded, -1, 0)[..., None])
        dy_kernel = np.ascontiguousarray(self.output_gradient[..., None, :])
        corr = np.asarray(ops.conv(inputs, dy_kernel, strides=config.dilation_rate,
                                   padding="valid", dilation_rate=config.strides,
                                   **CHANNELS_LAST))
        # a valid conv that leaves the last rows unused correlates a few positions more
        corr = corr[(slice(None),) + tuple(slice(0, k) for k in config.kernel_size)]
        self.correlation = np.moveaxis(corr, 0, -2)  # (k…, C, F)

    # ---- steps ----
    @property
    def n_steps(self) -> int:
        """Output cells (scatter), input cells (flipped kernel) or kernel taps (weights)."""
        return int(np.prod(self._step_shape()))

    def _step_shape(self) -> tuple:
        return {"scatter": self.out_spatial, "flipped kernel": self.in_spatial,
                "weight gradient": self.config.kernel_size}[self.view]

    def with_view(self, view: str) -> "BackpropComputation":
        """The same computation showing ``view`` (nothing is recomputed)."""
        if view not in VIEWS:
            raise ValueError(f"`view` must be one of {VIEWS}. Received: {view!r}")
        self.view = view
        return self

    def scene(self, step: int) -> BackpropScene:
        """The scene of ``step`` in the current view (row-major order)."""
        step, position = common.step_position(step, self.n_steps, self._step_shape())
        build = {"scatter": self._scatter_scene, "flipped kernel": self._flipped_scene,
                 "weight gradient": self._weight_scene}[self.view]
        value, panes, caption, formula = build(step, position)
        return BackpropScene(config=self.config, view=self.view, step=step,
                             n_steps=self.n_steps, position=position, value=value, panes=panes,
                             badges=list(self.badges), caption=caption, formula=formula,
                             code=self.code(), sentences=self.sentences())

    def _order_hidden(self, shape, step) -> np.ndarray:
        return np.arange(int(np.prod(shape))).reshape(shape) > step

    def _scatter_scene(self, step, o):
        rank = self.config.rank
        v = float(self.output_gradient[o + (0,)])
        stamp = (self.kernel[..., 0, :].astype(np.float64)
                 @ self.output_gradient[o].astype(np.float64))
        taps = common.window_indices(self.config, o)
        targets = list(itertools.product(*taps))
        kept = [t for t in targets if not self.pad_mask[t]]
        spans = ", ".join(f"{name} {w[0]}–{w[-1]}" for name, w in
                          zip(("rows", "cols") if rank == 2 else ("cells",), taps,
                              strict=False))
        panes = [
            Pane("OUTPUT GRADIENT dy", "output", self.output_gradient[..., 0], name="dy",
                 current=cells_2d([o], rank)),
            Pane("KERNEL", "kernel", self.kernel[..., 0, 0]),
            Pane(f"SENT BACK dy{axis_text(o)} × KERNEL", "kernel", stamp),
            Pane("INPUT GRADIENT so far (padded)", "input", self._partials[step][..., 0], name="dx",
                 outline=cells_2d(targets, rank), hatch=self.pad_mask),
            Pane("INPUT GRADIENT dx (layer.backward)", "input", self.input_gradient[..., 0],
                 name="dx"),
        ]
        caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT GRADIENT dy{axis_text(o)} = "
                   f"{fmt(v)} sends {fmt(v)} × KERNEL back to the input cells its window read "
                   f"({spans} of the padded input); overlaps add up, and "
                   f"{len(targets) - len(kept)} contribution(s) on PADDING are dropped.")
        terms = [f"dx{axis_text(np.subtract(t, [b for b, _ in self.pads]))} += "
                 f"{signed_term(v)}·{signed_term(self.kernel[tap + (0, 0)])}"
                 for t, tap in zip(targets, itertools.product(
                     *(range(k) for k in self.config.kernel_size)), strict=False)
                 if not self.pad_mask[t]]
        formula = "; ".join(terms[:9]) + (" …" if len(terms) > 9 else "")
        return v, panes, caption, formula

    def _flipped_scene(self, step, i):
        rank = self.config.rank
        window = tuple(np.arange(k) * d + p for k, d, p in
                       zip(self.config.kernel_size, self.config.dilation_rate, i, strict=False))
        patch = self.inserted[np.ix_(*window, [0])][..., 0].astype(np.float64)
        weights = self.flipped_kernel[..., 0, 0].astype(np.float64)
        products = patch * weights
        value = float(self.flipped[i + (0,)])
        (lo, hi) = zip(*self.inserted_pads, strict=False)
        panes = [
            Pane("OUTPUT GRADIENT, zero-inserted + padded", "output", self.inserted[..., 0],
                 name="dy (inserted)",
                 outline=cells_2d(itertools.product(*window), rank),
                 hatch=self.inserted_kind == 2, inserted=self.inserted_kind == 1),
            Pane("KERNEL flipped", "kernel", weights),
            Pane("PRODUCTS", "kernel", products),
            Pane("INPUT GRADIENT dx", "input", self.flipped[..., 0], name="dx",
                 current=cells_2d([i], rank),
                 hidden=self._order_hidden(self.in_spatial, step)),
        ]
        gaps = "×".join(str(s - 1) for s in self.config.strides)
        caption = (f"Step {step + 1} of {self.n_steps}: the FLIPPED KERNEL over the OUTPUT "
                   f"GRADIENT with {gaps} zero(s) inserted between cells and "
                   f"{axis_text(lo)} zero(s) before, {axis_text(hi)} after; at INPUT cell "
                   f"{axis_text(i)} the sum of {products.size} products = dx{axis_text(i)} = "
                   f"{fmt(value)}.")
        terms = [f"{signed_term(a)}·{signed_term(b)}" for a, b in
                 zip(patch.ravel(), weights.ravel(), strict=False)]
        formula = (f"dx{axis_text(i)} = " + " + ".join(terms[:12])
                   + (" + …" if len(terms) > 12 else "") + f" = {fmt(value)}")
        return value, panes, caption, formula

    def _weight_scene(self, step, t):
        rank = self.config.rank
        rows = tuple(np.arange(m) * s + tt * d for m, s, d, tt in
                     zip(self.out_spatial, self.config.strides, self.config.dilation_rate, t,
                         strict=False))
        patch = self.padded[np.ix_(*rows, [0])][..., 0].astype(np.float64)
        dy = self.output_gradient[..., 0].astype(np.float64)
        products = patch * dy
        value = float(self.correlation[t + (0, 0)])
        panes = [
            Pane("INPUT x (padded)", "input", self.padded[..., 0], name="x",
                 outline=cells_2d(itertools.product(*rows), rank), hatch=self.pad_mask),
            Pane("OUTPUT GRADIENT dy", "output", dy, name="dy"),
            Pane(f"PRODUCTS x·dy for tap {axis_text(t)}", "kernel", products),
            Pane("WEIGHT GRADIENT dW", "kernel", self.correlation[..., 0, 0], name="dW",
                 current=cells_2d([t], rank),
                 hidden=self._order_hidden(self.config.kernel_size, step)),
        ]
        caption = (f"Step {step + 1} of {self.n_steps}: KERNEL weight {axis_text(t)} multiplied "
                   f"{products.size} input cells, one per output cell; dW{axis_text(t)} = the "
                   f"sum of those inputs × dy = {fmt(value)}.")
        terms = [f"{signed_term(a)}·{signed_term(b)}" for a, b in
                 zip(patch.ravel(), dy.ravel(), strict=False)]
        formula = (f"dW{axis_text(t)} = " + " + ".join(terms[:12])
                   + (" + …" if len(terms) > 12 else "") + f" = {fmt(value)}")
        return value, panes, caption, formula

    # ---- questions (the quiz) ----
    def contributions(self, cell) -> list:
        """Every ``(output cell, tap, dy, weight)`` whose window read input ``cell`` (filter 0,
        channel 0): padded index o·s + t·d = cell + p_before on every axis. Their products
        sum to dx[cell]."""
        config = self.config
        per_axis = []
        for i, m, k, s, d, (b, _) in zip(cell, self.out_spatial, config.kernel_size,
                                          config.strides, config.dilation_rate, self.pads,
                                          strict=False):
            per_axis.append([(o, t) for o in range(m) for t in range(k)
                             if o * s + t * d == i + b])
        rows = []
        for pairs in itertools.product(*per_axis):
            o = tuple(p[0] for p in pairs)
            t = tuple(p[1] for p in pairs)
            rows.append((o, t, float(self.output_gradient[o + (0,)]),
                         float(self.kernel[t + (0, 0)])))
        return rows

    def input_gradient_formula(self, cell) -> str:
        """dx[cell] = Σ dy[o]·K[t] over the windows that read it, with the numbers."""
        rows = self.contributions(cell)
        value = float(self.input_gradient[tuple(cell) + (0,)])
        if not rows:
            return (f"dx{axis_text(cell)} = 0: no window read this cell (a valid conv whose "
                    "stride skips the last cells)")
        names = " + ".join(f"dy{axis_text(o)}·K{axis_text(t)}" for o, t, _, _ in rows[:9])
        numbers = " + ".join(f"{signed_term(g)}·{signed_term(w)}" for _, _, g, w in rows[:9])
        more = " + …" if len(rows) > 9 else ""
        return f"dx{axis_text(cell)} = {names}{more} = {numbers}{more} = {fmt(value)}"

    def weight_gradient_formula(self, tap) -> str:
        """dW[tap] = Σ x·dy over the input cells the tap read, with the numbers."""
        return self._weight_scene(0, tuple(tap))[3]

    # ---- words ----
    def code(self) -> dict:
        """The convkit layer and the call whose numbers the badges check."""
        config = self.config
        k, s, d = common.layer_args(config)
        layer = (f"Conv{config.rank}D(filters={self.kernel.shape[-1]}, kernel_size={k}, "
                 f"strides={s}, padding='{config.padding}', dilation_rate={d}, "
                 "use_bias=False)")
        return {"convkit": f"layer = convkit.layers.{layer}\n"
                           "dx, (dW,) = layer.backward(x, dy)",
                "keras": f"keras.layers.{layer}  # gradients via jax.vjp / tf.GradientTape"}

    def sentences(self) -> list:
        """Why the pictures look as they do, in plain words."""
        return [
            "The gradient flows back along the same connections the forward pass used: each "
            "input cell collects dy × weight from every window that read it.",
            "Scattering dy through the kernel is a transposed convolution, which is the same as "
            "sliding the flipped kernel over dy with stride − 1 zeros between its cells.",
            "Every weight is shared by all windows, so its gradient sums input × dy over all "
            "output cells: the correlation of the input with dy."]


__all__ = ["VIEWS", "BackpropConfig", "BackpropComputation", "BackpropScene",
           "output_gradient_sample", "Badge"]
