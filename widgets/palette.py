"""Role colours (Okabe–Ito), the diverging value map and the legend text.

Colour never carries meaning alone: every role also has a text label (``ROLE_LABELS``) that the
renderers print next to the grid, and padding cells are hatched and print "0".

Examples
--------
>>> from convkit.widgets.palette import ROLE, hex_to_rgb
>>> ROLE["input"], hex_to_rgb(ROLE["output"])
('#0072B2', (0, 158, 115))
"""

import numpy as np

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}

#: One colour per role. The spares mark secondary highlights (inspect results, removed cells).
ROLE = {
    "input": OKABE_ITO["blue"],
    "kernel": OKABE_ITO["orange"],
    "output": OKABE_ITO["bluish_green"],
    "padding": "#D9D9D9",
    "window": "#000000",
    "highlight": OKABE_ITO["vermillion"],
    "secondary": OKABE_ITO["sky_blue"],
    "inserted": OKABE_ITO["reddish_purple"],
}

#: Text labels printed beside every pane so roles never depend on colour alone.
ROLE_LABELS = {"input": "INPUT", "kernel": "KERNEL", "output": "OUTPUT", "padding": "PADDING"}

# Diverging map: blue (negative) – white (0) – orange (positive), Okabe–Ito ends.
_NEG = np.array([0x00, 0x72, 0xB2], dtype=np.float64)
_POS = np.array([0xE6, 0x9F, 0x00], dtype=np.float64)
_MID = np.array([255.0, 255.0, 255.0])


def hex_to_rgb(colour: str) -> tuple:
    """``"#0072B2"`` → ``(0, 114, 178)``.

    Examples
    --------
    >>> hex_to_rgb("#E69F00")
    (230, 159, 0)
    """
    c = colour.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


def diverging_scale(values) -> float:
    """The symmetric limit the diverging map uses: max |value|, or 1 for an all-zero array.

    Examples
    --------
    >>> diverging_scale([-2.0, 1.0])
    2.0
    """
    v = np.asarray(values, dtype=np.float64)
    m = float(np.max(np.abs(v))) if v.size else 0.0
    return m if m > 0 and np.isfinite(m) else 1.0


def diverging_rgb(values, limit: float | None = None) -> np.ndarray:
    """Map values to uint8 RGB: −limit → blue, 0 → white, +limit → orange.

    Parameters
    ----------
    values : array_like
        Any shape; the result has one more axis of length 3.
    limit : float, optional
        The value mapped to full colour; defaults to :func:`diverging_scale`.

    Examples
    --------
    >>> diverging_rgb([-1.0, 0.0, 1.0]).tolist()
    [[0, 114, 178], [255, 255, 255], [230, 159, 0]]
    """
    v = np.asarray(values, dtype=np.float64)
    lim = diverging_scale(v) if limit is None else float(limit)
    t = np.clip(np.nan_to_num(v / lim), -1.0, 1.0)[..., None]
    rgb = np.where(t < 0, _MID + (-t) * (_NEG - _MID), _MID + t * (_POS - _MID))
    return np.rint(rgb).astype(np.uint8)


def grey_rgb(values, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Map values linearly to grey uint8 RGB (photos): ``lo`` → black, ``hi`` → white.

    Examples
    --------
    >>> grey_rgb([0.0, 1.0]).tolist()
    [[0, 0, 0], [255, 255, 255]]
    """
    v = np.asarray(values, dtype=np.float64)
    lo = float(np.min(v)) if lo is None and v.size else (lo or 0.0)
    hi = float(np.max(v)) if hi is None and v.size else (hi if hi is not None else 1.0)
    span = hi - lo if hi > lo else 1.0
    g = np.rint(np.clip((v - lo) / span, 0.0, 1.0) * 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


def text_colour(fill_rgb) -> str:
    """Black or white text, whichever contrasts more with ``fill_rgb`` (WCAG luminance)."""
    r, g, b = (c / 255.0 for c in fill_rgb[:3])
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if lum > 0.45 else "#FFFFFF"


def legend_text(limit: float) -> str:
    """Plain-text legend for the diverging map, shown beside every value view."""
    return (f"Colours: blue < 0 (−{limit:.3g}), white = 0, orange > 0 (+{limit:.3g}); "
            "PADDING hatched = 0.")


__all__ = ["OKABE_ITO", "ROLE", "ROLE_LABELS", "hex_to_rgb", "diverging_scale", "diverging_rgb",
           "grey_rgb", "text_colour", "legend_text"]
