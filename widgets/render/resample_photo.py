"""Draw a photo resampling step: the photo before and after the layer, the five upsampling
modes on one zoomed patch with the selected cell outlined, and a magnifier with the numbers
and tap weights under that cell. One :class:`Drawing`, so SVG and PNG agree."""

import numpy as np

from ..palette import ROLE, grey_rgb, hex_to_rgb
from ..scene.text import fmt
from .drawing import Drawing
from .grid import digit_size, fit_cell, grid

#: Screen pixels of the whole photo (input and output are drawn at about this width).
PHOTO_PX = 192
#: Screen pixels of each zoomed mode panel.
PANEL_PX = 168
_PAD_RGB = hex_to_rgb("#D9D9D9")
#: The selected cell's ring: vermillion (an Okabe–Ito spare) shows on black and on white.
_CURSOR = "#D55E00"


def _cursor(d, x, y, size):
    d.rect(x, y, size, size, None, cls="current")
    d.rect(x - 1, y - 1, size + 2, size + 2, None, stroke=_CURSOR, stroke_width=2)


def _photo_rgb(values, lo, hi, mask=None):
    """Greyscale pixels on one fixed scale (so the modes compare), ``mask`` in PADDING grey."""
    rgb = grey_rgb(np.clip(values, lo, hi), lo, hi)
    if mask is not None:
        rgb[mask] = _PAD_RGB
    return rgb


def photo_drawing(computation, scene, cell: int = 30) -> Drawing:
    """The whole picture of one step; ``cell`` is the magnifier's cell size in pixels."""
    x, y = computation.x, computation.output
    lo, hi = float(x.min()), max(float(x.max()), float(x.min()) + 1e-6)
    operation = computation.config.operation
    d = Drawing(10, 10, scene.caption)
    top = 30
    zin = max(1, PHOTO_PX // max(x.shape))
    d.text(10, top - 8, f"INPUT photo {x.shape[0]}×{x.shape[1]}", anchor="start", size=13,
           fill=ROLE["input"], bold=True)
    d.image(10, top, _photo_rgb(x, lo, hi, computation.main.in_mask), scale=zin,
            tooltip="INPUT photo" + (" (PADDING grey: cropped away)" if operation == "crop"
                                     else ""))
    for (i, j), _ in scene.taps:
        d.rect(10 + j * zin, top + i * zin, zin, zin, None, stroke=ROLE["kernel"],
               stroke_width=1)
    if computation.patch is not None:
        r0, c0, p = computation.patch
        d.rect(10 + c0 * zin, top + r0 * zin, p * zin, p * zin, None, cls="window",
               tooltip=f"the zoomed patch: INPUT rows {r0}–{r0 + p - 1}, cols {c0}–{c0 + p - 1}")
    ox = 10 + x.shape[1] * zin + 40
    d.line(ox - 34, top + x.shape[0] * zin / 2, ox - 6, top + x.shape[0] * zin / 2, arrow=True)
    zout = max(1, PHOTO_PX // max(y.shape))
    name = {"crop": "cropped", "pad": "zero-padded", "upsample": "upsampled"}[operation]
    d.text(ox, top - 8, f"OUTPUT {name} {y.shape[0]}×{y.shape[1]}", anchor="start", size=13,
           fill=ROLE["output"], bold=True)
    d.image(ox, top, _photo_rgb(y, lo, hi, computation.main.out_mask), scale=zout,
            tooltip=f"OUTPUT {name}" + (" (PADDING grey: added zeros)" if operation == "pad"
                                        else ""))
    r, c = scene.position
    _cursor(d, ox + c * zout, top + r * zout, zout)
    if computation.patch is not None:
        (vr, vc), (vh, vw) = computation.view_origin, computation.view_shape
        d.rect(ox + vc * zout, top + vr * zout, vw * zout, vh * zout, None, cls="window")
    bottom = top + max(x.shape[0] * zin, y.shape[0] * zout) + 16
    width = ox + y.shape[1] * zout + 20
    if computation.modes:
        bottom, panels_w = _mode_panels(d, computation, scene, bottom + 20, lo, hi)
        width = max(width, panels_w)
    mag_w, mag_h = _magnifier(d, computation, scene, 10, bottom + 30, cell)
    d.width = int(max(width, mag_w + 20, 640))
    d.height = int(bottom + 30 + mag_h + 16)
    return d


def _mode_panels(d, computation, scene, y0, lo, hi):
    """The five modes side by side on the zoomed patch, the selected cell outlined."""
    vh, vw = computation.view_shape
    cs = max(2, PANEL_PX // max(vh, vw))
    (vr, vc) = computation.view_origin
    local = (scene.position[0] - vr, scene.position[1] - vc)
    selected = computation.config.interpolation
    x0 = 10
    d.text(x0, y0 - 4, "The zoomed patch in all five modes (same grey scale; values beyond the "
           "input's range are clipped in the picture, not in the numbers):", anchor="start",
           size=12)
    for mode in computation.modes:
        y = y0 + 22
        patch = computation.mode_patch(mode)
        chosen = mode == selected
        label = f"{mode}{' (selected)' if chosen else ''}"
        d.text(x0, y - 6, label, anchor="start", size=12, bold=chosen,
               fill=ROLE["output"])
        d.image(x0, y, _photo_rgb(patch, lo, hi), scale=cs,
                tooltip=f"OUTPUT patch, {mode}")
        d.rect(x0, y, vw * cs, vh * cs, None, stroke="#000000" if chosen else "#9A9A9A",
               stroke_width=3 if chosen else 1)
        _cursor(d, x0 + local[1] * cs, y + local[0] * cs, cs)
        d.text(x0, y + vh * cs + 16, f"y{list(scene.position)} = "
               f"{fmt(scene.mode_values[mode])}", anchor="start", size=12)
        x0 += max(vw * cs, 7 * len(label)) + 18
    return y0 + 22 + vh * cs + 24, x0


def _magnifier(d, computation, scene, x0, y0, cs):
    """The input pixels under the selected cell's taps, with the per-axis weights around
    them (weight of a tap = row weight × column weight) and the sum."""
    if not scene.taps:
        d.text(x0, y0, f"MAGNIFIER: OUTPUT {list(scene.position)} is an added zero "
               "(PADDING): no INPUT pixel is read.", anchor="start", size=13, bold=True)
        return 560, 20
    rows = [i for i, _ in scene.row_taps]
    cols = [j for j, _ in scene.col_taps]
    patch = computation.x[np.ix_(rows, cols)]
    label = (f"MAGNIFIER: INPUT pixels under OUTPUT {list(scene.position)} "
             f"({len(scene.taps)} taps)")
    gx, gy = x0 + 70, y0 + 22
    digits = digit_size(cs)
    cs = fit_cell(cs, patch)  # the pixels' values never spill out of their cells
    w, h = grid(d, patch, gx, gy, cs, name="INPUT", role="input",
                limit=max(float(np.abs(patch).max()), 1e-6), label=label, digits=digits,
                index_fmt=lambda i, j: f"[{rows[i]}, {cols[j]}]")
    for k, (_, wt) in enumerate(scene.col_taps):
        d.text(gx + k * cs + cs / 2, gy + len(rows) * cs + 14, fmt(wt),
               size=max(8, int(cs * 0.34)), fill=ROLE["kernel"])
    for k, (_, wt) in enumerate(scene.row_taps):
        d.text(gx - 6, gy + k * cs + cs * 0.62, fmt(wt), size=max(8, int(cs * 0.34)),
               anchor="end", fill=ROLE["kernel"])
    d.text(gx, gy + h + 34, "KERNEL weights: column weights below, row weights left; "
           "each tap's weight is their product.", anchor="start", size=12,
           fill=ROLE["kernel"])
    d.text(gx, gy + h + 52, f"Σ weight·input = {fmt(scene.reconstructed)}; the op gives "
           f"{fmt(scene.value)}", anchor="start", size=13, bold=True)
    return 70 + max(w, 520), 22 + h + 60


__all__ = ["photo_drawing", "PHOTO_PX", "PANEL_PX"]
