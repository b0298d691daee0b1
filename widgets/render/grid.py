"""Draw one labelled 2-D grid of values (with numbers, or as an image when large)."""

import numpy as np

from ..palette import ROLE, diverging_rgb, text_colour
from ..scene.text import fmt, fmt_full
from .drawing import text_width

#: Above this many cells along an axis, grids are drawn as images without numbers.
MAX_NUMBERED = 16
#: Digits are this fraction of the cell size: large enough to read from the back of a room.
DIGIT_RATIO = 0.5
#: Smallest digit size in pixels (tiny cells still print legible numbers).
MIN_DIGIT_PX = 9


def digit_size(cs: float) -> int:
    """Font size (px) of the numbers printed in cells of side ``cs``.

    Examples
    --------
    >>> digit_size(30), digit_size(4)
    (15, 9)
    """
    return max(MIN_DIGIT_PX, int(round(cs * DIGIT_RATIO)))


def fit_cell(cell: int, *arrays) -> int:
    """The cell side (px) for grids of ``arrays`` drawn with ``cell``'s digits
    (:func:`digit_size` of ``cell``): at least ``cell``, and wide enough that the widest
    number label (as :func:`~convkit.widgets.scene.text.fmt` writes it) fits inside its cell
    with a margin each side.

    Cells size themselves to their values: ``10.75`` in a 30-px cell would spill into its
    neighbours ("10.2510.75"), so the cell grows instead and the digits keep their size.
    Widths are measured bold: projector mode prints every number bold, and bold is wider.

    Examples
    --------
    >>> fit_cell(30, np.array([[1, 2], [3, 4]]))
    30
    >>> fit_cell(30, np.array([10.25, 10.75])) > 30
    True
    """
    labels = {fmt(v) for a in arrays for v in np.asarray(a, dtype=np.float64).ravel()}
    if not labels:
        return int(cell)
    size = digit_size(cell)
    widest = max(text_width(s, size, bold=True) for s in labels)
    need = int(np.ceil(widest + 2 * max(3.0, 0.25 * size)))
    return max(int(cell), need + need % 2)


def grid(d, values, x, y, cs, *, name, role, limit, hatch=None, hidden=None, numbers=None,
         tint=None, index_fmt=None, label=None, digits=None):
    """Draw ``values`` (2-D) at (x, y) with cell size ``cs``; return (width, height).

    ``hatch`` marks padding cells (hatched grey, printing 0), ``hidden`` cells not computed
    yet (blank), ``tint`` overrides fills per cell (RGB array), ``digits`` the font size of
    the numbers (default :func:`digit_size` of ``cs``; pass the base cell's when ``cs`` came
    from :func:`fit_cell`, so wide cells keep the digits of their neighbours). The title
    above the grid names the role in text so colour is never the only cue.
    """
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape
    if numbers is None:
        numbers = max(h, w) <= MAX_NUMBERED
    fills = diverging_rgb(values, limit) if tint is None else tint
    digits = digit_size(cs) if digits is None else int(digits)
    title = label or (f"{name} {h}×{w}" if h > 1 else f"{name} {w}")
    d.text(x, y - 8, title, anchor="start", size=13, fill=ROLE.get(role, "#000000"), bold=True)
    # layout width includes the title, so neighbouring panes never overlap it
    title_w = int(7.6 * len(title))
    if not numbers:
        img = fills.copy()
        if hatch is not None:
            img[hatch] = (0xD9, 0xD9, 0xD9)
        if hidden is not None:
            img[hidden] = (255, 255, 255)
        d.image(x, y, img, scale=cs, tooltip=f"{name} {h}×{w}")
        d.rect(x, y, w * cs, h * cs, None, stroke=ROLE.get(role, "#000"), stroke_width=2)
        return max(w * cs, title_w), h * cs
    for i in range(h):
        for j in range(w):
            cx, cy = x + j * cs, y + i * cs
            idx = fmt_index(index_fmt, i, j, h)
            if hidden is not None and hidden[i, j]:
                d.rect(cx, cy, cs, cs, "#FFFFFF", cls="cell",
                       tooltip=f"{name}{idx}: not computed yet")
                continue
            if hatch is not None and hatch[i, j]:
                d.rect(cx, cy, cs, cs, cls="cell", hatch=True, tooltip=f"PADDING{idx} = 0")
                d.text(cx + cs / 2, cy + cs * 0.66, "0", size=digits)
                continue
            fill = tuple(int(c) for c in fills[i, j])
            d.rect(cx, cy, cs, cs, "#{:02X}{:02X}{:02X}".format(*fill), cls="cell",
                   tooltip=f"{name}{idx} = {fmt_full(values[i, j])}")
            d.text(cx + cs / 2, cy + cs * 0.66, fmt(values[i, j]), size=digits,
                   fill=text_colour(fill))
    d.rect(x, y, w * cs, h * cs, None, stroke=ROLE.get(role, "#000"), stroke_width=2)
    return max(w * cs, title_w), h * cs


def fmt_index(index_fmt, i, j, h):
    """``[i, j]`` for 2-D grids, ``[j]`` for 1-D strips (h == 1); custom via ``index_fmt``."""
    if index_fmt is not None:
        return index_fmt(i, j)
    return f"[{j}]" if h == 1 else f"[{i}, {j}]"


def as2d(a):
    """1-D strips are drawn as one-row grids."""
    a = np.asarray(a)
    return a[None, :] if a.ndim == 1 else a


def outline(d, x, y, cs, cells, cls):
    """Outline grid cells (row, col) with class ``window``/``inspect``/``current``."""
    for i, j in cells:
        d.rect(x + j * cs, y + i * cs, cs, cs, None, cls=cls)


def stems(d, values, x, y, cs, *, limit, mask=None, taps=(), height: int = 36):
    """Stem plot of a 1-D signal under its strip: one stem per cell, centred on the cell.

    Markers carry tooltips (``signal[i] = v``); PADDING stems are grey, the current window's
    taps are drawn in the kernel colour and larger. Returns the pane height.
    """
    values = np.asarray(values, dtype=np.float64)
    lim = limit or 1.0
    base = y + height
    d.line(x, base, x + len(values) * cs, base, stroke="#555555", width=1)
    d.text(x + len(values) * cs + 6, base + 4, "signal (stems; window taps large)",
           anchor="start", size=11, fill=ROLE["input"])
    taps = set(int(t) for t in taps)
    for i, v in enumerate(values):
        cx = x + i * cs + cs / 2
        top = base - (v / lim) * height
        padded = mask is not None and bool(mask[i])
        colour = (ROLE["padding"] if padded else
                  ROLE["kernel"] if i in taps else ROLE["input"])
        d.line(cx, base, cx, top, stroke="#9A9A9A" if padded else colour, width=2)
        r = 5 if i in taps else 3
        d.rect(cx - r, top - r, 2 * r, 2 * r, colour, stroke="#000000" if i in taps else None,
               tooltip=("PADDING" if padded else "INPUT") + f" signal[{i}] = {fmt_full(v)}")
    return 2 * height + 8


__all__ = ["grid", "outline", "stems", "as2d", "fit_cell", "digit_size", "MAX_NUMBERED"]
