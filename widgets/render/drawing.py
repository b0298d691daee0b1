"""A tiny retained drawing (rects, text, lines, images) with SVG and Pillow backends."""

import base64
import importlib.util
import io
import os
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..palette import hex_to_rgb

_SVG_STYLE = (".cell{stroke:#555;stroke-width:0.5}"
              ".window,.current{fill:none;stroke:#000;stroke-width:3}"
              ".inspect{fill:none;stroke:#D55E00;stroke-width:3;stroke-dasharray:5 3}"
              "text{font-family:'DejaVu Sans',Verdana,sans-serif}")
# projector mode: black cell borders, thicker outlines (see :func:`high_contrast`)
_SVG_STYLE_CONTRAST = (".cell{stroke:#000;stroke-width:1.2}"
                       ".window,.current{fill:none;stroke:#000;stroke-width:5}"
                       ".inspect{fill:none;stroke:#D55E00;stroke-width:5;stroke-dasharray:7 4}"
                       "text{font-family:'DejaVu Sans',Verdana,sans-serif}")
#: Line width of window/current/inspect outlines in the raster backend (normal, contrast).
_OUTLINE_PX = (3, 5)


class Drawing:
    """Primitives in pixel coordinates, in paint order.

    Examples
    --------
    >>> d = Drawing(40, 20, "demo")
    >>> d.rect(0, 0, 20, 20, "#0072B2", cls="cell", tooltip="INPUT[0] = 1")
    >>> d.text(30, 14, "1")
    >>> to_svg(d).startswith("<svg")
    True
    """

    def __init__(self, width: int, height: int, title: str = ""):
        self.width, self.height, self.title = int(width), int(height), title
        self.items = []
        self.contrast = False  # set by high_contrast(): thicker outlines in both backends

    def rect(self, x, y, w, h, fill=None, *, stroke=None, stroke_width=1, cls=None,
             tooltip=None, hatch=False):
        """A rectangle; ``cls`` = window/inspect draws the thick (dashed) outlines."""
        self.items.append(("rect", x, y, w, h, fill, stroke, stroke_width, cls, tooltip, hatch))

    def text(self, x, y, s, *, size=12, anchor="middle", fill="#000000", bold=False):
        """Text with its baseline at ``y``; anchor start/middle/end."""
        self.items.append(("text", x, y, str(s), size, anchor, fill, bold))

    def line(self, x1, y1, x2, y2, *, stroke="#000000", width=2, arrow=False):
        """A line, with an arrow head at (x2, y2) when ``arrow``."""
        self.items.append(("line", x1, y1, x2, y2, stroke, width, arrow))

    def image(self, x, y, rgb, scale: int = 1, tooltip=None):
        """An RGB uint8 array, upscaled by ``scale`` nearest-neighbour (crisp cells)."""
        self.items.append(("image", x, y, np.asarray(rgb, dtype=np.uint8), int(scale), tooltip))


def _lighten(colour, amount: float = 0.5) -> str:
    r, g, b = (int(round(c + (255 - c) * amount)) for c in _rgb(colour))
    return f"#{r:02X}{g:02X}{b:02X}"


def high_contrast(d: Drawing, factor: float = 1.25) -> Drawing:
    """Projector version of a drawing: everything ``factor`` × larger, black bold text,
    cell fills lightened halfway to white (black text reads on every cell), thicker outlines.

    Examples
    --------
    >>> d = Drawing(40, 20)
    >>> d.text(10, 10, "1", size=12, fill="#0072B2")
    >>> hc = high_contrast(d)
    >>> hc.width, hc.items[0][4], hc.items[0][6], hc.contrast
    (50, 15, '#000000', True)
    """
    out = Drawing(round(d.width * factor), round(d.height * factor), d.title)
    out.contrast = True
    f = factor
    for item in d.items:
        kind = item[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, sw, cls, tip, hatch = item
            if fill and cls == "cell":
                fill = _lighten(fill)
            out.items.append(("rect", x * f, y * f, w * f, h * f, fill,
                              "#000000" if stroke else None, sw * 1.5, cls, tip, hatch))
        elif kind == "text":
            _, x, y, s, size, anchor, _fill, _bold = item
            out.items.append(("text", x * f, y * f, s, int(round(size * f)), anchor, "#000000",
                              True))
        elif kind == "line":
            _, x1, y1, x2, y2, _stroke, width, arrow = item
            out.items.append(("line", x1 * f, y1 * f, x2 * f, y2 * f, "#000000",
                              int(round(width * 1.5)), arrow))
        elif kind == "image":
            _, x, y, rgb, scale, tip = item
            h, w = rgb.shape[:2]
            size = (max(1, round(w * scale * f)), max(1, round(h * scale * f)))
            big = np.asarray(Image.fromarray(upscale(rgb, scale), "RGB").resize(
                size, Image.Resampling.NEAREST))
            out.items.append(("image", x * f, y * f, big, 1, tip))
    return out


def without_text(d: Drawing, text: str) -> Drawing:
    """Drop the text items equal to ``text`` (the widget shows the caption once, as HTML;
    exported frames keep it so they explain themselves)."""
    d.items = [it for it in d.items if not (it[0] == "text" and it[3] == text)]
    return d


def upscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale so browsers don't blur cells.

    Examples
    --------
    >>> upscale(np.zeros((2, 3, 3), np.uint8), 4).shape
    (8, 12, 3)
    """
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1) if factor > 1 else rgb


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an (H, W, 3) uint8 array as PNG with Pillow (compress_level 1: speed matters)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(
        buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _arrow_head(x1, y1, x2, y2, size=8):
    v = np.array([x2 - x1, y2 - y1], dtype=float)
    length = np.hypot(*v) or 1.0
    u = v / length
    p = np.array([-u[1], u[0]])
    tip = np.array([x2, y2], dtype=float)
    base = tip - u * size
    return [tuple(tip), tuple(base + p * size / 2), tuple(base - p * size / 2)]


def to_svg(d: Drawing, aria_label: str | None = None) -> str:
    """Serialise as inline SVG: ``role="img"``, ``aria-label``, native ``<title>`` tooltips."""
    label = aria_label if aria_label is not None else d.title
    # max-width: a picture wider than the page (a narrow projector) shrinks to fit, keeping
    # its proportions, instead of being cut off at the right edge
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{d.width}" height="{d.height}" '
           f'viewBox="0 0 {d.width} {d.height}" style="max-width:100%;height:auto" '
           f'role="img" aria-label={quoteattr(label)}>',
           f"<title>{escape(label)}</title>"
           f"<style>{_SVG_STYLE_CONTRAST if d.contrast else _SVG_STYLE}</style>",
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#D9D9D9"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#9A9A9A" stroke-width="2"/></pattern>'
           '<marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" '
           'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#000"/></marker></defs>']
    for item in d.items:
        kind = item[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, sw, cls, tip, hatch = item
            attrs = f'x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}"'
            if cls:
                attrs += f' class="{cls}"'
            if hatch:
                attrs += ' fill="url(#hatch)"'
            elif fill:
                attrs += f' fill="{fill}"'
            elif not cls:
                attrs += ' fill="none"'  # SVG's default fill is black
            if stroke:
                attrs += f' stroke="{stroke}" stroke-width="{sw:g}"'
            if tip:
                out.append(f"<rect {attrs}><title>{escape(tip)}</title></rect>")
            else:
                out.append(f"<rect {attrs}/>")
        elif kind == "text":
            _, x, y, s, size, anchor, fill, bold = item
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
                       f'fill="{fill}"{weight}>{escape(s)}</text>')
        elif kind == "line":
            _, x1, y1, x2, y2, stroke, width, arrow = item
            head = ' marker-end="url(#head)"' if arrow else ""
            out.append(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" '
                       f'stroke="{stroke}" stroke-width="{width}"{head}/>')
        elif kind == "image":
            _, x, y, rgb, scale, tip = item
            data = base64.b64encode(png_bytes(rgb)).decode("ascii")
            h, w = rgb.shape[:2]
            tip_el = f"<title>{escape(tip)}</title>" if tip else ""
            out.append(f'<image x="{x:g}" y="{y:g}" width="{w * scale}" height="{h * scale}" '
                       f'style="image-rendering:pixelated" '
                       f'href="data:image/png;base64,{data}">{tip_el}</image>')
    out.append("</svg>")
    return "".join(out)


@lru_cache(maxsize=1)
def _font_path():
    # matplotlib ships DejaVu Sans; find it without importing matplotlib
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        path = os.path.join(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf",
                            "DejaVuSans.ttf")
        if os.path.exists(path):
            return path
    return None


@lru_cache(maxsize=32)
def _font(size: int, bold: bool):
    path = _font_path()
    if path:
        if bold and os.path.exists(path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")):
            path = path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=4096)
def text_width(s: str, size: int, bold: bool = False) -> float:
    """Width in px of ``s`` at font ``size`` in DejaVu Sans, the first font the SVG asks for
    (the browser's measure within a pixel or two, and the raster backend's exactly).

    Examples
    --------
    >>> text_width("10.75", 15) > text_width("1", 15)
    True
    """
    return float(_font(int(size), bool(bold)).getlength(str(s)))


@lru_cache(maxsize=64)
def _hatch_tile(w: int, h: int) -> Image.Image:
    tile = Image.new("RGB", (w, h), (0xD9, 0xD9, 0xD9))
    dr = ImageDraw.Draw(tile)
    for off in range(-h, w, 6):
        dr.line([(off, h), (off + h, 0)], fill=(0x9A, 0x9A, 0x9A), width=2)
    return tile


def _rgb(colour):
    return hex_to_rgb(colour) if isinstance(colour, str) else tuple(colour)


def to_rgb(d: Drawing) -> np.ndarray:
    """Rasterise with Pillow: (height, width, 3) uint8, non-antialiased text (few colours,
    so GIF palettes stay exact)."""
    img = Image.new("RGB", (d.width, d.height), (255, 255, 255))
    dr = ImageDraw.Draw(img)
    dr.fontmode = "1"
    for item in d.items:
        kind = item[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, sw, cls, _tip, hatch = item
            x0, y0, x1, y1 = int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))
            if hatch:
                img.paste(_hatch_tile(max(x1 - x0, 1), max(y1 - y0, 1)), (x0, y0))
            elif fill and cls not in ("window", "current", "inspect"):
                dr.rectangle([x0, y0, x1 - 1, y1 - 1], fill=_rgb(fill))
            px = _OUTLINE_PX[d.contrast]
            if cls in ("window", "current"):
                dr.rectangle([x0 - 1, y0 - 1, x1, y1], outline=(0, 0, 0), width=px)
            elif cls == "inspect":
                dr.rectangle([x0 - 1, y0 - 1, x1, y1], outline=(0xD5, 0x5E, 0x00), width=px)
            elif cls == "cell" or stroke:
                dr.rectangle([x0, y0, x1 - 1, y1 - 1], outline=_rgb(stroke or "#555555"),
                             width=max(1, int(sw)))
        elif kind == "text":
            _, x, y, s, size, anchor, fill, bold = item
            pil_anchor = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
            dr.text((x, y), s, fill=_rgb(fill), font=_font(int(size), bool(bold)),
                    anchor=pil_anchor)
        elif kind == "line":
            _, x1, y1, x2, y2, stroke, width, arrow = item
            dr.line([(x1, y1), (x2, y2)], fill=_rgb(stroke), width=int(width))
            if arrow:
                dr.polygon(_arrow_head(x1, y1, x2, y2), fill=_rgb(stroke))
        elif kind == "image":
            _, x, y, rgb, scale, _tip = item
            img.paste(Image.fromarray(upscale(rgb, scale), "RGB"), (int(x), int(y)))
    return np.asarray(img)


__all__ = ["Drawing", "to_svg", "to_rgb", "png_bytes", "upscale", "high_contrast",
           "without_text", "text_width"]
