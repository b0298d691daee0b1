"""ConvExplorer: a Conv1D/Conv2D window sliding over a padded input, with every number.

Numbers come from ``convkit.ops.conv`` (output) and ``convkit.ops.zero_pad`` (padded input);
the scene adds only the per-tap products whose sum (+ bias) the caption checks against the op.
"""

import ipywidgets as W
import numpy as np

from .. import samples
from ..quiz import conv_quiz
from ..scene.conv import PADDINGS, ConvComputation, ConvConfig, default_kernel
from .base import Explorer, dropdown_row

#: conv_arithmetic's cases (Dumoulin & Visin): (name, input, kernel, padding, p, stride, dil.)
PRESETS = {
    "i4 k3 (no padding, unit stride)": (4, 3, "valid", 0, 1, 1),
    "i5 k4 p2 (arbitrary padding)": (5, 4, "explicit", 2, 1, 1),
    "i5 k3 p1 (half / same padding)": (5, 3, "explicit", 1, 1, 1),
    "i5 k3 p2 (full padding)": (5, 3, "full", 2, 1, 1),
    "i5 k3 s2 (no padding, strides)": (5, 3, "valid", 0, 2, 1),
    "i5 k3 p1 s2 (padding, strides)": (5, 3, "explicit", 1, 2, 1),
    "i6 k3 p1 s2 (padding, strides, odd)": (6, 3, "explicit", 1, 2, 1),
    "i7 k3 d2 (dilation)": (7, 3, "valid", 0, 1, 2),
}

INSPECT_MODES = ("output → inputs", "input → outputs", "weight → inputs")


class ConvExplorer(Explorer):
    """Step a Conv1D/Conv2D window over an input and see every product, sum and shape.

    Parameters
    ----------
    rank : {1, 2}
        Conv1D or Conv2D.
    x : array_like, optional
        Your own input (``spatial`` or ``spatial + (C,)``); otherwise a sample is used.
    size, kernel_size, strides, dilation_rate : int
        The input's side and the layer's window, step and spacing, as initial control values.
    padding : str, default "valid"
        ``"valid"``, ``"same"`` (Keras's split), ``"causal"`` (1-D), ``"full"`` or explicit.
    channels, filters : int
        Input channels and output filters.
    source : str, default "ramp"
        The sample input (``"ramp"``, ``"random ints"``, ``"checkerboard"``...).
    seed : int
        Seed of the random samples.
    use_bias : bool, default True
        Whether the output adds a bias.
    bias : int, default 1
        The bias value shown.
    cell : int, default 30
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`).

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> ex = ConvExplorer(size=5, padding="same", strides=2)
    >>> ex.toolbar.step.max
    8
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, rank: int = 2, x=None, *, size: int = 5, kernel_size: int = 3,
                 strides: int = 1, dilation_rate: int = 1, padding: str = "valid",
                 channels: int = 1, filters: int = 1, source: str = "ramp", seed: int = 0,
                 use_bias: bool = True, bias: int = 1, cell: int = 30, quiz: bool = False):
        super().__init__()
        self._user_x = self._user_input(x)
        lab = self._control
        self.rank = lab(W.ToggleButtons, "rank", "1-D signals (Conv1D) or 2-D images (Conv2D)",
                        options=[("2D", 2), ("1D", 1)], value=rank)
        self.preset = lab(W.Dropdown, "preset", "conv_arithmetic's classic cases",
                          options=["(custom)", *PRESETS], value="(custom)")
        self.source = lab(W.Dropdown, "input", "where the numbers come from",
                          options=samples.SOURCES_2D if rank == 2 else samples.SOURCES_1D,
                          value=source)
        self.seed = self._slider("seed", "default_rng(seed) for random ints", 0, 99, seed)
        self.height = self._slider("input height", "rows of the input", 1, 16, size)
        self.width = self._slider("input width", "columns (1-D: length)", 1, 64, size)
        self.lock = lab(W.Checkbox, "square (lock axes)", "one value for both axes",
                        value=True)
        self.kernel_h, self.kernel_w = self._axis_sliders(
            "kernel", "kernel rows", "kernel columns (1-D: taps)", 1, 5, kernel_size)
        self.stride_h, self.stride_w = self._axis_sliders(
            "stride", "how far the window jumps (rows)", "how far the window jumps (cols)", 1,
            4, strides)
        self.dilation_h, self.dilation_w = self._axis_sliders(
            "dilation", "holes between taps (rows)", "holes between taps (cols)", 1, 4,
            dilation_rate)
        self.padding = lab(W.Dropdown, "padding", "how the border is handled",
                           options=PADDINGS, value=padding)
        self.pad_amount = self._slider("p (explicit)", "zeros per side for explicit", 0, 4, 1)
        self.channels = self._slider("channels", "input channels C", 1, 3, channels)
        self.filters = self._slider("filters", "output channels F", 1, 3, filters)
        self.filter_index = self._slider("show filter", "which filter's output is drawn", 0,
                                         filters - 1, 0)
        self.use_bias = lab(W.Checkbox, "use bias", "add a bias after the sum", value=use_bias)
        self.bias = self._slider("b", "the bias value b: filter f's bias is b + f (filter 0: "
                                 "b, filter 1: b + 1, …, so filters differ), added to every "
                                 "output of that filter", -3, 3, bias)
        self.inspect = lab(W.ToggleButtons, "inspect", "what to trace (keyboard: arrows)",
                           options=INSPECT_MODES, value=INSPECT_MODES[0])
        self.inspect_row = self._slider("row", "inspected row", 0, 0, 0)
        self.inspect_col = self._slider("col", "inspected column", 0, 0, 0)
        self.cell = self._cell_control(cell)
        self._watch(self.rank, self.source, self.seed, self.height, self.width, self.lock,
                    self.kernel_h, self.kernel_w, self.stride_h, self.stride_w,
                    self.dilation_h, self.dilation_w, self.padding, self.pad_amount,
                    self.channels, self.filters, self.use_bias, self.bias)
        for c in (self.filter_index, self.inspect, self.inspect_row, self.inspect_col):
            c.observe(self._on_step, "value")
        self.preset.observe(self._on_preset, "value")
        self._moved_axis = None  # the slider the learner just moved (locked axes follow it)
        if self._user_x is not None:
            self._freeze_input_controls()
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.rank, self.preset, self.source, self.seed),
            m(dropdown_row, self.height, self.width, self.lock),
            m(dropdown_row, self.kernel_h, self.kernel_w, self.stride_h, self.stride_w),
            m(dropdown_row, self.dilation_h, self.dilation_w, self.padding, self.pad_amount),
            m(dropdown_row, self.channels, self.filters, self.filter_index, self.use_bias,
              self.bias),
            m(dropdown_row, self.inspect, self.inspect_row, self.inspect_col, self.cell),
        ])
        t = self.toolbar
        # predict-then-reveal (widgets/quiz.py): output shape or the current output value
        self.quiz = conv_quiz(self, enabled=quiz)
        self._finish([controls, self.quiz, t, t.banner, self.view, t.caption, t.formula,
                      t.sentences, t.code])

    # ---- parameters ----
    def _freeze_input_controls(self):
        """With ``x=array`` the array fixes the input's size and channels: those controls
        are disabled and their tooltips (and a sentence under the picture) say why."""
        why = (f"off: your array (shape {'×'.join(map(str, self._user_x.shape))}) fixes the "
               "input")
        for c in (self.source, self.seed, self.height, self.width, self.lock, self.channels):
            c.disabled = True
            c.tooltip = why

    def _user_array_sentence(self) -> list:
        if self._user_x is None:
            return []
        return [f"The input is your array ({'×'.join(map(str, self._user_x.shape))}), so "
                "its size and channels are fixed: the input-size, channel and source controls "
                "are off."]

    def _on_param(self, change):
        owner = None if change is None else change.get("owner")
        self._moved_axis = owner
        super()._on_param(change)

    def _on_preset(self, change):
        if change["new"] not in PRESETS:
            return
        n, k, padding, p, s, d = PRESETS[change["new"]]
        self._busy = True
        try:
            with self.hold_sync():
                self.rank.value = 2
                self.source.options = samples.SOURCES_2D
                self.lock.value = True
                for a, b in ((self.height, n), (self.width, n), (self.kernel_h, k),
                             (self.kernel_w, k), (self.stride_h, s), (self.stride_w, s),
                             (self.dilation_h, d), (self.dilation_w, d),
                             (self.padding, padding), (self.pad_amount, p)):
                    a.value = b
        finally:
            self._busy = False
        self._on_param(None)

    def _before_compute(self):
        one_d = self.rank.value == 1
        options = samples.SOURCES_1D if one_d else samples.SOURCES_2D
        if tuple(self.source.options) != tuple(options):
            keep = self.source.value if self.source.value in options else options[0]
            self.source.options = options
            self.source.value = keep
        if self.lock.value and not one_d:
            # locked axes follow whichever of the pair the learner moved (rows by default)
            for w, h in ((self.width, self.height), (self.kernel_w, self.kernel_h),
                         (self.stride_w, self.stride_h), (self.dilation_w, self.dilation_h)):
                if self._moved_axis is w:
                    h.value = w.value
                else:
                    w.value = h.value
        hide = "none" if one_d else None
        for c in (self.height, self.kernel_h, self.stride_h, self.dilation_h, self.lock,
                  self.inspect_row):
            c.layout.display = hide
        self.width.max = 64 if one_d else 16
        self.pad_amount.layout.display = None if self.padding.value == "explicit" else "none"
        self._show_seed_for_random_ints()
        self.filter_index.max = self.filters.value - 1
        self.bias.disabled = not self.use_bias.value

    def _axes(self, h, w):
        return (w.value,) if self.rank.value == 1 else (h.value, w.value)

    def _compute(self):
        rank = self.rank.value
        shape = self._axes(self.height, self.width)
        C, F = self.channels.value, self.filters.value
        if self._user_x is not None:
            x = self._user_x
        else:
            base = samples.make_input(self.source.value, shape, self.seed.value)
            x = np.stack([base + c if self.source.value == "ramp" else
                          (samples.random_ints(shape, self.seed.value + c)
                           if c and self.source.value == "random ints" else base)
                          for c in range(C)], axis=-1)
        config = ConvConfig(rank=rank, kernel_size=self._axes(self.kernel_h, self.kernel_w),
                         strides=self._axes(self.stride_h, self.stride_w),
                         dilation_rate=self._axes(self.dilation_h, self.dilation_w),
                         padding=self.padding.value, use_bias=self.use_bias.value,
                         explicit_pad=self.pad_amount.value)
        x = np.asarray(x, dtype=np.float32)
        channels = x.shape[-1] if x.ndim == rank + 1 else 1
        kernel = default_kernel(config.kernel_size, channels, F, seed=self.seed.value)
        bias = np.full(F, float(self.bias.value)) + np.arange(F)
        computation = ConvComputation(config, x, kernel=kernel, bias=bias)
        self.inspect_row.max = max(computation.padded.shape[0] - 1, 0)
        self.inspect_col.max = max(computation.padded.shape[rank - 1] - 1, 0)
        return computation

    # ---- rendering ----
    def _render_kwargs(self) -> dict:
        return {**super()._render_kwargs(), "inspect": self._inspect()}

    def _inspect_index(self, limit_shape):
        idx = (self.inspect_col.value,) if self.rank.value == 1 else (
            self.inspect_row.value, self.inspect_col.value)
        return tuple(min(i, m - 1) for i, m in zip(idx, limit_shape, strict=False))

    def _inspect(self):
        computation = self.computation
        mode = self.inspect.value
        if computation is None or mode == INSPECT_MODES[0]:
            return None
        if mode == INSPECT_MODES[1]:
            cell = self._inspect_index(computation.padded.shape[:-1])
            fed = computation.outputs_fed_by(cell)
            return {"inputs": [cell], "outputs": [o for o, _ in fed],
                    "text": f"INPUT {cell} (padded coordinates) feeds {len(fed)} output(s): "
                            + ", ".join(str(o) for o, _ in fed[:12])}
        tap = self._inspect_index(computation.kernel.shape[:-2])
        cells = computation.inputs_of_tap(tap)
        return {"taps": [tap], "inputs": cells,
                "text": f"KERNEL weight {tap} multiplies {len(cells)} input cells — the same "
                        "weight at every window position (weight sharing)."}

    def _scene(self, step: int):
        return self.computation.scene(step, self.filter_index.value)

    def _show(self, scene):
        kwargs = self._render_kwargs()
        super()._show(scene)
        extra = kwargs["inspect"]
        if extra:
            sentences = [extra["text"], *scene.sentences, *self._user_array_sentence()]
            self.toolbar.show_text(scene.caption, scene.formula, sentences, scene.code)
        elif self._user_x is not None:
            self.toolbar.show_text(scene.caption, scene.formula,
                                   [*scene.sentences, *self._user_array_sentence()], scene.code)
        self._add_formula_lines(scene.shape_formula)


__all__ = ["ConvExplorer", "PRESETS", "INSPECT_MODES"]
