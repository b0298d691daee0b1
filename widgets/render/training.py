"""The TrainingLab picture → :class:`Drawing`, SVG and raster.

Left to right: the learned kernel and the target kernel with their numbers, the photo, the
learned feature map and the target feature map (small images, crisp cells), then the loss
curve (log scale, one point per fit epoch or single batch). Badges, caption and legend below,
as in the pane layout, so an exported frame explains itself.
"""

import math

import numpy as np

from ..palette import ROLE, diverging_scale, grey_rgb, legend_text
from .drawing import Drawing, high_contrast, png_bytes, to_rgb, to_svg
from .grid import grid
from .panes import _badges

GAP = 34
TOP = 34
CURVE_W, CURVE_H = 260, 150


def _curve(d, curve, x, y):
    """Loss against batches seen, log scale; non-finite losses (divergence) are left out and
    said in words."""
    d.text(x, y - 8, "LOSS (MSE, log scale)", anchor="start", size=13, fill=ROLE["highlight"],
           bold=True)
    d.rect(x, y, CURVE_W, CURVE_H, "#FFFFFF", stroke="#555555")
    points = [(b, v) for b, v in curve if math.isfinite(v) and v > 0]
    if not points:
        d.text(x + CURVE_W / 2, y + CURVE_H / 2, "no training yet" if not curve else
               "diverged: loss not finite", size=12)
        return
    logs = [math.log10(v) for _, v in points]
    lo, hi = min(logs), max(logs)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    last = max(points[-1][0], 1)

    def xy(b, lv):
        return (x + 6 + (CURVE_W - 12) * b / last,
                y + 6 + (CURVE_H - 12) * (hi - lv) / (hi - lo))

    coords = [xy(b, lv) for (b, _), lv in zip(points, logs, strict=True)]
    for (x1, y1), (x2, y2) in zip(coords, coords[1:], strict=False):
        d.line(x1, y1, x2, y2, stroke=ROLE["highlight"], width=2)
    cx, cy = coords[-1]
    d.rect(cx - 3, cy - 3, 6, 6, ROLE["highlight"], tooltip=f"loss {points[-1][1]:.4g}")
    d.text(x + 4, y + 14, f"{10 ** hi:.2g}", anchor="start", size=10)
    d.text(x + 4, y + CURVE_H - 4, f"{10 ** lo:.2g}", anchor="start", size=10)
    d.text(x + CURVE_W, y + CURVE_H + 14, f"batches seen: {last}", anchor="end", size=10)


def training_drawing(scene, cell: int = 30, map_scale: int = 3) -> Drawing:
    """Lay out a :class:`~convkit.widgets.scene.training.TrainingScene`."""
    d = Drawing(10, 10, scene.caption)
    x, y, heights = 10, TOP, []
    for pane in scene.panes:
        w, h = grid(d, pane.values, x, y, cell, name=pane.name, role=pane.role,
                    limit=diverging_scale(pane.values), label=pane.title)
        x += w + GAP
        heights.append(h)
    limit = diverging_scale(scene.target_map)
    maps = (("INPUT photo", "input", scene.photo, grey_rgb(scene.photo)),
            ("OUTPUT learned", "output", scene.feature_map, None),
            ("TARGET output", "output", scene.target_map, None))
    for title, role, values, tint in maps:
        w, h = grid(d, values, x, y, map_scale, name=title, role=role, limit=limit,
                    numbers=False, tint=tint, label=title)
        x += w + 14
        heights.append(h)
    x += GAP - 14
    _curve(d, scene.curve, x, y)
    width = x + CURVE_W + 10
    y += max(heights + [CURVE_H + 16]) + 30
    y = _badges(d, scene.badges, y)
    d.text(10, y + 6, scene.caption, anchor="start", size=12)
    d.text(10, y + 24, legend_text(limit) + " The photo is grey (standardised).", anchor="start",
           size=11, fill="#333333")
    d.width = int(max(width, 7 * len(scene.caption) + 20, 640))
    d.height = int(y + 36)
    return d


def training_svg(scene, contrast: bool = False, **kwargs) -> str:
    """Inline SVG, ``aria-label`` = the caption."""
    d = training_drawing(scene, **kwargs)
    return to_svg(high_contrast(d) if contrast else d, aria_label=scene.aria_label)


def training_rgb(scene, contrast: bool = False, **kwargs) -> np.ndarray:
    """The same layout rasterised."""
    d = training_drawing(scene, **kwargs)
    return to_rgb(high_contrast(d) if contrast else d)


def training_png(scene, **kwargs) -> bytes:
    """PNG bytes of :func:`training_rgb`."""
    return png_bytes(training_rgb(scene, **kwargs))


__all__ = ["training_drawing", "training_svg", "training_rgb", "training_png"]
