"""ConvExplorer's own layouts → :class:`Drawing`: the extras panel (typed and flipped kernel,
Σ over channels, every filter's output, the groups picture, live badges) and Conv3D drawn as
depth slices. Both feed the SVG and raster backends, like :mod:`.scenes`.
"""

import numpy as np

from ..palette import ROLE, diverging_scale, legend_text
from .drawing import Drawing, high_contrast, to_rgb, to_svg, without_text
from .grid import MAX_NUMBERED, as2d, digit_size, fit_cell, grid, outline

TOP = 34            # room for pane titles
GAP = 26            # between panes
FOOT = 46           # caption + legend lines
MAX_ROW_WIDTH = 1100    # wrap past this (a 1280-px projector screen)


class _Flow:
    """Places panes left to right and wraps past :data:`MAX_ROW_WIDTH`."""

    def __init__(self, d: Drawing, y: float):
        self.d, self.x, self.y, self.row_h, self.x_end = d, 10, y, 0, 10

    def place(self, width: float, height: float) -> tuple:
        """Top-left corner for a pane of this size (wrapping first if it does not fit)."""
        if self.x > 10 and self.x + width > MAX_ROW_WIDTH:
            self.newline()
        return self.x, self.y

    def advance(self, width: float, height: float):
        self.x += width + GAP
        self.x_end = max(self.x_end, self.x)
        self.row_h = max(self.row_h, height)

    def newline(self):
        if self.row_h:
            self.y += self.row_h + TOP + 8
        self.x, self.row_h = 10, 0


def _cell_size(values, cell: int) -> tuple:
    """``(numbers printed?, cell side)``: numbered cells grow to their widest value
    (:func:`fit_cell`; the grids keep ``cell``'s digits), large grids shrink to fit."""
    values = as2d(values)
    numbers = max(values.shape) <= MAX_NUMBERED
    return numbers, fit_cell(cell, values) if numbers else \
        max(4, min(cell, 320 // max(values.shape)))


def _pane(flow, pane, cell, limit=None):
    """Draw a :class:`~convkit.widgets.scene.panes.Pane` at the flow's next place."""
    values = as2d(pane.values)
    numbers, cs = _cell_size(values, cell)
    width = max(values.shape[1] * cs, int(7.6 * len(pane.title)))
    x, y = flow.place(width, values.shape[0] * cs)
    w, h = grid(flow.d, values, x, y, cs, name=pane.name or pane.title, role=pane.role,
                limit=diverging_scale(values) if limit is None else limit, numbers=numbers,
                digits=digit_size(cell), label=pane.title,
                hidden=None if pane.hidden is None else as2d(pane.hidden),
                hatch=None if pane.hatch is None else as2d(pane.hatch))
    outline(flow.d, x, y, cs, pane.outline, "window")
    outline(flow.d, x, y, cs, pane.current, "current")
    flow.advance(w, h)
    return x, y, w, h


def _badges(d, badges, y) -> float:
    for badge in badges:
        text = badge.text
        d.rect(10, y - 15, 12 + 8 * len(text), 22, "#E8F5EF" if badge.ok else "#FBE3D6",
               stroke=ROLE["output"] if badge.ok else ROLE["highlight"], stroke_width=2)
        d.text(16, y + 1, text, anchor="start", size=13, bold=True)
        y += 28
    return y


def _groups_picture(d, extras, y, current: int) -> float:
    """INPUT channel boxes on the left, filter boxes on the right, a line from every filter to
    each channel it reads; the shown filter's lines are thick and black, the others grey."""
    channels = len(extras.channel_terms)
    filters = len(extras.groups)
    d.text(10, y, f"GROUPS: which INPUT channels each filter reads (groups = "
                  f"{channels // max(len(extras.groups[0][1]), 1)})", anchor="start", size=13,
           bold=True)
    top = y + 12
    row = 26
    left, right, box = 10, 330, 130
    for c in range(channels):
        d.rect(left, top + c * row, box, 20, "#D6EAF5", stroke=ROLE["input"], stroke_width=2,
               tooltip=f"INPUT channel {c}")
        d.text(left + box / 2, top + c * row + 15, f"INPUT ch{c}", size=11)
    for g, chans in extras.groups:
        shown = g == current
        d.rect(right, top + g * row, box, 20, "#D4EFE6", stroke=ROLE["output"],
               stroke_width=3 if shown else 1,
               tooltip=f"filter {g} reads channel(s) {', '.join(map(str, chans))}")
        d.text(right + box / 2, top + g * row + 15, f"filter {g}" + (" ◀ shown" if shown else ""),
               size=11, bold=shown)
        for c in chans:
            # data flows from the channel into the filter
            d.line(left + box, top + c * row + 10, right, top + g * row + 10,
                   stroke="#000000" if shown else "#9A9A9A", width=3 if shown else 1,
                   arrow=True)
    return top + max(channels, filters) * row + 16


def extras_drawing(extras, cell: int = 30) -> Drawing:
    """Lay out a :class:`~convkit.widgets.scene.conv_more.ConvExtras`."""
    d = Drawing(10, 10, extras.aria_label)
    flow = _Flow(d, TOP)
    for k, pane in enumerate(extras.kernel_panes):
        x, y, w, h = _pane(flow, pane, cell)
        if k == 0 and len(extras.kernel_panes) > 1:
            d.line(x + w + 4, y + min(h, 60) / 2, x + w + GAP - 4, y + min(h, 60) / 2,
                   arrow=True)
            d.text(x + w + GAP / 2, y + min(h, 60) / 2 - 6, "flip", size=10)
    flow.newline()
    shared = max((diverging_scale(p.values) for p in extras.filter_panes), default=1.0)
    for pane in extras.filter_panes:  # one colour scale, so filters compare at a glance
        _pane(flow, pane, cell, limit=shared)
    limit = max([shared, *(diverging_scale(p.values) for p in extras.kernel_panes)])
    flow.newline()
    y = flow.y + 4
    d.text(10, y, extras.sigma_line, anchor="start", size=12)
    y += 28
    if len(extras.groups) > 1 or len(extras.channel_terms) > 1:
        y = _groups_picture(d, extras, y, extras.filter_index) + 8
    y = _badges(d, extras.badges, y + 8)
    d.text(10, y + 6, legend_text(limit) + " Thick black outline: this step's OUTPUT cell.",
           anchor="start", size=11, fill="#333333")
    d.width = int(max(flow.x_end + 20, 7 * len(extras.sigma_line) + 20, 640))
    d.height = int(y + 20)
    return d


def _slices(a):
    """A volume (depth, rows, cols) as its depth slices."""
    return [a[k] for k in range(a.shape[0])]


def conv3d_drawing(scene, cell: int = 30, inspect: dict | None = None) -> Drawing:
    """Conv3D as depth slices: each INPUT channel's padded slices (the window outlined on the
    slices it spans, their titles saying so), the shown filter's KERNEL slices and the
    OUTPUT's slices (this step's cell outlined, later cells blank)."""
    d = Drawing(10, 10, scene.caption)
    f = scene.filter_index
    lim_in = diverging_scale(scene.padded)
    lim_k = diverging_scale(scene.kernel)
    lim_out = diverging_scale(scene.output[..., f])
    depths = set(int(t) for t in scene.window[0])
    cells = [(int(i), int(j)) for i in scene.window[1] for j in scene.window[2]]
    inspected = {} if not inspect else {
        "inputs": inspect.get("inputs", []), "outputs": inspect.get("outputs", []),
        "taps": inspect.get("taps", [])}
    flow = _Flow(d, TOP)
    for c in range(scene.padded.shape[-1]):
        tag = f" ch{c}" if scene.padded.shape[-1] > 1 else ""
        for k, (values, mask) in enumerate(zip(_slices(scene.padded[..., c]),
                                               _slices(scene.pad_mask), strict=True)):
            numbers, cs = _cell_size(values, cell)
            inside = k in depths
            title = f"INPUT{tag} depth {k}" + (" ◆ window" if inside else "")
            width = max(values.shape[1] * cs, int(7.6 * len(title)))
            x, y = flow.place(width, values.shape[0] * cs)
            w, h = grid(d, values, x, y, cs, name=f"INPUT{tag} d{k}", role="input",
                        limit=lim_in, hatch=mask, numbers=numbers, digits=digit_size(cell),
                        label=title)
            if inside:
                outline(d, x, y, cs, cells, "window")
            outline(d, x, y, cs, [(i[1], i[2]) for i in inspected.get("inputs", [])
                                  if i[0] == k], "inspect")
            flow.advance(w, h)
        flow.newline()
    for c in scene.channels_seen:
        tag = f" ch{c}" if scene.padded.shape[-1] > 1 else ""
        for t, values in enumerate(_slices(scene.kernel[..., c, f])):
            numbers, cs = _cell_size(values, cell)
            title = f"KERNEL{tag} depth {t} (filter {f})"
            x, y = flow.place(max(values.shape[1] * cs, int(7.6 * len(title))),
                              values.shape[0] * cs)
            w, h = grid(d, values, x, y, cs, name=f"KERNEL{tag} d{t}", role="kernel",
                        limit=lim_k, numbers=numbers, digits=digit_size(cell), label=title)
            outline(d, x, y, cs, [(i[1], i[2]) for i in inspected.get("taps", [])
                                  if i[0] == t], "inspect")
            flow.advance(w, h)
        flow.newline()  # one row of slices per channel
    out = scene.output[..., f]
    order = np.arange(out.size).reshape(out.shape)
    hidden = order > scene.step
    pos = scene.position
    for k, values in enumerate(_slices(out)):
        numbers, cs = _cell_size(values, cell)
        title = f"OUTPUT depth {k}" + (" ◆ this step" if k == pos[0] else "")
        x, y = flow.place(max(values.shape[1] * cs, int(7.6 * len(title))),
                          values.shape[0] * cs)
        w, h = grid(d, values, x, y, cs, name=f"OUTPUT d{k}", role="output", limit=lim_out,
                    hidden=hidden[k], numbers=numbers, digits=digit_size(cell), label=title)
        if k == pos[0]:
            outline(d, x, y, cs, [tuple(pos[1:])], "current")
        outline(d, x, y, cs, [(o[1], o[2]) for o in inspected.get("outputs", [])
                              if o[0] == k], "inspect")
        flow.advance(w, h)
    flow.newline()
    y = flow.y - TOP + 8
    d.text(10, y + 16, scene.caption, anchor="start", size=12)
    d.text(10, y + 34, legend_text(max(lim_in, lim_out)) + " ◆ = depth slice inside the "
           "3-D window (outlined).", anchor="start", size=11, fill="#333333")
    d.width = int(max(flow.x_end + 20, 7 * len(scene.caption) + 20, 640))
    d.height = int(y + FOOT)
    return d


def _styled(d: Drawing, text: str, contrast: bool, caption: bool) -> Drawing:
    if not caption:
        without_text(d, text)
    return high_contrast(d) if contrast else d


def conv3d_svg(scene, contrast: bool = False, caption: bool = True, **kwargs) -> str:
    """Inline SVG of :func:`conv3d_drawing`, ``aria-label`` = the caption."""
    d = _styled(conv3d_drawing(scene, **kwargs), scene.caption, contrast, caption)
    return to_svg(d, aria_label=scene.aria_label)


def conv3d_rgb(scene, contrast: bool = False, caption: bool = True, **kwargs) -> np.ndarray:
    """:func:`conv3d_drawing` rasterised (GIF/PNG frames)."""
    return to_rgb(_styled(conv3d_drawing(scene, **kwargs), scene.caption, contrast, caption))


def extras_svg(extras, contrast: bool = False, cell: int = 30) -> str:
    """Inline SVG of :func:`extras_drawing`; ``aria-label`` = the Σ line and the groups in
    words."""
    d = extras_drawing(extras, cell=cell)
    return to_svg(high_contrast(d) if contrast else d, aria_label=extras.aria_label)


__all__ = ["extras_drawing", "extras_svg", "conv3d_drawing", "conv3d_svg", "conv3d_rgb"]
