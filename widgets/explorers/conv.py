"""ConvExplorer: a Conv1D/Conv2D/Conv3D window sliding over a padded input, with every number.

Numbers come from ``convkit.ops.conv`` (output) and ``convkit.ops.zero_pad`` (padded input);
the scene adds only the per-tap products whose sum (+ bias) the caption checks against the op.
Beside the window (``extras_view``): the kernel as typed and flipped, every channel's partial
sum, every filter's output and the groups picture, with badges checking them against
convkit's ops and its Conv layer. The kernel is editable (a weight cell and its value).

This module builds the control panel and keeps the controls consistent (presets, locked axes,
the controls a user's ``x`` or ``kernel`` fixes); what is computed and drawn from them is
:mod:`.conv_view`, the editable kernel :mod:`.conv_kernel`.
"""

import ipywidgets as W

from .. import samples
from ..quiz import conv_quiz
from ..render.conv_more import conv3d_rgb
from ..scene.conv import PADDINGS, check_kernel
from .arguments import check_choice, check_int
from .base import Explorer, dropdown_row
from .conv_kernel import ConvKernelEditing, _weight_problem
from .conv_view import INSPECT_MODES, ConvView

#: Samples that exist as volumes (Conv3D).
SOURCES_3D = ("ramp", "random ints")
#: (label, value) of the operation toggle; Keras's Conv layers compute the first.
OPERATIONS = (("cross-correlation (what Keras computes)", "cross-correlation"),
              ("convolution (kernel flipped)", "convolution"))

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


class ConvExplorer(ConvKernelEditing, ConvView, Explorer):
    """Step a Conv1D/Conv2D/Conv3D window over an input and see every product, sum and shape.

    Parameters
    ----------
    rank : {1, 2, 3}
        Conv1D, Conv2D or Conv3D (drawn as depth slices, the 3-D window outlined on every
        slice it spans).
    x : array_like, optional
        Your own input (``spatial`` or ``spatial + (C,)``); otherwise a sample is used.
    kernel : array_like, optional
        Your own kernel in Keras's layout: ``kernel_size`` alone (one channel, one filter)
        or ``kernel_size + (C // groups, F)``. It fixes the kernel size and filters (and the
        channels, with ``groups``); its weights stay editable in the widget.
    operation : {"cross-correlation", "convolution"}, default "cross-correlation"
        Keras's Conv layers compute the cross-correlation; ``"convolution"`` flips the kernel
        along its spatial axes first (shown beside it).
    groups : int, default 1
        Keras's ``groups``: C input channels and F filters split into ``groups`` groups,
        filter group g reading channel group g only.
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
        For an unknown keyword argument, or a ``kernel`` that is not an array of real
        numbers.
    ValueError
        For a ``kernel`` of the wrong rank, with an empty axis or a NaN/infinite weight, or
        whose input channels do not divide ``x``'s; for a ``rank``, ``operation`` or
        ``groups`` outside the choices (1 to 4 groups). A non-integer ``groups`` is a
        TypeError.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> ex = ConvExplorer(size=5, padding="same", strides=2)
    >>> ex.toolbar.step.max
    8
    >>> ex.close()  # releases every widget it made
    >>> ex = ConvExplorer(kernel=[[1, 0], [0, -1]], operation="convolution")
    >>> ex.kernel_h.value, ex.kernel_w.value, ex.kernel_h.disabled
    (2, 2, True)
    >>> ex.close()
    """

    def __init__(self, rank: int = 2, x=None, *, size: int = 5, kernel_size: int = 3,
                 strides: int = 1, dilation_rate: int = 1, padding: str = "valid",
                 channels: int = 1, filters: int = 1, source: str = "ramp", seed: int = 0,
                 use_bias: bool = True, bias: int = 1, cell: int = 30, quiz: bool = False,
                 kernel=None, operation: str = "cross-correlation", groups: int = 1):
        # the new arguments are checked before any widget exists (older ones: see Raises)
        check_choice("rank", rank, (1, 2, 3))
        check_choice("operation", operation, [value for _, value in OPERATIONS])
        check_int("groups", groups, 1, 4)
        self._user_kernel = None if kernel is None else check_kernel(kernel, rank)
        self._user_x = self._user_input(x)
        if self._user_kernel is not None and self._user_x is not None:
            self._check_kernel_fits_x(rank)
        super().__init__()
        self._edits = {}  # kernel index spatial + (c, f) -> the weight the learner typed
        self.kernel_array = None  # the kernel as typed (Keras layout), after the edits
        lab = self._control
        self.rank = lab(W.ToggleButtons, "rank", "1-D signals (Conv1D), 2-D images (Conv2D) "
                        "or 3-D volumes (Conv3D, drawn as depth slices)",
                        options=[("2D", 2), ("1D", 1), ("3D", 3)], value=rank)
        self.preset = lab(W.Dropdown, "preset", "conv_arithmetic's classic cases",
                          options=["(custom)", *PRESETS], value="(custom)")
        self.source = lab(W.Dropdown, "input", "where the numbers come from",
                          options=samples.SOURCES_2D if rank == 2 else samples.SOURCES_1D,
                          value=source)
        self.seed = self._slider("seed", "default_rng(seed) for random ints", 0, 99, seed)
        self.depth = self._slider("input depth", "depth slices of a volume (Conv3D)", 1, 8,
                                  size)
        self.height = self._slider("input height", "rows of the input", 1, 16, size)
        self.width = self._slider("input width", "columns (1-D: length)", 1, 64, size)
        self.lock = lab(W.Checkbox, "square (lock axes)", "one value for both axes",
                        value=True)
        self.kernel_h, self.kernel_w = self._axis_sliders(
            "kernel", "kernel rows", "kernel columns (1-D: taps)", 1, 5, kernel_size)
        self.kernel_d = self._slider("kernel d", "kernel depth slices (Conv3D)", 1, 5,
                                     kernel_size)
        self.stride_h, self.stride_w = self._axis_sliders(
            "stride", "how far the window jumps (rows; Conv3D: depth too)",
            "how far the window jumps (cols)", 1, 4, strides)
        self.dilation_h, self.dilation_w = self._axis_sliders(
            "dilation", "holes between taps (rows; Conv3D: depth too)",
            "holes between taps (cols)", 1, 4, dilation_rate)
        self.padding = lab(W.Dropdown, "padding", "how the border is handled",
                           options=PADDINGS, value=padding)
        self.pad_amount = self._slider("p (explicit)", "zeros per side for explicit", 0, 4, 1)
        self.channels = self._slider("channels", "input channels C", 1, 4, channels)
        self.filters = self._slider("filters", "output channels F", 1, 4, filters)
        self.groups = self._slider("groups", "Keras's groups: filter group g reads input "
                                   "channel group g only (must divide C and F)", 1, 4, groups)
        self.operation = lab(W.ToggleButtons, "operation", "Keras's Conv layers compute the "
                             "cross-correlation; a convolution flips the kernel first",
                             options=list(OPERATIONS), value=operation)
        self.filter_index = self._slider("show filter", "which filter's output is drawn", 0,
                                         filters - 1, 0)
        self.use_bias = lab(W.Checkbox, "use bias", "add a bias after the sum", value=use_bias)
        self.bias = self._slider("b", "the bias value b: filter f's bias is b + f (filter 0: "
                                 "b, filter 1: b + 1, …, so filters differ), added to every "
                                 "output of that filter", -3, 3, bias)
        self.inspect = lab(W.ToggleButtons, "inspect", "what to trace (keyboard: arrows)",
                           options=INSPECT_MODES, value=INSPECT_MODES[0])
        self.inspect_depth = self._slider("depth", "inspected depth slice (Conv3D)", 0, 0, 0)
        self.inspect_row = self._slider("row", "inspected row", 0, 0, 0)
        self.inspect_col = self._slider("col", "inspected column", 0, 0, 0)
        self.cell = self._cell_control(cell)
        # the editable kernel: pick a weight (keyboard: a dropdown), type its value
        self.weight_cell = lab(W.Dropdown, "weight", "which kernel weight to edit (of the "
                               "shown filter)", options=[("[0, 0] ch0", (0, 0, 0))],
                               value=(0, 0, 0))
        self.weight = lab(W.FloatText, "value", "type a new weight: the output is recomputed "
                          "by convkit", value=0.0)
        self.reset_kernel = self.make(W.Button, description="reset kernel",
                                      tooltip="forget the edited weights",
                                      layout=W.Layout(width="auto"))
        self.reset_kernel.on_click(self._on_reset_kernel)
        self._watch(self.rank, self.source, self.seed, self.depth, self.height, self.width,
                    self.lock, self.kernel_d, self.kernel_h, self.kernel_w, self.stride_h,
                    self.stride_w, self.dilation_h, self.dilation_w, self.padding,
                    self.pad_amount, self.channels, self.filters, self.groups, self.operation,
                    self.use_bias, self.bias)
        for c in (self.filter_index, self.inspect, self.inspect_depth, self.inspect_row,
                  self.inspect_col, self.weight_cell):
            c.observe(self._on_step, "value")
        self.weight.observe(self._on_weight, "value")
        self.extras_view = self.make(W.HTML, value="")
        self.badges = self.make(W.HTML, value="")
        self._layer_out = self._dense_out = None
        self.extras = None  # the last step's ConvExtras (plain data, for tests and readers)
        self.preset.observe(self._on_preset, "value")
        self._moved_axis = None  # the slider the learner just moved (locked axes follow it)
        self._busy = True  # the frozen controls' values must not recompute yet
        try:
            if self._user_x is not None:
                self._freeze_input_controls()
            if self._user_kernel is not None:
                self._freeze_kernel_controls()
        finally:
            self._busy = False
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.rank, self.preset, self.source, self.seed),
            m(dropdown_row, self.depth, self.height, self.width, self.lock),
            m(dropdown_row, self.kernel_d, self.kernel_h, self.kernel_w, self.stride_h,
              self.stride_w),
            m(dropdown_row, self.dilation_h, self.dilation_w, self.padding, self.pad_amount),
            m(dropdown_row, self.channels, self.filters, self.groups, self.filter_index,
              self.use_bias, self.bias),
            m(dropdown_row, self.operation, self.weight_cell, self.weight, self.reset_kernel),
            m(dropdown_row, self.inspect, self.inspect_depth, self.inspect_row,
              self.inspect_col, self.cell),
        ])
        t = self.toolbar
        # predict-then-reveal (widgets/quiz.py): output shape or the current output value
        # the extras show every output value and the Σ line: hidden with the answer too
        self.quiz = conv_quiz(self, enabled=quiz, also_hide=(self.extras_view, self.badges))
        # the extras (Σ line, all filters, groups) and their badges right under the window
        self._finish([controls, self.quiz, t, t.banner, self.view, t.caption, self.badges,
                      self.extras_view, t.formula, t.sentences, t.code])

    # ---- parameters ----
    def _freeze_input_controls(self):
        """With ``x=array`` the array fixes the input's size and channels: those controls
        are disabled and their tooltips (and a sentence under the picture) say why."""
        why = (f"off: your array (shape {'×'.join(map(str, self._user_x.shape))}) fixes the "
               "input")
        for c in (self.source, self.seed, self.depth, self.height, self.width, self.lock,
                  self.channels):
            c.disabled = True
            c.tooltip = why

    def _check_kernel_fits_x(self, rank: int):
        """``kernel`` and ``x`` together: the kernel's C // groups input channels must divide
        the array's channels (``groups`` is then their ratio)."""
        x = self._user_x
        channels = x.shape[-1] if x.ndim == rank + 1 else 1
        per_group = self._user_kernel.shape[-2]
        if channels % per_group:
            raise ValueError(f"kernel has {per_group} input channel(s) per group (axis "
                             f"{rank} of its shape {self._user_kernel.shape}), which does not "
                             f"divide the {channels} channel(s) of x")

    def _freeze_kernel_controls(self):
        """With ``kernel=array`` the array fixes the kernel size and the filters (and, with
        ``groups``, the channels): those controls show its values and are disabled."""
        k = self._user_kernel
        rank = k.ndim - 2
        why = f"off: your kernel (shape {'×'.join(map(str, k.shape))}) fixes this"
        spatial = k.shape[:rank]
        sliders = {1: (self.kernel_w,), 2: (self.kernel_h, self.kernel_w),
                   3: (self.kernel_d, self.kernel_h, self.kernel_w)}[rank]
        pairs = zip(sliders, spatial, strict=True)
        self.lock.value = False
        for slider, value in (*pairs, (self.filters, k.shape[-1])):
            slider.max = max(slider.max, value)
            slider.value = value
        frozen = [self.rank, self.preset, self.lock, self.kernel_d, self.kernel_h,
                  self.kernel_w, self.filters]
        if self._user_x is not None:
            x = self._user_x
            channels = x.shape[-1] if x.ndim == rank + 1 else 1
            self.groups.max = max(self.groups.max, channels // k.shape[-2])
            self.groups.value = channels // k.shape[-2]
            frozen.append(self.groups)
        else:
            frozen.append(self.channels)  # C = (C // groups) · groups follows the groups slider
        for c in frozen:
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
        rank = self.rank.value
        one_d = rank == 1
        options = {1: samples.SOURCES_1D, 2: samples.SOURCES_2D, 3: SOURCES_3D}[rank]
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
        for c in (self.depth, self.kernel_d, self.inspect_depth):
            c.layout.display = None if rank == 3 else "none"
        self.width.max = 64 if one_d else 16
        if self._user_kernel is not None and self._user_x is None:
            # C = (C // groups) · groups: the kernel fixes the channels per group
            channels = self._user_kernel.shape[-2] * self.groups.value
            self.channels.max = max(self.channels.max, channels)
            self.channels.value = channels
        self.pad_amount.layout.display = None if self.padding.value == "explicit" else "none"
        self._show_seed_for_random_ints()
        self.filter_index.max = self.filters.value - 1
        self.bias.disabled = not self.use_bias.value

    # ---- public methods: defined here, not in the mixins, so the API reference (autodoc
    # lists a class's own members) keeps showing them ----
    def edit_weight(self, index: tuple, value: float):
        """Set kernel weight ``index`` (``spatial + (c, f)``, the kernel as typed) to
        ``value`` and recompute through convkit, as typing in the widget does."""
        index = tuple(int(i) for i in index)
        if self.kernel_array is None or len(index) != self.kernel_array.ndim or any(
                not 0 <= i < n for i, n in zip(index, self.kernel_array.shape, strict=True)):
            shape = None if self.kernel_array is None else self.kernel_array.shape
            raise ValueError(f"index must point into the kernel of shape {shape}, received "
                             f"{index}")
        problem = _weight_problem(value)
        if problem:
            raise ValueError(problem)
        self._edits[index] = float(value)
        self._on_param(None)

    def frame(self, step: int):
        """RGB frame (uint8) of ``step``; Conv3D as depth slices."""
        scene = self._scene(step)
        if scene.config.rank == 3:
            return conv3d_rgb(scene, contrast=self.contrast, **self._render_kwargs())
        return super().frame(step)


__all__ = ["ConvExplorer", "PRESETS", "INSPECT_MODES", "OPERATIONS", "SOURCES_3D"]
