"""TransposedConvExplorer: scatter and zero-insertion views, proven equal, and output_padding.

The picture panes are computed from their definitions; the displayed output and the badge come
from ``convkit.ops.conv_transpose`` (see :mod:`convkit.widgets.scene.transposed`).
"""

import html

import ipywidgets as W

from .. import samples
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
                 output_padding=None, cell: int = 30):
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
        self._finish([controls, t, t.banner, self.view, self.strip, t.caption, t.formula,
                      t.code])

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
        self._add_formula_lines(f"output size: {html.escape(line)}"
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


__all__ = ["TransposedConvExplorer"]
