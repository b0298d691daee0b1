"""The matrix pane of the transposed-conv layout: C, Cᵀ, x and Cᵀ·x, current row/column outlined.

Rows of C are the forward conv's outputs (= the transposed conv's inputs), columns its inputs
(= the transposed conv's outputs), both flattened row-major; the current step's input i is row
i of C and column i of Cᵀ (``rect.current``).
"""

from ..palette import ROLE, diverging_scale
from .grid import digit_size, fit_cell, grid, outline

GAP = 26
TOP = 34


def matrix_pane(d, mv, step: int, x: int, y: int, cell: int = 30) -> tuple:
    """Draw a :class:`~convkit.widgets.scene.matrix.MatrixView` at (x, y).

    Returns (right edge, height) in pixels.
    """
    base = min(cell, 22)
    # one size for the four grids (C, Cᵀ, x and Cᵀx share rows), wide enough for every number
    digits = digit_size(base)
    cs = fit_cell(base, mv.C, mv.x, *([] if mv.product is None else [mv.product]))
    y += TOP
    lim = diverging_scale(mv.C)
    n_out, n_in = mv.C.shape
    i = min(step, n_out - 1)
    w1, h1 = grid(d, mv.C, x, y, cs, name="C", role="kernel", limit=lim, digits=digits,
                  label=f"C: forward conv {'×'.join(map(str, mv.forward_in))} → "
                        f"{'×'.join(map(str, mv.forward_out))} ({n_out}×{n_in})",
                  index_fmt=lambda r, c: f"[out {r} ← in {c}]")
    outline(d, x, y, cs, [(i, c) for c in range(n_in)], "current")
    x += w1 + GAP
    w2, h2 = grid(d, mv.CT, x, y, cs, name="Cᵀ", role="kernel", limit=lim, digits=digits,
                  label=f"Cᵀ ({n_in}×{n_out})", index_fmt=lambda r, c: f"[out {r} ← in {c}]")
    outline(d, x, y, cs, [(r, i) for r in range(n_in)], "current")
    x += w2 + 12
    d.text(x, y + h2 / 2 + 6, "·", size=26, anchor="start", bold=True)
    x += 14
    lim_x = diverging_scale(mv.x)
    w3, h3 = grid(d, mv.x[:, None], x, y, cs, name="x", role="input", limit=lim_x, digits=digits,
                  label="x", index_fmt=lambda r, c: f"[{r}]")
    outline(d, x, y, cs, [(i, 0)], "current")
    x += max(w3, 30) + 8
    height = max(h1, h2, h3)
    if mv.product is not None:
        d.text(x, y + h2 / 2 + 6, "=", size=18, anchor="start", bold=True)
        x += 18
        w4, h4 = grid(d, mv.product[:, None], x, y, cs, name="Cᵀx", role="output", digits=digits,
                      limit=diverging_scale(mv.product), label="Cᵀ·x",
                      index_fmt=lambda r, c: f"[{r}]")
        height = max(height, h4)
        x += w4
    y += height + 20
    good = mv.agrees
    d.rect(10, y - 14, 12 + 6.9 * len(mv.note), 22, "#E8F5EF" if good else "#FBE3D6",
           stroke=ROLE["output"] if good else ROLE["highlight"], stroke_width=2)
    d.text(16, y + 2, mv.note, anchor="start", size=12, bold=True)
    return int(max(x, 16 + 6.9 * len(mv.note))), int(TOP + height + 30)



__all__ = ["matrix_pane"]
