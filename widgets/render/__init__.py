"""Renderers: scenes → a backend-neutral :class:`Drawing` → SVG text or an RGB raster / PNG.

One layout per scene type feeds both backends, so the GIF an export writes shows exactly what
the widget shows. Pure NumPy + Pillow: no ipywidgets, no matplotlib.

Examples
--------
>>> import numpy as np
>>> from convkit.widgets.render import png_bytes
>>> png_bytes(np.zeros((2, 2, 3), np.uint8))[:4]
b'\\x89PNG'
"""

from .drawing import Drawing, high_contrast, png_bytes, to_rgb, to_svg, upscale, without_text
from .scenes import (
                     conv_drawing,
                     resample_drawing,
                     scene_png,
                     scene_rgb,
                     scene_svg,
                     transposed_drawing,
)
from .separable import separable_drawing

__all__ = ["Drawing", "high_contrast", "without_text", "png_bytes", "to_rgb", "to_svg",
           "upscale", "conv_drawing",
           "resample_drawing", "transposed_drawing", "separable_drawing",
           "scene_png", "scene_rgb", "scene_svg"]
