"""ResampleExplorer: Cropping, ZeroPadding and UpSampling in 1-D/2-D/3-D, tap by tap."""

import ipywidgets as W
import numpy as np

from .. import samples
from ..scene.resample import INTERPOLATIONS, ResampleComputation, ResampleConfig
from .base import Explorer, dropdown_row

_OPS = (("UpSampling", "upsample"), ("ZeroPadding", "pad"), ("Cropping", "crop"))


class ResampleExplorer(Explorer):
    """Before/after grids of a reshaping layer; each output cell lists its taps and weights.

    Parameters
    ----------
    operation : {"upsample", "pad", "crop"}
    rank : {1, 2, 3}
    x : array_like, optional
        Your own input; default a ramp.
    size : int
        Input side length.
    interpolation : str
        UpSampling2D mode: nearest, bilinear, bicubic, lanczos3, lanczos5.

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> ex = ResampleExplorer("upsample", rank=1, interpolation="nearest")
    >>> ex.close()  # releases every widget it made
    """

    def __init__(self, operation: str = "upsample", rank: int = 2, x=None, *, size: int = 4,
                 factor: int = 2, before: int = 1, after: int = 1,
                 interpolation: str = "bilinear", cell: int = 30):
        super().__init__()
        self._user_x = self._user_input(x)
        lab = self._control
        self.operation = lab(W.ToggleButtons, "layer", "which reshaping layer", options=_OPS,
                             value=operation)
        self.rank = lab(W.ToggleButtons, "rank", "1-D, 2-D or 3-D",
                        options=[("1D", 1), ("2D", 2), ("3D", 3)], value=rank)
        self.size = self._slider("input size", "side of the input", 1, 8, size)
        self.factor = self._slider("size (factor)", "UpSampling factor per axis", 1, 4, factor)
        self.interpolation = lab(W.Dropdown, "interpolation", "UpSampling2D only",
                                 options=INTERPOLATIONS, value=interpolation)
        self.before = self._slider(
            "before", "cells added/removed at the start (top/left/front)", 0, 4, before)
        self.after = self._slider(
            "after", "cells added/removed at the end (bottom/right/back)", 0, 4, after)
        self.source = lab(W.Dropdown, "input", "the numbers", options=("ramp", "impulse",
                                                                     "random ints"), value="ramp")
        self.cell = self._cell_control(cell)
        self.taps = self.make(W.HTML, value="")
        self._watch(self.operation, self.rank, self.size, self.factor, self.interpolation,
                    self.before, self.after, self.source)
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.operation, self.rank, self.source),
            m(dropdown_row, self.size, self.factor, self.interpolation, self.before,
              self.after, self.cell)])
        t = self.toolbar
        self._finish([controls, t, t.banner, self.view, t.caption, self.taps, t.formula, t.code])

    def _before_compute(self):
        up = self.operation.value == "upsample"
        self.factor.layout.display = None if up else "none"
        self.interpolation.layout.display = None if up and self.rank.value == 2 else "none"
        for c in (self.before, self.after):
            c.layout.display = "none" if up else None

    def _compute(self):
        rank = self.rank.value
        shape = (self.size.value,) * rank
        if self._user_x is not None:
            x = self._user_x
        elif self.source.value == "impulse":
            x = np.zeros(shape, np.float32)
            x[tuple(s // 2 for s in shape)] = 1
        elif self.source.value == "random ints":
            x = samples.random_ints(shape)
        else:
            x = samples.ramp(shape)
        interp = self.interpolation.value if rank == 2 else "nearest"
        config = ResampleConfig(self.operation.value, rank=rank,
                             amounts=((self.before.value, self.after.value),) * rank,
                             size=self.factor.value, interpolation=interp)
        return ResampleComputation(config, x)

    def _show(self, scene):
        super()._show(scene)
        self._add_formula_lines([f"shape: {self.computation.shape_text()}"])
        if not scene.taps:
            self.taps.value = "<p>Taps: none — a PADDING zero.</p>"
            return
        rows = "".join(f"<tr><td>x{idx}</td><td>{float(scene.x[idx + (0,)]):.4g}</td>"
                       f"<td>{w:.5g}</td></tr>" for idx, w in scene.taps)
        total = sum(w for _, w in scene.taps)
        note = ""
        if scene.config.interpolation in ("bicubic", "lanczos3", "lanczos5"):
            note = ("<p>Weights are renormalised over the taps inside the input (Keras), so "
                    "borders differ from PyTorch/OpenCV, which clamp or mirror.</p>")
        self.taps.value = (f"<table><caption>Taps of OUTPUT {scene.position}: Σ weights = "
                           f"{total:.4g}; Σ weight·input = {scene.reconstructed:.5g}; "
                           f"op value = {scene.value:.5g}</caption><tr><th>input</th>"
                           f"<th>value</th><th>weight</th></tr>{rows}</table>{note}")


__all__ = ["ResampleExplorer"]
