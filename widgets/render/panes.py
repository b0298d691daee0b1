"""Layout of pane scenes (backprop, receptive field) → :class:`Drawing`, SVG and raster.

Panes are drawn left to right with an arrow between them and wrap to a new row past
``MAX_ROW_WIDTH``; live badges (✓ green frame / ✗ vermillion frame, the words saying which)
follow, then the caption and the legend, so an exported frame explains itself.
"""

import numpy as np

from ..palette import ROLE, diverging_scale, hex_to_rgb, legend_text
from .drawing import Drawing, high_contrast, png_bytes, to_rgb, to_svg, without_text
from .grid import MAX_NUMBERED, as2d, digit_size, fit_cell, grid, outline

TOP = 34                # room for pane titles
GAP = 34                # between panes (an arrow fits)
FOOT = 46               # caption + legend lines
MAX_ROW_WIDTH = 1100    # wrap panes past this (a 1280-px projector screen)
INSERTED_TINT = "#F3D6E7"   # zeros inserted between dy cells (pale reddish purple)
MARK_TINT = "#F9D9B8"       # cells inside a receptive field (pale vermillion) + a "●" mark


def _pane_size(pane, cell):
    values = as2d(pane.values)
    numbered = pane.numbers and max(values.shape) <= MAX_NUMBERED
    cs = fit_cell(cell, values) if numbered else max(4, min(cell, 320 // max(values.shape)))
    return values, numbered, cs


def _marked_grid(d, pane, values, x, y, cs):
    """A map whose receptive-field cells carry a tint *and* a mark (never colour alone)."""
    h, w = values.shape
    marked = as2d(pane.marked)
    d.text(x, y - 8, pane.title, anchor="start", size=13, fill=ROLE.get(pane.role, "#000"),
           bold=True)
    for i in range(h):
        for j in range(w):
            inside = bool(marked[i, j])
            idx = f"[{j}]" if h == 1 else f"[{i}, {j}]"
            d.rect(x + j * cs, y + i * cs, cs, cs, MARK_TINT if inside else "#FFFFFF",
                   cls="cell", tooltip=f"{pane.name or pane.title}{idx}: "
                                       + ("in the receptive field" if inside else "not read"))
            if inside and cs >= 10:
                d.text(x + j * cs + cs / 2, y + i * cs + cs * 0.68, "●",
                       size=max(7, int(cs * 0.45)), fill="#000000")
    d.rect(x, y, w * cs, h * cs, None, stroke=ROLE.get(pane.role, "#000"), stroke_width=2)
    return max(w * cs, int(7.6 * len(pane.title))), h * cs


def _draw_pane(d, pane, x, y, cell):
    values, numbered, cs = _pane_size(pane, cell)
    if pane.marked is not None:
        w, h = _marked_grid(d, pane, values, x, y, cs)
    else:
        tint = None
        if pane.inserted is not None:
            from ..palette import diverging_rgb

            tint = diverging_rgb(values, diverging_scale(values))
            tint[as2d(pane.inserted)] = hex_to_rgb(INSERTED_TINT)
        w, h = grid(d, values, x, y, cs, name=pane.name or pane.title.split(" (")[0],
                    role=pane.role, limit=diverging_scale(values),
                    hatch=None if pane.hatch is None else as2d(pane.hatch),
                    hidden=None if pane.hidden is None else as2d(pane.hidden),
                    numbers=numbered, tint=tint, label=pane.title, digits=digit_size(cell))
    outline(d, x, y, cs, pane.outline, "window")
    outline(d, x, y, cs, pane.current, "current")
    return w, h


def _badges(d, badges, y):
    for badge in badges:
        text = badge.text
        d.rect(10, y - 15, 10 + 7.4 * len(text), 22, "#E8F5EF" if badge.ok else "#FBE3D6",
               stroke=ROLE["output"] if badge.ok else ROLE["highlight"], stroke_width=2)
        d.text(16, y + 1, text, anchor="start", size=13, bold=True)
        y += 28
    return y


def panes_drawing(scene, cell: int = 30, lines=()) -> Drawing:
    """Lay out a scene made of :class:`~convkit.widgets.scene.panes.Pane` objects.

    ``scene`` needs ``panes``, ``caption`` and may have ``badges``; ``lines`` are extra text
    lines (formulas) printed above the caption.
    """
    d = Drawing(10, 10, scene.caption)
    x, y, row_h, x_end = 10, TOP, 0, 10
    for k, pane in enumerate(scene.panes):
        values, _, cs = _pane_size(pane, cell)
        width = max(values.shape[1] * cs, int(7.6 * len(pane.title)))
        if k and x + width > MAX_ROW_WIDTH:
            x, y, row_h = 10, y + row_h + TOP + 10, 0
        elif k:
            d.line(x - GAP + 6, y + min(values.shape[0] * cs, 60) / 2, x - 6,
                   y + min(values.shape[0] * cs, 60) / 2, arrow=True)
        w, h = _draw_pane(d, pane, x, y, cell)
        x += w + GAP
        x_end = max(x_end, x)
        row_h = max(row_h, h)
    y += row_h + 30
    y = _badges(d, getattr(scene, "badges", ()), y)
    for line in lines:
        d.text(10, y, line, anchor="start", size=12)
        y += 18
    limit = max((diverging_scale(p.values) for p in scene.panes if p.marked is None),
                default=1.0)
    footer_y = y - 10
    d.text(10, footer_y + 16, scene.caption, anchor="start", size=12)
    legend = legend_text(limit)
    if any(p.inserted is not None for p in scene.panes):
        legend += " Inserted zeros: pale purple, printing 0."
    if any(p.marked is not None for p in scene.panes):
        legend = "● = cell in the receptive field (pale orange); blank = not read."
    d.text(10, footer_y + 34, legend, anchor="start", size=11, fill="#333333")
    d.width = int(max(x_end, 7 * len(scene.caption) + 20, 640))
    d.height = int(footer_y + FOOT)
    return d


def styled(scene, contrast: bool = False, caption: bool = True, **kwargs) -> Drawing:
    """The pane layout, without the caption line (the widget shows it as HTML) and in
    projector mode on request (as :func:`convkit.widgets.render.scene_svg` does)."""
    d = panes_drawing(scene, **kwargs)
    if not caption:
        without_text(d, scene.caption)
    return high_contrast(d) if contrast else d


def panes_svg(scene, **kwargs) -> str:
    """Inline SVG, ``aria-label`` = the caption."""
    return to_svg(styled(scene, **kwargs), aria_label=scene.aria_label)


def panes_rgb(scene, **kwargs) -> np.ndarray:
    """The same layout rasterised (GIF/PNG frames)."""
    return to_rgb(styled(scene, **kwargs))


def panes_png(scene, **kwargs) -> bytes:
    """PNG bytes of :func:`panes_rgb`."""
    return png_bytes(panes_rgb(scene, **kwargs))


__all__ = ["panes_drawing", "panes_svg", "panes_rgb", "panes_png", "styled"]
