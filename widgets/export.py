"""Export frames: animated GIF and PNG files with Pillow, a self-contained HTML player.

Frames are RGB uint8 arrays, as :meth:`Explorer.frame` or
:func:`convkit.widgets.render.scene_rgb` produce. No ffmpeg, no matplotlib figures, no URLs.

Examples
--------
>>> import numpy as np, tempfile, os
>>> frames = [np.full((4, 4, 3), v, np.uint8) for v in (0, 255)]
>>> path = to_gif(frames, os.path.join(tempfile.mkdtemp(), "a.gif"), fps=4)
>>> from PIL import Image
>>> Image.open(path).n_frames
2
"""

import base64
import html
import os

import numpy as np
from PIL import Image

from .render.drawing import png_bytes


def _same_size(frames):
    # GIF frames must share one canvas: pad smaller frames with white at the bottom/right
    h = max(f.shape[0] for f in frames)
    w = max(f.shape[1] for f in frames)
    out = []
    for f in frames:
        if f.shape[:2] != (h, w):
            canvas = np.full((h, w, 3), 255, np.uint8)
            canvas[: f.shape[0], : f.shape[1]] = f
            f = canvas
        out.append(np.ascontiguousarray(f, dtype=np.uint8))
    return out


def to_gif(frames, path, fps: float = 2.0, loop: int = 0):
    """Write ``frames`` as an animated GIF; ``duration`` = 1000/fps ms per frame.

    Each frame is quantised to its own adaptive palette; the renderers draw text without
    antialiasing, so a frame has far fewer than 256 colours and survives exactly.
    """
    frames = _same_size(list(frames))
    if not frames:
        raise ValueError("to_gif needs at least one frame")
    images = [Image.fromarray(f, "RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                 dither=Image.Dither.NONE) for f in frames]
    duration = int(round(1000.0 / fps))
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration, loop=loop,
                   disposal=1, optimize=False)
    return path


def to_frames(frames, directory, prefix: str = "frame") -> list:
    """Write ``frames`` as ``frame_000.png``, … into ``directory``; return the paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for i, f in enumerate(frames):
        p = os.path.join(directory, f"{prefix}_{i:03d}.png")
        with open(p, "wb") as fh:
            fh.write(png_bytes(f))
        paths.append(p)
    return paths


def to_html(frames, fps: float = 2.0, captions=None, title: str = "convkit animation") -> str:
    """A self-contained HTML page: inline base64 PNG frames, prev/play/next and a slider.

    Keyboard: the slider takes arrow keys; nothing moves until Play is pressed.
    """
    frames = list(frames)
    captions = list(captions) if captions is not None else [""] * len(frames)
    imgs = "".join(
        f'<img class="f" alt="{html.escape(c)}" style="display:{"block" if i == 0 else "none"};'
        f'image-rendering:pixelated" src="data:image/png;base64,'
        f'{base64.b64encode(png_bytes(f)).decode("ascii")}">'
        for i, (f, c) in enumerate(zip(frames, captions, strict=False)))
    interval = int(round(1000.0 / fps))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title></head><body style="font-family:sans-serif">
<div id="frames">{imgs}</div>
<p id="cap" aria-live="polite">{html.escape(captions[0] if captions else "")}</p>
<button id="prev">◀ prev</button><button id="play">▶ play</button><button id="next">next ▶</button>
<input id="step" type="range" min="0" max="{len(frames) - 1}" value="0" aria-label="step">
<script>
(function() {{
  var f = document.querySelectorAll('#frames img.f'), s = document.getElementById('step');
  var cap = document.getElementById('cap'), t = null;
  function show(i) {{ i = (i + f.length) % f.length; f.forEach(function(e, k) {{
    e.style.display = k === i ? 'block' : 'none'; }}); s.value = i; cap.textContent = f[i].alt; }}
  s.oninput = function() {{ show(+s.value); }};
  document.getElementById('prev').onclick = function() {{ show(+s.value - 1); }};
  document.getElementById('next').onclick = function() {{ show(+s.value + 1); }};
  document.getElementById('play').onclick = function() {{
    if (t) {{ clearInterval(t); t = null; this.textContent = '▶ play'; }}
    else {{ t = setInterval(function() {{ show(+s.value + 1); }}, {interval});
           this.textContent = '⏸ pause'; }} }};
}})();
</script></body></html>"""


__all__ = ["to_gif", "to_frames", "to_html"]
