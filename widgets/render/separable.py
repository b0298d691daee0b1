"""Layout of a :class:`~convkit.widgets.scene.separable.SeparableScene` as a :class:`Drawing`.

One row per input channel: its padded slice with the window (``rect.window``), then per
depth multiplier its KERNEL and its DEPTHWISE map with the current cell (``rect.current``). On
the right the pointwise stage: the depthwise values at this position, the 1×1 mixing matrix
with the current output channel's column outlined, and the OUTPUT channel. A badge states
whether depthwise → 1×1 ``ops.conv`` equals ``ops.separable_conv``.
"""

import numpy as np

from ..palette import ROLE, diverging_scale, legend_text
from ..scene.text import fmt
from .drawing import Drawing
from .grid import MAX_NUMBERED, digit_size, fit_cell, grid, outline

TOP = 34
GAP = 26


def separable_drawing(scene, cell: int = 28) -> Drawing:
    """Lay out both stages of a separable convolution for one output position."""
    d = Drawing(10, 10, scene.caption)
    C = scene.padded.shape[-1]
    M = scene.config.depth_multiplier
    f = scene.filter_index
    numbers = max(scene.padded.shape[:2]) <= MAX_NUMBERED
    cs = fit_cell(cell, scene.padded) if numbers else max(2, 320 // max(scene.padded.shape[:2]))
    # one size for the kernels, maps and 1×1 weights, wide enough for every number they show
    ncs = fit_cell(cell, scene.depthwise_kernel, scene.depthwise, scene.dw_values,
                   scene.pointwise, scene.output)
    digits = digit_size(cell)  # wider cells keep the same digits
    lim_in = diverging_scale(scene.padded)
    lim_k = diverging_scale(scene.depthwise_kernel)
    lim_dw = diverging_scale(scene.depthwise)
    win_cells = [(i, j) for i in scene.window[0] for j in scene.window[1]]
    pos = scene.position
    x_max, y = 10, TOP
    for c in range(C):
        x = 10
        w, h = grid(d, scene.padded[..., c], x, y, cs, name=f"INPUT ch{c}", role="input",
                    digits=digits, limit=lim_in, hatch=scene.pad_mask, numbers=numbers,
                    label=f"INPUT ch{c} (padded {scene.padded.shape[0]}×"
                          f"{scene.padded.shape[1]})")
        outline(d, x, y, cs, win_cells, "window")
        x += w + GAP
        row_h = h
        for m in range(M):
            q = c * M + m
            kw, kh = grid(d, scene.depthwise_kernel[..., c, m], x, y, ncs,
                          name=f"KERNEL ch{c}", role="kernel", limit=lim_k, digits=digits,
                          label=f"KERNEL c{c} m{m}")
            d.text(x, y + kh + 16, f"Σ products = {fmt(scene.dw_products[..., c, m].sum())}",
                   anchor="start", size=11)
            x += max(kw, 90) + GAP
            d.line(x - GAP + 2, y + kh / 2, x - 4, y + kh / 2, arrow=True)
            ow, oh = grid(d, scene.depthwise[..., q], x, y, ncs, name=f"DEPTHWISE d{q}",
                          digits=digits, role="output", limit=lim_dw, label=f"DEPTHWISE d{q}")
            outline(d, x, y, ncs, [pos], "current")
            # which map feeds the shown output channel, and with which 1×1 weight
            d.text(x, y + oh + 16, f"ch{c}⋆k{m}; × {fmt(scene.pointwise[q, f])} → out{f}",
                   anchor="start", size=11)
            x += max(ow, 130) + GAP
            row_h = max(row_h, oh + 20, kh + 20)
        x_max = max(x_max, x)
        y += row_h + TOP + 6
    rows_bottom = y
    # pointwise stage, to the right of the channel rows
    x, y = x_max + 10, TOP
    vals = scene.dw_values[:, None]
    vw, vh = grid(d, vals, x, y, ncs, digits=digits, name="d", role="output", limit=lim_dw,
                  label=f"d at {pos}", index_fmt=lambda i, j: f"{i}")
    x += max(vw, 70) + 8
    d.text(x - 2, y + vh / 2 + 6, "·", size=26, anchor="end", bold=True)
    pw_w, pw_h = grid(d, scene.pointwise, x, y, ncs, name="POINTWISE", role="kernel",
                      digits=digits, limit=diverging_scale(scene.pointwise),
                      label=f"POINTWISE 1×1 ({scene.pointwise.shape[0]} maps × "
                            f"{scene.pointwise.shape[1]} filters)",
                      index_fmt=lambda i, j: f"[d{i} → out ch{j}]")
    outline(d, x, y, ncs, [(i, f) for i in range(scene.pointwise.shape[0])], "current")
    d.text(x + f * ncs + ncs / 2, y + pw_h + 16, f"col {f}", size=11)
    x += max(pw_w, 120) + GAP
    out = scene.output[..., f]
    mid = y + min(pw_h, out.shape[0] * ncs) / 2
    d.line(x - GAP + 2, mid, x - 4, mid, arrow=True)
    order = np.arange(out.size).reshape(out.shape)
    ow, oh = grid(d, out, x, y, ncs, digits=digits, name="OUTPUT", role="output",
                  limit=diverging_scale(scene.output), hidden=order > scene.step,
                  label=f"OUTPUT ch{f} {out.shape[0]}×{out.shape[1]} (+ bias "
                        f"{fmt(scene.bias[f])})")
    outline(d, x, y, ncs, [pos], "current")
    x_end = x + ow
    y = max(rows_bottom, TOP + max(vh, pw_h, oh) + 40)
    badge = ("identical ✓ depthwise → 1×1 ops.conv = ops.separable_conv" if scene.identical
             else "DIFFER ✗ depthwise → 1×1 ops.conv and ops.separable_conv disagree")
    d.rect(10, y - 14, 10 + 7.4 * len(badge), 22, "#E8F5EF" if scene.identical else "#FBE3D6",
           stroke=ROLE["output"] if scene.identical else ROLE["highlight"], stroke_width=2)
    d.text(16, y + 2, badge, anchor="start", size=13, bold=True)
    costs = scene.costs
    y += 22
    if costs.get("plain") is not None:
        line = (f"Parameters: SeparableConv2D {costs['separable']} vs Conv2D"
                f"{'' if costs['groups'] == 1 else ' groups=' + str(costs['groups'])} "
                f"{costs['plain']}; multiply-adds per output position "
                f"{costs['macs_separable']} vs {costs['macs_plain']}")
    else:
        line = f"Parameters: SeparableConv2D {costs['separable']} (Conv2D: not possible)"
    d.text(10, y + 4, line, anchor="start", size=12)
    d.text(10, y + 24, scene.caption, anchor="start", size=12)
    d.text(10, y + 42, legend_text(max(lim_in, lim_dw)), anchor="start", size=11,
           fill="#333333")
    d.width = int(max(x_end + 20, 7 * len(scene.caption) + 20, 6.6 * len(line) + 20, 640))
    d.height = int(y + 54)
    return d


__all__ = ["separable_drawing"]
