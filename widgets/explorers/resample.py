"""ResampleExplorer: Cropping, ZeroPadding and UpSampling in 1-D/2-D/3-D, tap by tap; in 2-D
also on a sample photo, with the five UpSampling2D modes side by side on a zoomed patch."""

import html

import ipywidgets as W
import numpy as np

from .. import samples
from ..quiz import Question, Quiz, _grid_text, as_shown, rounding_slack, weight_text
from ..render import to_rgb, to_svg
from ..render.resample_photo import photo_drawing
from ..scene.resample import INTERPOLATIONS, ResampleComputation, ResampleConfig
from ..scene.resample_photo import DEFAULT_PATCH, PhotoConfig, PhotoResampleComputation
from ..scene.text import axis_text, fmt
from .base import Explorer, dropdown_row

_OPS = (("UpSampling", "upsample"), ("ZeroPadding", "pad"), ("Cropping", "crop"))
#: Number sources (any rank) and photos (2-D only, offline: matplotlib's sample data).
NUMBER_SOURCES = ("ramp", "impulse", "random ints")
PHOTOS = ("Grace Hopper", "MRI slice")


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
    source : str
        ``ramp``, ``impulse``, ``random ints`` or, in 2-D, a photo (``Grace Hopper``,
        ``MRI slice``) of ``photo_size`` pixels: cropped, zero-padded or upsampled, with
        the five modes side by side on a zoomed patch and a magnifier under the selected cell.
    factor : int, default 2
        UpSampling factor per axis.
    before, after : int, default 1
        Cells cropped or zero-padded at the start and at the end of every axis.
    cell : int, default 30
        Cell size in pixels (larger for projectors).
    photo_size : int, default 32
        Side of the sample photo in pixels.
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`): predict the output
        shape, or one output value from the input cells it reads.

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
                 interpolation: str = "bilinear", cell: int = 30, source: str = "ramp",
                 photo_size: int = 32, quiz: bool = False):
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
        self.source = lab(W.Dropdown, "input", "numbers, or (2-D) a sample photo",
                          options=self._sources(rank), value=source)
        self.photo_size = lab(W.Dropdown, "photo px", "side of the photo in pixels",
                              options=(16, 24, 32, 48, 64), value=photo_size)
        self.patch_row, self.patch_col = (
            self._slider(f"patch {name}", f"first INPUT {name} of the zoomed patch", 0, 0, 0)
            for name in ("row", "col"))
        self.cursor_row, self.cursor_col = (
            self._slider(f"cell {name}", f"the selected OUTPUT {name} in the zoomed patch "
                         "(keyboard: arrows)", 0, 0, 0) for name in ("row", "col"))
        self.cell = self._cell_control(cell)
        self.taps = self.make(W.HTML, value="")
        self._patch_chosen = False  # False: the patch follows the photo's strongest edge
        self._watch(self.operation, self.rank, self.size, self.factor, self.interpolation,
                    self.before, self.after, self.source, self.photo_size)
        for c in (self.patch_row, self.patch_col):
            c.observe(self._on_patch, "value")
        for c in (self.cursor_row, self.cursor_col):
            c.observe(self._on_cursor, "value")
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.operation, self.rank, self.source, self.photo_size),
            m(dropdown_row, self.size, self.factor, self.interpolation, self.before,
              self.after, self.cell),
            m(dropdown_row, self.patch_row, self.patch_col, self.cursor_row,
              self.cursor_col)])
        t = self.toolbar
        self.quiz = Quiz(self, self._question, self._exercise, ("output value", "output shape"),
                         [self.view, t.caption, self.taps, t.formula], enabled=quiz)
        self._finish([controls, self.quiz, t, t.banner, self.view, t.caption, self.taps,
                      t.formula, t.code])

    @staticmethod
    def _sources(rank: int) -> tuple:
        return NUMBER_SOURCES + PHOTOS if rank == 2 else NUMBER_SOURCES

    @property
    def photo_mode(self) -> bool:
        """True when the input is a sample photo (2-D only)."""
        return self.source.value in PHOTOS and self._user_x is None

    def _before_compute(self):
        rank = self.rank.value
        options = self._sources(rank)
        if tuple(self.source.options) != options:
            keep = self.source.value if self.source.value in options else options[0]
            self.source.options = options
            self.source.value = keep
        up = self.operation.value == "upsample"
        photo = self.photo_mode
        self.factor.layout.display = None if up else "none"
        self.interpolation.layout.display = None if up and rank == 2 else "none"
        for c in (self.before, self.after):
            c.layout.display = "none" if up else None
            c.max = self.photo_size.value // 3 if photo else 4  # a photo needs wider borders
        self.size.layout.display = "none" if photo else None
        self.photo_size.layout.display = None if photo else "none"
        self.cell.layout.display = "none" if photo and not up else None
        for c in (self.patch_row, self.patch_col):
            c.layout.display = None if photo and up else "none"
        for c in (self.cursor_row, self.cursor_col):
            c.layout.display = None if photo else "none"

    def _compute(self):
        if self.photo_mode:
            return self._compute_photo()
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

    # ---- photo mode ----
    def _compute_photo(self):
        side = self.photo_size.value
        x = samples.make_input(self.source.value, (side, side))
        up = self.operation.value == "upsample"
        origin = (self.patch_row.value, self.patch_col.value) if self._patch_chosen else None
        config = PhotoConfig(self.operation.value,
                             amounts=((self.before.value, self.after.value),) * 2,
                             factor=self.factor.value, interpolation=self.interpolation.value,
                             patch_origin=origin, patch_size=DEFAULT_PATCH)
        computation = PhotoResampleComputation(config, x)
        if up:  # the patch sliders show where the patch is (the strongest edge by default)
            r0, c0, p = computation.patch
            self.patch_row.max, self.patch_col.max = side - p, side - p
            self.patch_row.value, self.patch_col.value = r0, c0
        self.cursor_row.max, self.cursor_col.max = (n - 1 for n in computation.view_shape)
        return computation

    def _on_patch(self, change):
        if self._busy:  # set by _compute_photo, not by the learner
            return
        self._patch_chosen = True
        self._on_param(change)

    def _on_cursor(self, change):
        """The cell sliders pick the selected OUTPUT cell: the step of that cell."""
        if self._busy or not self.photo_mode or self.computation is None:
            return
        width = self.computation.view_shape[1]
        self.toolbar.step.value = self.cursor_row.value * width + self.cursor_col.value

    def _photo_drawing(self, scene):
        return self._styled(photo_drawing(self.computation, scene, cell=self.cell.value))

    def _show_photo(self, scene):
        computation = self.computation
        local = [p - o for p, o in zip(scene.position, computation.view_origin, strict=True)]
        self.cursor_row.value, self.cursor_col.value = local  # inside the busy guard
        self.view.value = to_svg(self._photo_drawing(scene), aria_label=scene.caption)
        self.toolbar.show_text(scene.caption, scene.formula, scene.sentences, scene.code)
        self._add_formula_lines([f"shape: {computation.main.shape_text()}"])
        if not scene.taps:
            self.taps.value = "<p>Taps: none — a PADDING zero.</p>"
            return
        modes = "".join(f"<td>{m}: {fmt(v)}</td>" for m, v in scene.mode_values.items())
        axis_rows = "".join(
            f"<tr><th>{name}</th>" + "".join(f"<td>{i}: {w:.4g}</td>" for i, w in taps) + "</tr>"
            for name, taps in (("row weights", scene.row_taps), ("col weights", scene.col_taps)))
        self.taps.value = (
            taps_heading(f"Taps of OUTPUT {scene.position}: {len(scene.taps)} INPUT "
                         f"pixels, weight = row weight × col weight; Σ weight·input = "
                         f"{scene.reconstructed:.5g}; op value = {scene.value:.5g}")
            + f"<table>{axis_rows}</table>"
            + (taps_heading("The same cell in every mode") + f"<table><tr>{modes}</tr></table>"
               if modes else ""))

    def _svg(self, scene) -> str:
        if self.photo_mode:
            return to_svg(self._photo_drawing(scene), aria_label=scene.caption)
        return super()._svg(scene)

    def frame(self, step: int):
        if self.photo_mode:
            return to_rgb(self._photo_drawing(self._scene(step)))
        return super().frame(step)

    def _show(self, scene):
        if self.photo_mode:
            self._show_photo(scene)
            return
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
        self.taps.value = (taps_heading(f"Taps of OUTPUT {scene.position}: Σ weights = "
                                        f"{total:.4g}; Σ weight·input = "
                                        f"{scene.reconstructed:.5g}; op value = "
                                        f"{scene.value:.5g}")
                           + "<table><tr><th>input</th><th>value</th><th>weight</th></tr>"
                           f"{rows}</table>{note}")

    # ---- quiz ----
    def _layer_text(self, main) -> str:
        config = main.config
        name = {"upsample": "UpSampling", "pad": "ZeroPadding", "crop": "Cropping"}[
            config.operation] + f"{config.rank}D"
        if config.operation == "upsample":
            mode = (f", interpolation '{config.interpolation}'" if config.rank == 2 else "")
            return f"{name} size {'×'.join(map(str, config.size))}{mode}"
        before, after = config.amounts[0]
        verb = "removes" if config.operation == "crop" else "adds"
        return f"{name} ({verb} {before} before and {after} after on every axis)"

    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        main = c.main if self.photo_mode else c
        x, y = main.x[..., 0], main.output[..., 0]
        n = "×".join(map(str, x.shape))
        if kind == "output shape":
            return Question(
                prompt=f"INPUT {n}, {self._layer_text(main)}: what is the OUTPUT's shape?",
                answer=tuple(y.shape), kind="shape", why=main.shape_text())
        scene = self._scene(self.toolbar.step.value)
        where = axis_text(scene.position)
        if x.ndim == 2 and max(x.shape) > 8:  # a photo: the neighbourhood of the source
            rows, cols = self._neighbourhood(main, scene.position)
            shown_x = x[rows[0]:rows[1], cols[0]:cols[1]]
            inputs = (f"INPUT rows {rows[0]}–{rows[1] - 1}, cols {cols[0]}–{cols[1] - 1} "
                      f"(of {n}) = {_grid_text(shown_x)}")
        else:
            inputs = f"INPUT {n} = {_grid_text(x)}"
        hint = ""
        if main.config.operation == "upsample" and main.config.interpolation != "nearest":
            hint = (" (half-pixel centres: OUTPUT j sits at u = (j + 0.5)/f − 0.5 in INPUT "
                    "units; weights renormalised over the cells inside the input)")
        taps = scene.taps
        from_shown = float(sum(w * float(as_shown(x[idx])) for idx, w in taps))
        return Question(
            prompt=(f"{inputs}, {self._layer_text(main)}{hint}: what is OUTPUT {where} "
                    "(indices from 0)?"),
            answer=scene.value, kind="value", why=self._value_why(main, scene),
            slack=rounding_slack(scene.value, from_shown))

    @staticmethod
    def _neighbourhood(main, position) -> tuple:
        """Rows and columns ``[start, stop)`` around the INPUT cells an OUTPUT cell reads (or
        would read, for a padding zero): what a photo's prompt prints."""
        config = main.config
        spans = []
        for ax, (j, m) in enumerate(zip(position, main.x.shape[:-1], strict=True)):
            b = config.amounts[ax][0]
            src = {"upsample": j // config.size[ax], "pad": j - b, "crop": j + b}[
                config.operation]
            src = min(max(src, 0), m - 1)
            spans.append((max(src - 2, 0), min(src + 3, m)))
        return tuple(spans)

    @staticmethod
    def _value_why(main, scene) -> str:
        config = main.config
        if config.operation == "crop":
            rule = ("Cropping copies: OUTPUT j reads INPUT j + before = "
                    + axis_text(scene.taps[0][0]))
        elif config.operation == "pad":
            rule = ("ZeroPadding: OUTPUT j reads INPUT j − before"
                    + (f" = {axis_text(scene.taps[0][0])}" if scene.taps else
                       ", outside the input: a PADDING zero"))
        elif config.interpolation == "nearest":
            rule = f"nearest: OUTPUT j reads INPUT ⌊j/f⌋ = {axis_text(scene.taps[0][0])}"
        else:
            centres = "; ".join(f"u = ({j} + 0.5)/{f} − 0.5 = {(j + 0.5) / f - 0.5:g}"
                                for j, f in zip(scene.position, config.size, strict=True))
            # the weights to 4 decimals (the cells' labels round 0.5625 to 0.56)
            x = main.x[..., 0]
            names = " + ".join(f"{weight_text(w)}·x{axis_text(i)}" for i, w in scene.taps)
            numbers = " + ".join(f"{weight_text(w)}·{fmt(x[i])}" for i, w in scene.taps)
            return (f"{config.interpolation}: {centres}; y{axis_text(scene.position)} = "
                    f"{names} = {numbers} = {scene.value:.4g}")
        return f"{rule}; {scene.formula}"

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                rank = 2 if rng.random() < 0.75 else 1
                self.rank.value = rank
                self.source.value = str(rng.choice(["ramp", "random ints"]))
                operation = str(rng.choice(["upsample", "pad", "crop"]))
                self.operation.value = operation
                size = int(rng.integers(2, 6))
                self.size.value = size
                self.factor.value = int(rng.integers(2, 4))
                if rank == 2:
                    self.interpolation.value = str(rng.choice(["nearest", "bilinear"]))
                before = int(rng.integers(0, 3))
                after = int(rng.integers(0, 3))
                if operation == "crop":  # leave at least one cell
                    before = min(before, size - 1)
                    after = min(after, size - 1 - before)
                self.before.value, self.after.value = before, after
        finally:
            self._busy = False
        self._on_param(None)
        self.toolbar.step.value = int(rng.integers(0, self.toolbar.step.max + 1))


def taps_heading(text: str) -> str:
    """A taps table's heading as a paragraph of its own: as the table's ``<caption>`` it was
    squeezed to the width of the (narrow) table and wrapped word by word."""
    return f"<p style='margin:4px 0'><b>{html.escape(text)}</b></p>"


__all__ = ["ResampleExplorer", "taps_heading"]
