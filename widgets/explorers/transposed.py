"""TransposedConvExplorer: scatter and zero-insertion views, proven equal, and output_padding.

The picture panes are computed from their definitions; the displayed output and the badge come
from ``convkit.ops.conv_transpose`` (see :mod:`convkit.widgets.scene.transposed`).
"""

import html
import itertools

import ipywidgets as W
import numpy as np

from .. import samples
from ..quiz import Question, Quiz, _grid_text, as_shown, products_text, rounding_slack
from ..scene.text import axis_text, fmt
from ..scene.transposed import TransposedComputation, TransposedConfig
from .base import Explorer, dropdown_row


class TransposedConvExplorer(Explorer):
    """Conv2DTranspose (and Conv1DTranspose) explained three ways.

    Parameters
    ----------
    rank : {1, 2}
    x : array_like, optional
        Your own small input; default a ramp 1, 2, 3, …
    size, kernel_size, strides, dilation_rate : int
    padding : {"valid", "same"}
    output_padding : int or None
    cell : int, default 30
        Cell size in pixels (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`): predict the output
        shape (with ``output_padding``) or one output value, the sum of the stamps landing
        there.

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> ex = TransposedConvExplorer(size=2, strides=2)
    >>> ex.computation.identical
    True
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, rank: int = 2, x=None, *, size: int = 2, kernel_size: int = 3,
                 strides: int = 2, dilation_rate: int = 1, padding: str = "valid",
                 output_padding=None, cell: int = 30, quiz: bool = False):
        super().__init__()
        self._user_x = self._user_input(x)
        lab = self._control
        self.rank = lab(W.ToggleButtons, "rank", "Conv1DTranspose or Conv2DTranspose",
                        options=[("2D", 2), ("1D", 1)], value=rank)
        self.size = self._slider("input size", "the small map being upsampled", 1, 6, size)
        self.kernel_size = self._slider("kernel", "kernel side k", 1, 5, kernel_size)
        self.strides = self._slider("stride", "spacing of the stamps", 1, 4, strides)
        self.dilation = self._slider("dilation", "holes inside each stamp", 1, 3, dilation_rate)
        self.padding = lab(W.Dropdown, "padding", "valid keeps the full scatter; same crops",
                           options=("valid", "same"), value=padding)
        self.output_padding = lab(
            W.Dropdown, "output_padding", "which of the s possible sizes to produce",
            options=[("None", -1), *[(str(i), i) for i in range(4)]],
            value=-1 if output_padding is None else output_padding)
        self.cell = self._cell_control(cell)
        self.strip = self.make(W.HTML, value="")
        self._watch(self.rank, self.size, self.kernel_size, self.strides, self.dilation,
                    self.padding, self.output_padding)
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.rank, self.size, self.kernel_size, self.strides),
            m(dropdown_row, self.dilation, self.padding, self.output_padding, self.cell)])
        t = self.toolbar
        self.quiz = Quiz(self, self._question, self._exercise, ("output value", "output shape"),
                         [self.view, self.strip, t.caption, t.formula], enabled=quiz)
        self._finish([controls, self.quiz, t, t.banner, self.view, self.strip, t.caption,
                      t.formula, t.code])

    def _compute(self):
        rank = self.rank.value
        shape = (self.size.value,) * rank
        x = self._user_x if self._user_x is not None else samples.ramp(shape)
        op = None if self.output_padding.value < 0 else self.output_padding.value
        config = TransposedConfig(rank=rank, kernel_size=self.kernel_size.value,
                               strides=self.strides.value, dilation_rate=self.dilation.value,
                               padding=self.padding.value, output_padding=op)
        return TransposedComputation(config, x)

    def _show(self, scene):
        super()._show(scene)
        # one line per axis, each naming its axis ("output rows (axis 0): …")
        self._add_formula_lines(f"output {html.escape(line)}"
                                for line in self.computation.size_formula())
        rows = []
        for row in scene.ambiguity:
            cands = ", ".join(f"<b>[{m}]</b>" if m == row["chosen"] else str(m)
                              for m in row["candidates"])
            by_op = ", ".join(f"{a} → {v}" for a, v in row["by_output_padding"].items())
            warn = ("" if row["maps_back"] else
                    f" <b style='color:#D55E00'>⚠ {row['chosen']} does not map back to "
                    f"{row['n']}</b>")
            rows.append(f"<li>axis {row['axis']}: a forward conv with these settings maps input "
                        f"sizes {cands} to {row['n']}; output_padding "
                        f"{row['output_padding']} gives {row['chosen']} (choices: {by_op})"
                        f"{warn}</li>")
        mv = scene.matrix
        matrix = (f"<p><b>Matrix view:</b> {html.escape(mv.note)}</p>" if mv is not None else
                  "<p><b>Matrix view:</b> drawn for tiny sizes only (a transposed output ≤ 4×4 "
                  "from an input ≤ 3×3): make the input, kernel or stride smaller to see the "
                  "forward conv as a matrix C and the transposed conv as Cᵀ.</p>")
        self.strip.value = ("<div><b>output_padding ambiguity:</b> a stride-s conv maps up to s "
                            "input sizes to the same n, so the transposed conv must pick one."
                            f"<ul>{''.join(rows)}</ul>{matrix}</div>")

    # ---- quiz ----
    def _setting_text(self) -> str:
        c = self.computation.config
        op = "None" if c.output_padding is None else "×".join(map(str, c.output_padding))
        return (f"kernel {'×'.join(map(str, c.kernel_size))}, stride "
                f"{'×'.join(map(str, c.strides))}, dilation {'×'.join(map(str, c.dilation_rate))}"
                f", padding '{c.padding}', output_padding {op}")

    def _landing(self, cell) -> list:
        """``[(input index, kernel tap), ...]`` whose stamp lands on OUTPUT ``cell``: input i's
        tap t lands on full-buffer cell i·s + t·d, which is OUTPUT cell i·s + t·d − c0."""
        c = self.computation
        config = c.config
        found = []
        for i in itertools.product(*(range(m) for m in c.in_spatial)):
            taps = []
            for j, ii, k, s, d, c0 in zip(cell, i, config.kernel_size, config.strides,
                                          config.dilation_rate, c.crop, strict=True):
                offset = j + c0 - ii * s
                if offset < 0 or offset % d or offset // d >= k:
                    break
                taps.append(offset // d)
            else:
                found.append((i, tuple(taps)))
        return found

    def _quiz_cell(self, position) -> tuple:
        """The OUTPUT cell asked about: of the cells this step's stamp lands on, the one where
        most stamps overlap (the most instructive sum); the first such cell on ties."""
        c = self.computation
        config = c.config
        stamp = [tuple(i * s + t * d - c0 for i, t, s, d, c0 in
                       zip(position, taps, config.strides, config.dilation_rate, c.crop,
                           strict=True))
                 for taps in itertools.product(*(range(k) for k in config.kernel_size))]
        cells = [j for j in stamp if all(0 <= a < n for a, n in zip(j, c.out_spatial,
                                                                     strict=True))]
        if not cells:  # the whole stamp was cropped away: ask about any output cell
            cells = list(itertools.product(*(range(n) for n in c.out_spatial)))
        return max(cells, key=lambda j: len(self._landing(j)))

    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        n = "×".join(map(str, c.in_spatial))
        if kind == "output shape":
            return Question(
                prompt=(f"INPUT {n}, {self._setting_text()}: what is the transposed conv's "
                        "OUTPUT shape?"),
                answer=tuple(c.out_spatial), kind="shape", why="; ".join(c.size_formula()))
        if c.x.shape[-1] != 1 or c.kernel.shape[-2] != 1:
            raise ValueError("the value question is asked for one input and one output "
                             "channel")
        cell = self._quiz_cell(self._scene(self.toolbar.step.value).position)
        x, kernel = c.x[..., 0], c.kernel[..., 0, 0]
        answer = float(c.output[cell + (0,)])  # ops.conv_transpose
        landing = self._landing(cell)
        xs = [x[i] for i, _ in landing]
        ws = [kernel[t] for _, t in landing]
        crop = (f", then the first {axis_text(c.crop)} rows/cols of the stamped buffer are "
                "cropped" if any(c.crop) else "")
        where = axis_text(cell)
        if landing:
            names = " + ".join(f"x{axis_text(i)}·K{axis_text(t)}" for i, t in landing)
            why = (f"OUTPUT {where} = {names} = {products_text(xs, ws)} = {fmt(answer)} "
                   f"(input i's tap t lands on i·stride + t·dilation − crop)")
            from_shown = float(np.sum(as_shown(xs) * as_shown(ws)))
        else:
            why = f"no stamp lands on OUTPUT {where}: it stays 0 (output_padding's extra cell)"
            from_shown = 0.0
        return Question(
            prompt=(f"INPUT x = {_grid_text(x)}, KERNEL K = {_grid_text(kernel)}, "
                    f"{self._setting_text()}. Each INPUT x[i] stamps x[i]·K into the OUTPUT at "
                    f"offset i·stride (taps spaced by the dilation), overlaps add up{crop}. "
                    f"What is OUTPUT {where}?"),
            answer=answer, kind="value", why=why, slack=rounding_slack(answer, from_shown))

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                self.rank.value = 2 if rng.random() < 0.75 else 1
                self.size.value = int(rng.integers(2, 4))
                self.kernel_size.value = int(rng.integers(1, 4))
                dilated = rng.random() < 0.2  # Keras: a stride or a dilation above 1, not both
                stride = 1 if dilated else int(rng.integers(1, 4))
                self.strides.value = stride
                self.dilation.value = 2 if dilated else 1
                self.padding.value = str(rng.choice(["valid", "same"]))
                self.output_padding.value = (-1 if rng.random() < 0.5 else
                                             int(rng.integers(0, stride)))
        finally:
            self._busy = False
        self._on_param(None)
        self.toolbar.step.value = int(rng.integers(0, self.toolbar.step.max + 1))


__all__ = ["TransposedConvExplorer"]
