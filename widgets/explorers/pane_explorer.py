"""Explorers whose scenes are lists of panes (backprop, receptive field): the same wiring as
:class:`~.base.Explorer`, drawn by :mod:`convkit.widgets.render.panes`."""

import html

import ipywidgets as W

from ..render.panes import panes_rgb, panes_svg
from .base import Explorer


class PaneExplorer(Explorer):
    """An :class:`~.base.Explorer` whose picture, exported frames and SVG come from the pane
    layout; subclasses may add ``_formula_lines()`` (printed under the formula).

    ``badges`` is an ``HTML`` readout repeating the picture's live badges in words (one
    ``role="status"`` line each), for screen readers and tests.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.badges = self.make(W.HTML, value="")

    def _show(self, scene):
        # the caption is shown once, as the HTML readout (the SVG keeps it as aria-label)
        self.view.value = panes_svg(scene, caption=False, contrast=self.contrast,
                                    **self._render_kwargs())
        self.toolbar.show_text(scene.caption, scene.formula, getattr(scene, "sentences", ()),
                               scene.code)
        self._add_formula_lines(self._formula_lines(scene))
        self.badges.value = "".join(
            f'<p role="status" style="margin:2px 0;font-weight:bold;color:'
            f'{"#00704F" if b.ok else "#B34700"}">{html.escape(b.text)}</p>'
            for b in getattr(scene, "badges", ()))

    def _render(self):
        if self.computation is None:
            self.badges.value = ""  # no picture, nothing checked
        super()._render()

    def _formula_lines(self, scene) -> list:
        return []

    def frame(self, step: int):
        """RGB frame (uint8) of ``step``, as the widget draws it, with its caption."""
        return panes_rgb(self._scene(step), contrast=self.contrast, **self._render_kwargs())

    def _svg(self, scene) -> str:
        return panes_svg(scene, contrast=self.contrast, **self._render_kwargs())


__all__ = ["PaneExplorer"]
