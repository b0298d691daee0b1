"""SeparableExplorer: SeparableConv2D as a depthwise stage and a 1×1 pointwise stage.

Numbers come from ``convkit.ops.depthwise_conv``, ``ops.conv`` (the 1×1 stage) and
``ops.separable_conv`` (see :mod:`convkit.widgets.scene.separable`); parameter counts from
built convkit layers. A ``groups`` slider sets the plain Conv2D the costs are compared with.
"""

import html

import ipywidgets as W
import numpy as np

from .. import samples
from ..quiz import Question, Quiz, _grid_text, as_shown, products_text, rounding_slack
from ..scene.separable import PADDINGS, SeparableComputation, SeparableConfig, divisors
from ..scene.text import fmt
from .base import Explorer, dropdown_row


class SeparableExplorer(Explorer):
    """Step a SeparableConv2D: per-channel depthwise windows, then the 1×1 channel mix.

    Parameters
    ----------
    x : array_like, optional
        Your own ``(H, W, C)`` input; otherwise a sample with ``channels`` channels.
    size, channels, depth_multiplier, filters, kernel_size, strides, dilation_rate : int
    padding : {"valid", "same"}
    groups : int
        ``groups`` of the plain Conv2D in the cost comparison (a divisor of C).
    use_bias : bool, default True
    source : str, default "random ints"
        A 2-D sample (``convkit.widgets.samples.SOURCES_2D``), one per channel.
    seed : int, default 0
        Seed of the random input and kernels (and of the quiz's exercises).
    cell : int, default 28
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`): predict a depthwise
        value, the pointwise (output) value, or the parameter count.

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> ex = SeparableExplorer(channels=3, filters=4)
    >>> ex.computation.costs["separable"], ex.computation.costs["plain"]
    (43, 112)
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, x=None, *, size: int = 5, channels: int = 2, depth_multiplier: int = 1,
                 filters: int = 2, kernel_size: int = 3, strides: int = 1,
                 dilation_rate: int = 1, padding: str = "valid", groups: int = 1,
                 use_bias: bool = True, source: str = "random ints", seed: int = 0,
                 cell: int = 28, quiz: bool = False):
        super().__init__()
        self._user_x = self._user_input(x)
        lab = self._control
        self.source = lab(W.Dropdown, "input", "where the numbers come from",
                          options=samples.SOURCES_2D, value=source)
        self.seed = self._slider("seed", "default_rng(seed) for random numbers", 0, 99, seed)
        self.size = self._slider("input size", "side of the input", 2, 8, size)
        self.channels = self._slider("channels C", "input channels", 1, 4, channels)
        self.depth_multiplier = self._slider("depth_multiplier M",
                                             "depthwise kernels per input channel", 1, 3,
                                             depth_multiplier)
        self.filters = self._slider("filters F", "output channels of the 1×1 stage", 1, 4,
                                    filters)
        self.kernel_size = self._slider("kernel", "depthwise kernel side k", 1, 4, kernel_size)
        self.strides = self._slider("stride", "how far the window jumps", 1, 3, strides)
        self.dilation = self._slider("dilation", "holes between taps", 1, 3, dilation_rate)
        self.padding = lab(W.Dropdown, "padding", "valid shrinks, same keeps ⌈n/s⌉",
                           options=PADDINGS, value=padding)
        self.use_bias = lab(W.Checkbox, "use bias", "a bias per output channel, after the mix",
                            value=use_bias)
        self.groups = lab(W.SelectionSlider, "Conv2D groups",
                          "groups of the plain Conv2D compared below (divisors of C)",
                          options=divisors(channels), value=groups)
        self.filter_index = self._slider("show output ch", "which output channel is drawn", 0,
                                         filters - 1, 0)
        self.cell = self._cell_control(cell)
        self.costs = self.make(W.HTML, value="")
        self._watch(self.source, self.seed, self.size, self.channels, self.depth_multiplier,
                    self.filters, self.kernel_size, self.strides, self.dilation, self.padding,
                    self.use_bias, self.groups)
        self.filter_index.observe(self._on_step, "value")
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.source, self.seed, self.size, self.channels),
            m(dropdown_row, self.depth_multiplier, self.filters, self.kernel_size,
              self.strides),
            m(dropdown_row, self.dilation, self.padding, self.use_bias, self.groups),
            m(dropdown_row, self.filter_index, self.cell)])
        t = self.toolbar
        self.quiz = Quiz(self, self._question, self._exercise,
                         ("depthwise value", "pointwise value", "parameters"),
                         [self.view, t.caption, self.costs, t.formula, t.sentences],
                         enabled=quiz, seed=seed)
        self._finish([controls, self.quiz, t, t.banner, self.view, t.caption, self.costs, t.formula,
                      t.sentences, t.code])

    def _before_compute(self):
        C = self._user_x.shape[-1] if self._user_x is not None and self._user_x.ndim == 3 \
            else 1 if self._user_x is not None else self.channels.value
        options = tuple(divisors(C))
        if tuple(self.groups.options) != options:
            keep = self.groups.value if self.groups.value in options else 1
            self.groups.options = options
            self.groups.value = keep
        self.filter_index.max = self.filters.value - 1
        self._show_seed_for_random_ints()

    def _input(self):
        if self._user_x is not None:
            return self._user_x
        shape = (self.size.value,) * 2
        src = self.source.value
        if src == "ramp":
            return np.stack([samples.ramp(shape) + c for c in range(self.channels.value)], -1)
        return np.stack([samples.make_input(src, shape, self.seed.value + c)
                         for c in range(self.channels.value)], axis=-1)

    def _compute(self):
        config = SeparableConfig(kernel_size=self.kernel_size.value, strides=self.strides.value,
                              dilation_rate=self.dilation.value, padding=self.padding.value,
                              depth_multiplier=self.depth_multiplier.value,
                              filters=self.filters.value, use_bias=self.use_bias.value,
                              groups=self.groups.value)
        return SeparableComputation(config, self._input(), seed=self.seed.value)

    def _scene(self, step: int):
        return self.computation.scene(step, self.filter_index.value)

    def _show(self, scene):
        super()._show(scene)
        self.costs.value = cost_table(scene.costs)

    def _render(self):
        super()._render()
        if self.computation is None:
            self.costs.value = ""

    # ---- quiz ----
    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        config = c.config
        C, M, F = c.channels, config.depth_multiplier, config.filters
        k = "×".join(map(str, config.kernel_size))
        if kind == "parameters":
            costs = c.costs
            why = f"SeparableConv2D: {costs['separable_formula']}"
            if costs["plain"] is not None:
                why += (f"; a full Conv2D: {costs['plain_formula']}, "
                        f"{costs['ratio']:.2f}× the separable count")
            return Question(
                prompt=(f"SeparableConv2D with a {k} depthwise kernel on C = {C} input "
                        f"channels, depth_multiplier M = {M}, F = {F} filters, use_bias="
                        f"{config.use_bias}: how many parameters does it have? (then compare "
                        f"a full {k} Conv2D from {C} to {F} channels)"),
                answer=float(costs["separable"]), kind="value", why=why)
        scene = self._scene(self.toolbar.step.value)
        pos = "(" + ", ".join(map(str, scene.position)) + ")"
        if kind == "depthwise value":
            q = scene.step % (C * M)  # the maps take turns as the window moves
            ch, m = divmod(q, M)
            patch = scene.padded[np.ix_(*scene.window)][..., ch]
            weights = scene.depthwise_kernel[..., ch, m]
            answer = float(scene.depthwise[scene.position + (q,)])  # ops.depthwise_conv
            from_shown = float(np.sum(as_shown(patch) * as_shown(weights)))
            return Question(
                prompt=(f"Depthwise map d{q} (input channel {ch}, kernel {m} of its {M}) at "
                        f"{pos}: the window of channel {ch} reads {_grid_text(patch)} (padding "
                        f"reads 0), its depthwise kernel is {_grid_text(weights)}. What is "
                        f"d{q}{pos}? (no bias: the bias comes after the mix)"),
                answer=answer, kind="value", slack=rounding_slack(answer, from_shown),
                why=(f"d{q}{pos} = {products_text(patch, weights)} = {answer:.6g}: map "
                     f"q = c·M + m = {ch}·{M} + {m} reads channel {ch} only"))
        f = scene.filter_index
        dw, pw = scene.dw_values, scene.pointwise[:, f]
        bias = float(scene.bias[f]) if config.use_bias else 0.0
        from_shown = float(np.sum(as_shown(dw) * as_shown(pw))) + bias
        values = ", ".join(f"d{q} = {fmt(v)}" for q, v in enumerate(dw))
        return Question(
            prompt=(f"The {dw.size} depthwise values at {pos} are {values}; the 1×1 pointwise "
                    f"weights of output channel {f} are {_grid_text(pw)}"
                    + (f", its bias {bias:g}" if config.use_bias else ", no bias")
                    + f". What is OUTPUT {pos} channel {f}?"),
            answer=scene.value, kind="value", why=scene.formula,
            slack=rounding_slack(scene.value, from_shown))

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                self.source.value = "random ints"
                self.seed.value = int(rng.integers(0, 100))
                self.size.value = int(rng.integers(3, 7))
                self.channels.value = int(rng.integers(1, 4))
                self.depth_multiplier.value = int(rng.integers(1, 3))
                self.filters.value = int(rng.integers(1, 4))
                self.kernel_size.value = int(rng.integers(1, 4))
                self.strides.value = int(rng.integers(1, 3))
                self.dilation.value = 1
                self.padding.value = str(rng.choice(PADDINGS))
                self.use_bias.value = bool(rng.random() < 0.5)
        finally:
            self._busy = False
        self._on_param(None)
        self._busy = True  # the channel shown and the step: one render below
        try:
            self.filter_index.value = int(rng.integers(0, self.filters.value))
            self.toolbar.step.value = int(rng.integers(0, self.toolbar.step.max + 1))
        finally:
            self._busy = False
        self._on_step(None)


def cost_table(c: dict) -> str:
    """HTML: parameters and multiply-adds of SeparableConv2D vs a plain (grouped) Conv2D."""
    g = c["groups"]
    name = "Conv2D" + ("" if g == 1 else f" (groups={g})")
    out = c["out_spatial"]
    rows = [("SeparableConv2D", c["separable_formula"], c["macs_separable_formula"],
             c["macs_separable_total"])]
    if c["plain"] is not None:
        rows.append((name, c["plain_formula"], c["macs_plain_formula"], c["macs_plain_total"]))
    body = "".join(
        f"<tr><td>{html.escape(n)}</td><td style='font-family:monospace'>{html.escape(p)}</td>"
        f"<td style='font-family:monospace'>{html.escape(m)}</td>"
        f"<td>{total} = {out[0]}×{out[1]} positions × {html.escape(m.split(' = ')[-1])}</td>"
        "</tr>" for n, p, m, total in rows)
    text = (f"<p>The depthwise stage alone (DepthwiseConv2D, no bias) has {c['depthwise']} "
            "parameters.")
    if c["plain"] is not None:
        if c["ratio"] >= 1:
            text += (f" The separable layer needs {c['ratio']:.2f}× fewer parameters than "
                     f"{html.escape(name)} for the same in/out channels and kernel.")
        else:
            text += (f" Here the separable layer needs more parameters than {html.escape(name)}"
                     ": with so few channels the extra 1×1 stage costs more than it saves.")
        if g > 1:
            text += (f" With groups={g} the plain conv mixes channels only inside each group "
                     "of C/g inputs, which is another way to save weights.")
    text += "</p>"
    err = ""
    if c["plain_error"]:
        message, sentence = c["plain_error"]
        err = ('<div role="alert" style="border:2px solid #D55E00;background:#FBE3D6;'
               f'padding:4px 8px"><b>Note:</b> {html.escape(sentence)}<br>'
               f"<code>{html.escape(message)}</code></div>")
    return ("<table><caption><b>Cost: separable vs plain convolution</b> (parameters from "
            "convkit layers' count_params)</caption><tr><th>layer</th><th>parameters</th>"
            "<th>multiply-adds per output position</th><th>total multiply-adds</th></tr>"
            f"{body}</table>{text}{err}")


__all__ = ["SeparableExplorer", "cost_table"]
