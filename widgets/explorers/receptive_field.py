"""ReceptiveFieldExplorer: which input cells one output cell of a conv/pooling stack reads.

The stack is a ``convkit.models.Sequential`` (yours, a preset, or one edited here); the
geometry is read from its layers' attributes and a live badge checks the traced cells against
convkit's forward pass with every input cell perturbed (see
:mod:`convkit.widgets.scene.receptive_field`).
"""

import ipywidgets as W
import numpy as np

from convkit import layers

from ..quiz import Question, Quiz
from ..scene.common import SceneError
from ..scene.receptive_field import ReceptiveFieldComputation, has_layer
from .base import dropdown_row
from .pane_explorer import PaneExplorer


def _conv(k, s=1, d=1, padding="valid"):
    return {"kind": "conv", "k": k, "s": s, "d": d, "padding": padding}


def _pool(kind, k, s=None, padding="valid"):
    return {"kind": kind, "k": k, "s": s or k, "d": 1, "padding": padding}


#: name → (rank, input size, layer specs). The pooling preset appears when convkit has pooling.
PRESETS = {
    "three 3×3 convs": (2, 9, [_conv(3), _conv(3), _conv(3)]),
    "one 7×7 conv": (2, 9, [_conv(7)]),
    "WaveNet: dilations 1, 2, 4, 8 (1-D, k=2, causal)":
        (1, 16, [_conv(2, d=d, padding="causal") for d in (1, 2, 4, 8)]),
    "strided stack (3×3 s2, 3×3 s2, 3×3)": (2, 15, [_conv(3, s=2), _conv(3, s=2), _conv(3)]),
    "one dilated 3×3 (d=2): holes": (2, 7, [_conv(3, d=2)]),
}
if has_layer("MaxPooling2D"):
    PRESETS["conv 3×3, 2×2 max pool, conv 3×3"] = (
        2, 12, [_conv(3), _pool("max pool", 2), _conv(3)])

#: Largest input (in cells) whose receptive fields the badge re-checks by brute force live.
LIVE_CHECK_CELLS = 256

_POOLS = {"max pool": "MaxPooling{}D", "average pool": "AveragePooling{}D"}


def layer_kinds(rank: int) -> list:
    """conv, plus the pooling kinds ``convkit.layers`` has at run time."""
    return ["conv"] + [kind for kind, name in _POOLS.items() if has_layer(name.format(rank))]


def build_stack(rank: int, specs, input_size: int):
    """A ``Sequential`` of the spec'd layers for a one-channel input (the constructors' own
    errors become the banner)."""
    from convkit import models

    out = []
    try:
        for number, spec in enumerate(specs, 1):
            # short names ("conv2", "pool3") read better in formulas than global counters
            if spec["kind"] == "conv":
                cls = layers.Conv1D if rank == 1 else layers.Conv2D
                out.append(cls(1, spec["k"], strides=spec["s"], dilation_rate=spec["d"],
                               padding=spec["padding"], name=f"conv{number}"))
            else:
                cls = getattr(layers, _POOLS[spec["kind"]].format(rank))
                out.append(cls(pool_size=spec["k"], strides=spec["s"],
                               padding=spec["padding"], name=f"pool{number}"))
    except ValueError as exc:
        raise SceneError(str(exc), "convkit's layer refuses this setting; the message names "
                         "the argument (a conv takes a stride or a dilation above 1, never "
                         "both).") from exc
    return models.Sequential(out)


class ReceptiveFieldExplorer(PaneExplorer):
    """Trace one output cell of a stack back to the input, layer by layer.

    Parameters
    ----------
    model : convkit.models.Sequential, optional
        Your stack of conv/pooling layers (channels_last); otherwise a preset.
    input_size : int, optional
        Input side (default: the preset's; for your model the size it declares, else 16).
    rank : {1, 2}
        Rank of ``model``'s layers (default 2; a model that declares its input says it).
    preset : str, default "three 3×3 convs"
        One of :data:`PRESETS`.
    cell : int, default 22
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`).
    seed : int, default 0
        Seed of the quiz's exercises.

    Raises
    ------
    TypeError
        For a ``model`` without ``.layers`` (not a model), or an unknown keyword argument.
    ValueError
        For a ``preset`` not in :data:`PRESETS`.

    Examples
    --------
    >>> ex = ReceptiveFieldExplorer(preset="three 3×3 convs")
    >>> ex.computation.size  # one output cell sees a 7x7 patch of the input
    (7, 7)
    >>> ex.close()  # releases every widget it made

    Your own model, here a conv, a pooling and a conv again:

    >>> from convkit import layers, models
    >>> model = models.Sequential([layers.Conv2D(1, 3, input_shape=(12, 12, 1)),
    ...                            layers.MaxPooling2D(), layers.Conv2D(1, 3)])
    >>> ex = ReceptiveFieldExplorer(model)
    >>> ex.computation.size
    (8, 8)
    >>> ex.close()
    """

    def __init__(self, model=None, *, input_size: int | None = None, rank: int = 2,
                 preset: str = "three 3×3 convs", cell: int = 22, quiz: bool = False,
                 seed: int = 0):
        super().__init__()
        if model is not None and not hasattr(model, "layers"):
            raise TypeError("`model` must be a convkit.models.Sequential (or any model with "
                            f"`.layers`). Received: {type(model).__name__}")
        if preset not in PRESETS:
            raise ValueError(f"`preset` must be one of {sorted(PRESETS)}. Received: {preset!r}")
        self._model = model
        options = (["(your model)"] if model is not None else []) + list(PRESETS) + ["(custom)"]
        start_rank, start_size, specs = PRESETS[preset]
        if model is not None:
            # a model that declares its input (input_shape=) starts at that size and rank
            declared = getattr(model, "input_shape", None)
            if declared is not None and len(declared) in (3, 4):
                rank, input_size = len(declared) - 2, input_size or declared[1]
            start_rank, start_size = rank, input_size or 16
        self._specs = [dict(s) for s in specs]
        lab = self._control
        self.preset = lab(W.Dropdown, "stack", "a preset, your model, or your own edits",
                          options=options, value=options[0] if model is not None else preset)
        self.rank = lab(W.ToggleButtons, "rank", "1-D (Conv1D) or 2-D (Conv2D) stack",
                        options=[("2D", 2), ("1D", 1)], value=start_rank)
        self.size = self._slider("input size", "side of the input", 1, 24,
                                 input_size or start_size)
        self.depth = self._slider("layers", "how many layers the custom stack has", 1, 5,
                                  len(self._specs))
        self.layer_index = self._slider("edit layer", "which layer the controls below edit", 1,
                                        len(self._specs), 1)
        self.kind = lab(W.Dropdown, "kind", "conv, or pooling when convkit has it",
                        options=layer_kinds(start_rank), value="conv")
        self.kernel = self._slider("k", "window size (kernel_size or pool_size)", 1, 7, 3)
        self.stride = self._slider("s", "stride: multiplies the jump j", 1, 4, 1)
        self.dilation = self._slider("d", "dilation: holes between taps", 1, 8, 1)
        self.padding = lab(W.Dropdown, "padding", "valid, same, or causal (1-D conv)",
                           options=("valid", "same", "causal"), value="valid")
        self.out_row = self._slider("output row", "the OUTPUT cell to trace (row)", 0, 0, 0)
        self.out_col = self._slider("output col", "the OUTPUT cell to trace (column)", 0, 0, 0)
        self.cell = self._cell_control(cell)
        self._watch(self.rank, self.size, self.depth)
        for c in (self.kind, self.kernel, self.stride, self.dilation, self.padding):
            c.observe(self._on_layer_edit, "value")
        self.layer_index.observe(self._on_layer_select, "value")
        self.preset.observe(self._on_preset, "value")
        for c in (self.out_row, self.out_col):
            c.observe(self._on_step, "value")
        m = self.make
        self._editor = m(dropdown_row, self.depth, self.layer_index, self.kind, self.kernel,
                         self.stride, self.dilation, self.padding)
        controls = m(W.VBox, [
            m(dropdown_row, self.preset, self.rank, self.size),
            self._editor,
            m(dropdown_row, self.out_row, self.out_col, self.cell)])
        t = self.toolbar
        t.step.description = "layers back"
        self.quiz = Quiz(self, self._question, self._exercise,
                         ("receptive field", "output shape"),
                         [self.view, t.caption, t.formula, t.sentences], enabled=quiz,
                         seed=seed)
        self._show_layer_controls()
        self._finish([controls, self.quiz, t, t.banner, self.view, self.badges, t.caption,
                      t.formula, t.sentences, t.code])
        # start with the whole trace shown: step = the number of layers
        self._show_whole_trace()

    def _show_whole_trace(self):
        """Step to the last layer traced back. Play is jslinked to the step slider and the
        browser copies Play's value onto the step when it draws them, so both move."""
        top = self.toolbar.step.max
        self.toolbar.play.value = top
        self.toolbar.step.value = top

    # ---- the stack ----
    def _on_preset(self, change):
        name = change["new"]
        if name not in PRESETS:
            self._on_param(change)
            return
        rank, size, specs = PRESETS[name]
        self._specs = [dict(s) for s in specs]
        self._busy = True
        try:
            with self.hold_sync():
                self.rank.value = rank
                self.size.value = size
                self.depth.value = len(specs)
                self.layer_index.max = len(specs)
                self.layer_index.value = 1
                self._show_layer_controls()
        finally:
            self._busy = False
        self._on_param(change)
        self._show_whole_trace()

    def _show_layer_controls(self):
        """Show the edited layer's settings in the editor (not an edit)."""
        spec = self._specs[min(self.layer_index.value, len(self._specs)) - 1]
        was = self._busy
        self._busy = True
        try:
            self.kind.options = layer_kinds(self.rank.value)
            self.kind.value = spec["kind"] if spec["kind"] in self.kind.options else "conv"
            self.kernel.value = spec["k"]
            self.stride.value = spec["s"]
            self.dilation.value = spec["d"]
            self.padding.value = spec["padding"]
        finally:
            self._busy = was

    def _on_layer_select(self, change):
        if not self._busy:
            self._show_layer_controls()

    def _on_layer_edit(self, change):
        if self._busy:
            return
        spec = self._specs[self.layer_index.value - 1]
        spec.update(kind=self.kind.value, k=self.kernel.value, s=self.stride.value,
                    d=self.dilation.value if self.kind.value == "conv" else 1,
                    padding=self.padding.value)
        self._to_custom()
        self._on_param(change)

    def _to_custom(self):
        if self.preset.value != "(custom)":
            self._busy = True
            try:
                self.preset.value = "(custom)"
            finally:
                self._busy = False

    def _before_compute(self):
        if self.depth.value != len(self._specs) and self.preset.value != "(your model)":
            while len(self._specs) < self.depth.value:
                self._specs.append(_conv(3))
            del self._specs[self.depth.value:]
            self._to_custom()
        self.layer_index.max = len(self._specs)
        self.size.max = 64 if self.rank.value == 1 else 24
        self._editor.layout.display = "none" if self.preset.value == "(your model)" else None
        self.out_row.layout.display = "none" if self.rank.value == 1 else None

    def _stack(self):
        if self.preset.value == "(your model)":
            return self._model
        return build_stack(self.rank.value, self._specs, self.size.value)

    def _compute(self):
        rank = self.rank.value
        shape = (self.size.value,) * rank
        # the live brute force runs one forward pass per input cell: past LIVE_CHECK_CELLS
        # it would cost a frame more than 50 ms on two cores (the tests check larger stacks)
        computation = ReceptiveFieldComputation(
            self._stack(), shape, check=int(np.prod(shape)) <= LIVE_CHECK_CELLS)
        self.out_col.max = computation.out_spatial[-1] - 1
        self.out_row.max = computation.out_spatial[0] - 1 if rank == 2 else 0
        self.toolbar.set_range(computation.n_steps)
        return computation

    def _selected_cell(self):
        return (self.out_col.value,) if self.rank.value == 1 else (self.out_row.value,
                                                                   self.out_col.value)

    def _scene(self, step: int):
        return self.computation.scene(step, self._selected_cell())

    def _formula_lines(self, scene):
        sizes = " → ".join("×".join(str(t.sizes[i]) for t in self.computation.traces)
                           for i in range(self.computation.n_steps))
        return [*scene.lines, f"map sizes: {sizes}"]

    # ---- quiz ----
    def _stack_text(self) -> str:
        c = self.computation
        return "; ".join(f"{g.name}: {g.describe()}" for g in c.geometries)

    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        if kind == "receptive field":
            return Question(
                prompt=(f"Stack {self._stack_text()}: how many input cells wide is the "
                        "receptive field r of one OUTPUT cell (per axis)?"),
                answer=c.size, kind="shape", why=" | ".join(c.lines()))
        sizes = " → ".join("×".join(str(t.sizes[i]) for t in c.traces)
                           for i in range(c.n_steps))
        return Question(
            prompt=(f"INPUT {'×'.join(map(str, c.in_spatial))} through {self._stack_text()}: "
                    "what is the OUTPUT's shape?"),
            answer=c.out_spatial, kind="shape",
            why=f"map sizes {sizes} (valid: ⌊(n − k̂)/s⌋ + 1; same: ⌈n/s⌉; causal: n)")

    def _exercise(self, rng):
        for _ in range(20):  # draw until the stack fits the input (a few tries at most)
            specs = []
            for _ in range(int(rng.integers(2, 4))):
                dilated = rng.random() < 0.3
                specs.append(_conv(int(rng.integers(1, 4)),
                                   s=1 if dilated else int(rng.integers(1, 3)),
                                   d=int(rng.integers(2, 4)) if dilated else 1,
                                   padding=str(rng.choice(["valid", "same"]))))
            size = int(rng.integers(9, 17))
            try:
                ReceptiveFieldComputation(build_stack(2, specs, size), (size, size),
                                          check=False)
            except SceneError:
                continue
            break
        self._specs = specs
        self._busy = True
        try:
            with self.hold_sync():
                if self.preset.value == "(your model)" or self.preset.value in PRESETS:
                    self.preset.value = "(custom)"
                self.rank.value = 2
                self.size.value = size
                self.depth.value = len(specs)
                self.layer_index.max = len(specs)
                self.layer_index.value = 1
                self._show_layer_controls()
        finally:
            self._busy = False
        self._on_param(None)
        self._show_whole_trace()


__all__ = ["ReceptiveFieldExplorer", "PRESETS", "LIVE_CHECK_CELLS", "build_stack",
           "layer_kinds"]
