"""PoolingExplorer: max, average and global pooling, forward and backward, checked live.

Every number comes from a real ``convkit.layers`` pooling layer (forward and
``layer.backward(x, dy)``); the pictures are rebuilt from the definitions and the badges
compare them with the layer (see :mod:`convkit.widgets.scene.pooling`).
"""

import ipywidgets as W

from .. import samples
from ..quiz import Question, Quiz, _grid_text
from ..scene.pooling import KINDS, PADDINGS, PoolingComputation, PoolingConfig
from ..scene.text import axis_text
from .arguments import check_choice, check_int
from .base import dropdown_row
from .pane_explorer import PaneExplorer

#: Inputs offered: seeded small integers (ties happen, as they should) or a sample photo.
SOURCES = ("random ints", "photo")


class PoolingExplorer(PaneExplorer):
    """Step through a pooling layer: each window, its maximum or average, and where the
    output gradient goes back.

    Parameters
    ----------
    rank : {1, 2}, default 2
        1-D signals (MaxPooling1D...) or 2-D images (MaxPooling2D...).
    x : array_like, optional
        Your own input (``spatial``, one channel); default seeded small integers.
    kind : {"max", "average", "global max", "global average"}, default "max"
        The pooling layer shown.
    size, pool_size, strides : int
        The input's side and the layer's window and step, as initial control values (the
        sliders keep them in their ranges).
    padding : {"valid", "same"}, default "valid"
        The layer's padding.
    source : {"random ints", "photo"}, default "random ints"
        The photo is Grace Hopper (2-D) or an EEG trace (1-D), rounded to two decimals.
    seed : int, default 0
        Seed of the random input and output gradient.
    cell : int, default 30
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`).

    Raises
    ------
    ValueError
        For a ``kind``, ``padding`` or ``source`` not among the choices above, or a ``rank``
        other than 1 or 2.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> ex = PoolingExplorer(kind="max", size=6, pool_size=2, strides=2)
    >>> ex.computation.out_spatial  # a 6x6 input in 2x2 windows
    (3, 3)
    >>> [b.ok for b in ex.computation.badges]  # both pictures agree with the layer
    [True, True]
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, rank: int = 2, x=None, *, kind: str = "max", size: int = 6,
                 pool_size: int = 2, strides: int = 2, padding: str = "valid",
                 source: str = "random ints", seed: int = 0, cell: int = 30,
                 quiz: bool = False):
        check_choice("kind", kind, KINDS)
        check_choice("padding", padding, PADDINGS)
        check_choice("source", source, SOURCES)
        check_choice("rank", rank, (1, 2))
        for name, value, low, high in (("size", size, 1, 16), ("pool_size", pool_size, 1, 5),
                                       ("strides", strides, 1, 4), ("seed", seed, 0, 99)):
            check_int(name, value, low, high)
        super().__init__()
        self._user_x = self._user_input(x)
        lab = self._control
        self.rank = lab(W.ToggleButtons, "rank", "1-D signals or 2-D images",
                        options=[("2D", 2), ("1D", 1)], value=rank)
        self.kind = lab(W.Dropdown, "pooling", "max or average, over windows or the whole input",
                        options=KINDS, value=kind)
        self.source = lab(W.Dropdown, "input", "seeded small integers or a sample photo",
                          options=SOURCES, value=source)
        self.size = self._slider("input size", "side of the input x", 1, 16, size)
        self.pool = self._slider("pool", "pool_size: the window side", 1, 5, pool_size)
        self.strides = self._slider("stride", "how far the window jumps", 1, 4, strides)
        self.padding = lab(W.Dropdown, "padding", "valid: windows inside the input; same: "
                           "⌈n/s⌉ outputs, padding not used", options=PADDINGS, value=padding)
        self.seed = self._slider("seed", "default_rng(seed) for x and dy", 0, 99, seed)
        self.cell = self._cell_control(cell)
        self._watch(self.rank, self.kind, self.source, self.size, self.pool, self.strides,
                    self.padding, self.seed)
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.rank, self.kind, self.source, self.size),
            m(dropdown_row, self.pool, self.strides, self.padding, self.seed, self.cell)])
        t = self.toolbar
        self.quiz = Quiz(self, self._question, self._exercise, ("output value", "output shape"),
                         [self.view, t.caption, t.formula, t.sentences], enabled=quiz,
                         seed=seed)
        self._finish([controls, self.quiz, t, t.banner, self.view, self.badges, t.caption,
                      t.formula, t.sentences, t.code])

    # ---- parameters ----
    def _before_compute(self):
        windowed = not self.kind.value.startswith("global")
        for c in (self.pool, self.strides, self.padding):
            c.layout.display = None if windowed else "none"
        self.seed.layout.display = None if self.source.value == "random ints" else "none"
        self.size.max = 16 if self.rank.value == 1 else 12
        self.size.layout.display = None if self._user_x is None else "none"

    def _config(self) -> PoolingConfig:
        return PoolingConfig(rank=self.rank.value, kind=self.kind.value,
                             kernel_size=self.pool.value, strides=self.strides.value,
                             padding=self.padding.value)

    def _input(self):
        if self._user_x is not None:
            return self._user_x
        shape = (self.size.value,) * self.rank.value
        if self.source.value == "photo":
            return samples.make_input("Grace Hopper" if self.rank.value == 2 else "EEG", shape)
        return samples.random_ints(shape, self.seed.value)

    def _compute(self):
        return PoolingComputation(self._config(), self._input(), seed=self.seed.value)

    def _formula_lines(self, scene):
        return ["output size: " + "; ".join(self.computation.shape_formula())]

    # ---- quiz ----
    def _setting_text(self) -> str:
        c = self.computation.config
        if c.is_global:
            return f"{c.kind} pooling"
        return (f"{c.kind} pooling, pool {'×'.join(map(str, c.kernel_size))}, stride "
                f"{'×'.join(map(str, c.strides))}, padding '{c.padding}'")

    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        n = "×".join(map(str, c.in_spatial))
        if kind == "output shape":
            return Question(
                prompt=(f"INPUT {n}, {self._setting_text()}: what is the OUTPUT's spatial "
                        "shape (global pooling: one cell per axis)?"),
                answer=tuple(c.out_spatial), kind="shape",
                why="; ".join(c.shape_formula()))
        scene = self._scene(self.toolbar.step.value)
        padded = c._padded(c.x[..., 0], fill=float("nan"))
        cells = [tuple(p) for p in c.padded_window(scene.position)]
        window = [padded[p] for p in cells]
        shown = " ".join("pad" if v != v else f"{v:g}" for v in window)
        return Question(
            prompt=(f"INPUT {n} = {_grid_text(c.x[..., 0])}, {self._setting_text()}: the "
                    f"window of OUTPUT {axis_text(scene.position)} reads [{shown}] (pad = "
                    "padding). What number comes out?"),
            answer=scene.value, kind="value", why=scene.formula)

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                self.rank.value = 2
                self.source.value = "random ints"
                self.kind.value = str(rng.choice(["max", "average", "max", "average",
                                                  "global max", "global average"]))
                self.size.value = int(rng.integers(4, 8))
                self.pool.value = int(rng.integers(2, 4))
                self.strides.value = int(rng.integers(1, 4))
                self.padding.value = str(rng.choice(PADDINGS))
                self.seed.value = int(rng.integers(0, 100))
        finally:
            self._busy = False
        self._on_param(None)
        self.toolbar.step.value = int(rng.integers(0, self.toolbar.step.max + 1))


__all__ = ["PoolingExplorer", "SOURCES"]
