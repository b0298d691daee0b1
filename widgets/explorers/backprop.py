"""BackpropExplorer: the gradients of a Conv1D/Conv2D, drawn three ways and checked live.

The numbers come from a real ``convkit.layers.Conv1D``/``Conv2D``: ``layer.backward(x, dy)``
gives the input and weight gradients that the badges compare every picture with (see
:mod:`convkit.widgets.scene.backprop`).
"""

import ipywidgets as W
import numpy as np

from convkit.ops import shapes

from .. import samples
from ..quiz import Question, Quiz, _grid_text
from ..scene.backprop import VIEWS, BackpropComputation, BackpropConfig, output_gradient_sample
from ..scene.text import axis_text
from .arguments import check_choice, check_int
from .base import dropdown_row
from .pane_explorer import PaneExplorer

DY_SOURCES = ("random ints", "ones", "one-hot")


class BackpropExplorer(PaneExplorer):
    """Step through the backward pass of a convolution.

    Parameters
    ----------
    rank : {1, 2}, default 2
        Conv1D or Conv2D.
    x : array_like, optional
        Your own input (``spatial``, one channel); default seeded small integers.
    size, kernel_size, strides, dilation_rate : int
        The input's side and the forward layer's window, step and spacing, as initial control
        values (the sliders keep them in their ranges).
    padding : {"valid", "same", "causal"}, default "valid"
        The forward layer's padding; ``"causal"`` for 1-D only.
    view : {"scatter", "flipped kernel", "weight gradient"}, default "scatter"
        How the input gradient is shown: each output gradient scattered back through the
        kernel, or the same numbers as a convolution with the flipped kernel; or the kernel's
        gradient as the correlation of the input with the output gradient.
    output_gradient : {"random ints", "ones", "one-hot"}, default "random ints"
        How the output gradient (the loss's gradient with respect to the output) is seeded;
        single cells can then be edited ("dy cell", "dy value").
    seed : int, default 0
        Seed of the random input and output gradient.
    cell : int, default 30
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`).

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a ``rank``, ``padding``, ``view`` or ``output_gradient`` outside the choices its
        control offers.
    ValueError
        For an ``x`` that is not numeric.

    Examples
    --------
    >>> ex = BackpropExplorer(size=5)  # a 5x5 input and a 3x3 kernel: 3x3 outputs
    >>> ex.computation.input_gradient.shape, ex.computation.weight_gradient.shape
    ((5, 5, 1), (3, 3, 1, 1))
    >>> [b.ok for b in ex.computation.badges]  # each picture agrees with layer.backward
    [True, True, True]
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, rank: int = 2, x=None, *, size: int = 5, kernel_size: int = 3,
                 strides: int = 1, dilation_rate: int = 1, padding: str = "valid",
                 view: str = "scatter", output_gradient: str = "random ints", seed: int = 0,
                 cell: int = 30, quiz: bool = False):
        check_choice("rank", rank, (1, 2))
        check_choice("padding", padding, ("valid", "same", "causal"))
        check_choice("view", view, VIEWS)
        check_choice("output_gradient", output_gradient, DY_SOURCES)
        for name, value, low, high in (("size", size, 1, 16), ("kernel_size", kernel_size, 1, 5),
                                       ("strides", strides, 1, 4),
                                       ("dilation_rate", dilation_rate, 1, 3),
                                       ("seed", seed, 0, 99)):
            check_int(name, value, low, high)
        super().__init__()
        self._user_x = self._user_input(x)
        self._edits = {}          # flat dy index → value typed by the learner
        self._edit_shape = None   # the dy shape the edits belong to
        lab = self._control
        self.rank = lab(W.ToggleButtons, "rank", "1-D signals (Conv1D) or 2-D images (Conv2D)",
                        options=[("2D", 2), ("1D", 1)], value=rank)
        self.size = self._slider("input size", "side of the input x", 1, 16, size)
        self.kernel_size = self._slider("kernel", "kernel side k", 1, 5, kernel_size)
        self.strides = self._slider("stride", "how far the forward window jumps", 1, 4, strides)
        self.dilation = self._slider("dilation", "holes between the kernel taps", 1, 3,
                                     dilation_rate)
        self.padding = lab(W.Dropdown, "padding", "the forward layer's padding",
                           options=("valid", "same", "causal"), value=padding)
        self.view_mode = lab(W.ToggleButtons, "view",
                             "scatter and flipped kernel both give dx; the weight gradient is "
                             "the correlation of x with dy", options=list(VIEWS), value=view)
        self.dy_source = lab(W.Dropdown, "dy", "the output gradient the loss sends back",
                             options=DY_SOURCES, value=output_gradient)
        self.seed = self._slider("seed", "default_rng(seed) for x, the kernel and dy", 0, 99,
                                 seed)
        self.dy_cell = self._slider("dy cell", "which output-gradient cell to edit (row-major); "
                                    "the one-hot cell", 0, 0, 0)
        self.dy_value = lab(W.BoundedIntText, "dy value", "type a new gradient for that cell",
                            min=-9, max=9, value=0)
        self.cell = self._cell_control(cell)
        self._watch(self.rank, self.size, self.kernel_size, self.strides, self.dilation,
                    self.padding, self.seed)
        self.dy_source.observe(self._on_dy_source, "value")
        self.view_mode.observe(self._on_view, "value")
        self.dy_cell.observe(self._on_dy_cell, "value")
        self.dy_value.observe(self._on_dy_edit, "value")
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.rank, self.size, self.kernel_size, self.strides),
            m(dropdown_row, self.dilation, self.padding, self.seed, self.cell),
            m(dropdown_row, self.view_mode),
            m(dropdown_row, self.dy_source, self.dy_cell, self.dy_value)])
        t = self.toolbar
        self.quiz = Quiz(self, self._question, self._exercise,
                         ("input gradient", "weight gradient"),
                         [self.view, t.caption, t.formula, t.code], enabled=quiz, seed=seed)
        self._finish([controls, self.quiz, t, t.banner, self.view, self.badges, t.caption,
                      t.formula, t.sentences, t.code])

    # ---- parameters ----
    def _before_compute(self):
        one_d = self.rank.value == 1
        options = ("valid", "same", "causal") if one_d else ("valid", "same")
        if tuple(self.padding.options) != options:
            keep = self.padding.value if self.padding.value in options else "valid"
            self.padding.options = options
            self.padding.value = keep
        self.size.max = 16 if one_d else 12

    def _config(self) -> BackpropConfig:
        return BackpropConfig(rank=self.rank.value, kernel_size=self.kernel_size.value,
                              strides=self.strides.value, dilation_rate=self.dilation.value,
                              padding=self.padding.value)

    def _input(self):
        if self._user_x is not None:
            return self._user_x
        return samples.random_ints((self.size.value,) * self.rank.value, self.seed.value)

    def _dy(self, x, config):
        """The output gradient: the seeded source, then the learner's edits."""
        out = tuple(shapes.conv_output_length(n, k, s, d, config.padding) for n, k, s, d in
                    zip(x.shape[:config.rank], config.kernel_size, config.strides,
                        config.dilation_rate, strict=False))
        if min(out) <= 0:
            return None  # the computation raises the plain "no output" banner
        shape = out + (1,)
        if shape != self._edit_shape:
            self._edits, self._edit_shape = {}, shape
        source = self.dy_source.value
        if source == "ones":
            dy = np.ones(shape, np.float32)
        elif source == "one-hot":
            dy = np.zeros(shape, np.float32)
            dy.flat[min(self.dy_cell.value, dy.size - 1)] = 1.0
        else:
            dy = output_gradient_sample(shape, self.seed.value + 1)
        for index, value in self._edits.items():
            dy.flat[index] = value
        return dy

    def _compute(self):
        config = self._config()
        x = self._input()
        dy = self._dy(np.asarray(x), config)
        computation = BackpropComputation(config, x, output_gradient=dy, seed=self.seed.value,
                                          view=self.view_mode.value)
        top = computation.output_gradient.size - 1
        self.dy_cell.max = top
        self.dy_value.value = int(computation.output_gradient.flat[min(self.dy_cell.value,
                                                                       top)])
        return computation

    def _on_view(self, change):
        def work():
            if self.computation is not None:
                self.computation.with_view(self.view_mode.value)
                self.toolbar.set_range(self.computation.n_steps)
            self._render()
        self._user_action(work)

    def _on_dy_source(self, change):
        self._edits = {}
        self._on_param(change)

    def _on_dy_cell(self, change):
        if self._busy:
            return
        if self.dy_source.value == "one-hot":
            self._on_param(change)  # the 1 moves to the selected cell
            return
        if self.computation is not None:
            self._busy = True  # showing the cell's value is not an edit
            try:
                self.dy_value.value = int(self.computation.output_gradient.flat[change["new"]])
            finally:
                self._busy = False

    def _on_dy_edit(self, change):
        if self._busy or self.computation is None:
            return
        self._edits[int(self.dy_cell.value)] = float(change["new"])
        self._on_param(change)

    # ---- rendering ----
    def _formula_lines(self, scene):
        c = self.computation
        return [f"x {'×'.join(map(str, c.in_spatial))} → output (and dy) "
                f"{'×'.join(map(str, c.out_spatial))}; padding {c.pads} (before, after) per "
                f"axis; the flipped kernel sees dy with stride − 1 = "
                f"{axis_text([s - 1 for s in c.config.strides])} zero(s) between cells"]

    # ---- quiz ----
    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        step = self.toolbar.step.value
        config = c.config
        setting = (f"kernel {_grid_text(c.kernel[..., 0, 0])}, stride "
                   f"{axis_text(config.strides)}, dilation {axis_text(config.dilation_rate)}, "
                   f"padding '{config.padding}' ({axis_text([b for b, _ in c.pads])} zero(s) "
                   "before)")
        if kind == "input gradient":
            cell = (c.scene(step).position if c.view == "flipped kernel" else
                    tuple(int(i) for i in np.unravel_index(step % int(np.prod(c.in_spatial)),
                                                           c.in_spatial)))
            return Question(
                prompt=(f"dy = {_grid_text(c.output_gradient[..., 0])}, {setting}: what is "
                        f"dx{axis_text(cell)}? (add dy × weight over every window that read "
                        "that input cell)"),
                answer=float(c.input_gradient[cell + (0,)]), kind="value",
                why=c.input_gradient_formula(cell))
        tap = (c.scene(step).position if c.view == "weight gradient" else
               tuple(int(i) for i in np.unravel_index(step % int(np.prod(config.kernel_size)),
                                                      config.kernel_size)))
        return Question(
            prompt=(f"x (padded) = {_grid_text(c.padded[..., 0])}, dy = "
                    f"{_grid_text(c.output_gradient[..., 0])}, stride "
                    f"{axis_text(config.strides)}, dilation {axis_text(config.dilation_rate)}: "
                    f"what is dW{axis_text(tap)}? (Σ x · dy over the cells that weight "
                    "multiplied)"),
            answer=float(c.weight_gradient[tap + (0, 0)]), kind="value",
            why=c.weight_gradient_formula(tap))

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                self.size.value = int(rng.integers(3, 7))
                self.kernel_size.value = int(rng.integers(1, 4))
                self.strides.value = int(rng.integers(1, 3))
                self.dilation.value = 1
                self.padding.value = str(rng.choice(["valid", "same"]))
                self.seed.value = int(rng.integers(0, 100))
                self.dy_source.value = "random ints"
                self._edits = {}
        finally:
            self._busy = False
        self._on_param(None)
        self.toolbar.step.value = int(rng.integers(0, self.toolbar.step.max + 1))


__all__ = ["BackpropExplorer", "DY_SOURCES"]
