"""Layouts: ConvScene / TransposedScene / ResampleScene → :class:`Drawing`.

Every pane is titled with its role in text (INPUT, KERNEL, OUTPUT, PADDING), the current
window is a thick black outline (``rect.window``, one per tap, so dilation shows its holes),
inspect results a dashed vermillion outline (``rect.inspect``), and the caption is printed
under the panes so an exported frame explains itself.
"""

import numpy as np

from ..palette import ROLE, diverging_scale, legend_text
from ..scene.text import fmt
from .drawing import Drawing, high_contrast, png_bytes, to_rgb, to_svg, without_text
from .grid import MAX_NUMBERED, as2d, digit_size, fit_cell, grid, outline, stems
from .matrix import matrix_pane
from .separable import separable_drawing

TOP = 34          # room for pane titles
GAP = 26          # between panes
FOOT = 46         # caption + legend lines


def _cell(shape_max: int, numbers: bool, cell: int, *values) -> int:
    """Numbered grids: ``cell`` widened to their widest number (:func:`fit_cell`); image
    grids: small enough that the picture stays about 320 px wide."""
    return fit_cell(cell, *values) if numbers else max(2, min(cell, 320 // max(shape_max, 1)))


def _product_bound(x, kernel) -> np.ndarray:
    """The most negative product a window of ``x`` times ``kernel`` can give: with the
    products themselves it sizes the PRODUCTS cells once for every step (no jitter)."""
    return np.array([-float(np.abs(x).max(initial=0)) * float(np.abs(kernel).max(initial=0))])


def _footer(d, y, caption, limit):
    d.text(10, y + 16, caption, anchor="start", size=12)
    d.text(10, y + 34, legend_text(limit), anchor="start", size=11, fill="#333333")


def _cells_2d(idx_list, rank):
    return [(0, p[0]) if rank == 1 else (p[0], p[1]) for p in idx_list]


def conv_drawing(scene, cell: int = 30, inspect: dict | None = None) -> Drawing:
    """Lay out a :class:`~convkit.widgets.scene.ConvScene`.

    ``inspect`` may hold ``inputs`` (padded positions), ``outputs`` and ``taps`` to outline.
    """
    rank = scene.config.rank
    C = scene.padded.shape[-1]
    f = scene.filter_index
    numbers = max(scene.padded.shape[:-1]) <= MAX_NUMBERED
    cs = _cell(max(scene.padded.shape[:-1]), numbers, cell, scene.padded)
    kcs = fit_cell(cell, scene.kernel, scene.products,
                   _product_bound(scene.padded, scene.kernel))
    digits = digit_size(cell)  # wider cells keep the same digits
    lim_in = diverging_scale(scene.padded)
    lim_out = diverging_scale(scene.output[..., f])
    lim_k = diverging_scale(scene.kernel)
    out2 = as2d(scene.output[..., f])
    order = np.arange(out2.size).reshape(out2.shape)
    hidden = order > scene.step
    panes_x = 10
    y0 = TOP
    widths, heights = [], []
    d = Drawing(10, 10, scene.caption)
    x = panes_x
    y = y0
    vertical = rank == 1
    win_cells = [(0, t) for t in scene.window[0]] if rank == 1 else [
        (i, j) for i in scene.window[0] for j in scene.window[1]]
    for c in range(C):
        grid_vals = as2d(scene.padded[..., c])
        w, h = grid(d, grid_vals, x, y, cs, name=f"INPUT ch{c}" if C > 1 else "INPUT",
                    role="input", limit=lim_in, hatch=as2d(scene.pad_mask), numbers=numbers,
                    digits=digits, label=f"INPUT{f' ch{c}' if C > 1 else ''} (padded "
                          f"{'×'.join(map(str, scene.padded.shape[:-1]))})")
        outline(d, x, y, cs, win_cells, "window")
        if inspect and inspect.get("inputs"):
            outline(d, x, y, cs, _cells_2d(inspect["inputs"], rank), "inspect")
        widths.append(w)
        heights.append(h)
        if vertical:
            # a stem plot of the signal under its strip, window taps highlighted
            y += h + 12 + stems(d, scene.padded[:, c], x, y + h + 12, cs, limit=lim_in,
                                mask=scene.pad_mask, taps=scene.window[0]) + TOP
        else:
            x += w + GAP
    # kernel and products, per channel
    for c in range(C):
        kv = as2d(scene.kernel[..., c, f])
        pv = as2d(scene.products[..., c])
        tag = f" ch{c}" if C > 1 else ""
        w1, h1 = grid(d, kv, x, y, kcs, name=f"KERNEL{tag}", role="kernel", limit=lim_k,
                      digits=digits, label=f"KERNEL{tag} (filter {f})")
        if inspect and inspect.get("taps"):
            outline(d, x, y, kcs, _cells_2d(inspect["taps"], rank), "inspect")
        if vertical:
            y += h1 + TOP + 4
            w2, h2 = grid(d, pv, x, y, kcs, name=f"PRODUCTS{tag}", role="kernel",
                          limit=diverging_scale(scene.products), digits=digits,
                          label=f"PRODUCTS{tag} (input × weight, sum {fmt(pv.sum())})")
            y += h2 + TOP + 4
            widths += [w1, w2]
        else:
            w2, h2 = grid(d, pv, x, y + h1 + TOP, kcs, name=f"PRODUCTS{tag}", role="kernel",
                          limit=diverging_scale(scene.products), digits=digits,
                          label=f"PRODUCTS{tag} (sum {fmt(pv.sum())})")
            widths.append(max(w1, w2, 150))
            heights.append(h1 + TOP + h2)
            x += max(w1, w2, 150) + GAP
    ocs = _cell(max(out2.shape), max(out2.shape) <= MAX_NUMBERED, cell, out2)
    w, h = grid(d, out2, x, y, ocs, name="OUTPUT", role="output", limit=lim_out, hidden=hidden,
                digits=digits,
                label=f"OUTPUT {'×'.join(map(str, scene.output.shape[:-1]))} (+ bias "
                      f"{fmt(scene.bias[f])})")
    pos = scene.position
    outline(d, x, y, ocs, [(0, pos[0]) if rank == 1 else pos], "current")
    if inspect and inspect.get("outputs"):
        outline(d, x, y, ocs, _cells_2d(inspect["outputs"], rank), "inspect")
    widths.append(w)
    heights.append(h)
    if vertical:
        y += h + 8
        d.width = int(max(widths) + 40)
    else:
        x += w
        y = y0 + max(heights) + 8
        d.width = int(max(x + 20, 700))
    _footer(d, y, scene.caption, max(lim_in, lim_out))
    d.height = int(y + FOOT)
    d.width = max(d.width, 8 * len(scene.caption) // 1 + 20)
    return d


def transposed_drawing(scene, cell: int = 30) -> Drawing:
    """Lay out a :class:`~convkit.widgets.scene.TransposedScene`: scatter row, zero-insertion
    row, and the identical badge."""
    d = Drawing(10, 10, scene.caption)
    lim = diverging_scale(scene.output)
    lim_x = diverging_scale(scene.x)
    x, y = 10, TOP
    xin = as2d(scene.x[..., 0])
    digits = digit_size(cell)  # wider cells keep the same digits
    xcs = fit_cell(cell, xin)
    wx, hx = grid(d, xin, x, y, xcs, name="INPUT", role="input", limit=lim_x, digits=digits,
                  label="INPUT (scatter view)")
    pos = scene.position
    outline(d, x, y, xcs, [(0, pos[0]) if scene.config.rank == 1 else pos], "current")
    x += wx + GAP
    kv = as2d(scene.kernel[..., 0, 0])
    kcs = fit_cell(cell, kv)
    wk, hk = grid(d, kv, x, y, kcs, name="KERNEL", role="kernel",
                  limit=diverging_scale(scene.kernel), digits=digits)
    x += wk + GAP
    d.line(x - GAP + 4, y + hk / 2, x - 4, y + hk / 2, arrow=True)
    part = as2d(scene.partial[..., 0])
    # one size for every step: the partial sums, the final output and the zero-insertion view
    ocs = (fit_cell(cell, part, scene.output, scene.zero_insertion)
           if max(part.shape) <= MAX_NUMBERED else 12)
    wo, ho = grid(d, part, x, y, ocs, name="OUTPUT", role="output", limit=lim, digits=digits,
                  label=f"OUTPUT so far (stamps 1…{scene.step + 1} added, cropped {scene.crop})")
    # the stamp cells of this step, in output coordinates
    config = scene.config
    taps = [np.arange(k) * dd + o - c for k, dd, o, c in
            zip(config.kernel_size, config.dilation_rate, scene.stamp_origin, scene.crop,
                strict=False)]
    out_sp = scene.output.shape[:-1]
    if config.rank == 1:
        cells = [(0, t) for t in taps[0] if 0 <= t < out_sp[0]]
    else:
        cells = [(i, j) for i in taps[0] for j in taps[1]
                 if 0 <= i < out_sp[0] and 0 <= j < out_sp[1]]
    outline(d, x, y, ocs, cells, "window")
    row1 = max(hx, hk, ho)
    x_end = x + wo
    # zero-insertion row
    x, y = 10, TOP + row1 + TOP + 10
    ins = as2d(scene.inserted[..., 0])
    kind = as2d(scene.inserted_kind)
    ics = fit_cell(cell, ins) if max(ins.shape) <= MAX_NUMBERED else 12
    tint = np.full(ins.shape + (3,), 255, dtype=np.uint8)
    from ..palette import diverging_rgb, hex_to_rgb
    tint[kind == 0] = diverging_rgb(ins, lim_x)[kind == 0]
    tint[kind == 1] = hex_to_rgb("#F3D6E7")  # inserted zeros: pale reddish purple
    wi, hi = grid(d, ins, x, y, ics, name="ZERO-INSERTED INPUT", role="input", limit=lim_x,
                  tint=tint, digits=digits, hatch=kind == 2,
                  label=f"INPUT, {np.max(config.strides) - 1} zero(s) between units")
    x += wi + GAP
    fk = as2d(scene.kernel[tuple(slice(None, None, -1) for _ in config.kernel_size)][..., 0, 0])
    wf, hf = grid(d, fk, x, y, kcs, name="FLIPPED KERNEL", role="kernel",
                  limit=diverging_scale(scene.kernel), label="KERNEL flipped", digits=digits)
    x += wf + GAP
    d.line(x - GAP + 4, y + hf / 2, x - 4, y + hf / 2, arrow=True)
    zo = as2d(scene.zero_insertion[..., 0])
    wz, hz = grid(d, zo, x, y, ocs, name="OUTPUT", role="output", limit=lim, digits=digits,
                  label="OUTPUT (stride-1 conv)")
    x_end = max(x_end, x + wz)
    y = y + max(hi, hf, hz) + 18
    badge = ("identical ✓ scatter = zero insertion = ops.conv_transpose" if scene.identical
             else "DIFFER ✗ scatter, zero insertion and ops.conv_transpose disagree")
    d.rect(10, y - 14, 10 + 7.4 * len(badge), 22, "#E8F5EF" if scene.identical else "#FBE3D6",
           stroke=ROLE["output"] if scene.identical else ROLE["highlight"], stroke_width=2)
    d.text(16, y + 2, badge, anchor="start", size=13, bold=True)
    if scene.matrix is not None:
        mx, mh = matrix_pane(d, scene.matrix, scene.step, 10, y + 8, cell)
        x_end, y = max(x_end, mx), y + mh
    y += 16
    for row in scene.ambiguity:
        marks = ", ".join(f"[{m}]" if m == row["chosen"] else str(m) for m in row["candidates"])
        ok = "" if row["maps_back"] else f" — {row['chosen']} does NOT map back to {row['n']}!"
        y += 18
        d.text(10, y, f"axis {row['axis']}: forward conv maps sizes {marks} to {row['n']}; "
                      f"output_padding={row['output_padding']} gives {row['chosen']}{ok}",
               anchor="start", size=12)
    _footer(d, y + 4, scene.caption, lim)
    d.width = int(max(x_end + 20, 7 * len(scene.caption) + 20, 640))
    d.height = int(y + 4 + FOOT)
    return d


def resample_drawing(scene, cell: int = 30) -> Drawing:
    """Lay out a :class:`~convkit.widgets.scene.ResampleScene` (3-D as depth slices)."""
    d = Drawing(10, 10, scene.caption)
    config = scene.config
    lim = diverging_scale(np.concatenate([scene.x.ravel(), scene.output.ravel()]))
    x, y = 10, TOP

    def slices(a):
        if config.rank == 3:
            return [(f" depth {k}", a[k]) for k in range(a.shape[0])]
        return [("", as2d(a))]

    in_taps = {tuple(i) for i, _ in scene.taps}
    digits = digit_size(cell)  # wider cells keep the same digits
    xs = slices(scene.x[..., 0])
    ms = slices(scene.in_mask)
    max_h = 0
    for k, ((tag, vals), (_, mask)) in enumerate(zip(xs, ms, strict=False)):
        ics = fit_cell(cell, scene.x) if max(vals.shape) <= MAX_NUMBERED else 8
        w, h = grid(d, vals, x, y, ics, name="INPUT", role="input", limit=lim, digits=digits,
                    hatch=mask if mask.any() else None,
                    label=f"INPUT{tag}" + (" (hatched: CROPPED away)" if mask.any() else ""))
        cells = []
        for t in in_taps:
            if config.rank == 3 and t[0] != k:
                continue
            cells.append((0, t[0]) if config.rank == 1 else t[-2:])
        outline(d, x, y, ics, cells, "inspect")
        x += w + GAP
        max_h = max(max_h, h)
    d.line(x - GAP + 4, y + 14, x + 10, y + 14, arrow=True)
    x += 20
    os_ = slices(scene.output[..., 0])
    oms = slices(scene.out_mask)
    pos = scene.position
    for k, ((tag, vals), (_, mask)) in enumerate(zip(os_, oms, strict=False)):
        ocs = fit_cell(cell, scene.output) if max(vals.shape) <= MAX_NUMBERED else 8
        order_hidden = None
        w, h = grid(d, vals, x, y, ocs, name="OUTPUT", role="output", limit=lim, digits=digits,
                    hatch=mask if mask.any() else None, hidden=order_hidden,
                    label=f"OUTPUT{tag}" + (" (hatched: PADDING zeros)" if mask.any() else ""))
        if config.rank != 3 or pos[0] == k:
            outline(d, x, y, ocs, [(0, pos[0]) if config.rank == 1 else pos[-2:]], "current")
        x += w + GAP
        max_h = max(max_h, h)
    y += max_h + 8
    _footer(d, y, scene.caption, lim)
    d.width = int(max(x, 7 * len(scene.caption) + 20, 560))
    d.height = int(y + FOOT)
    return d


def _drawing(scene, **kwargs) -> Drawing:
    name = type(scene).__name__
    if name == "ConvScene":
        return conv_drawing(scene, **kwargs)
    if name == "TransposedScene":
        return transposed_drawing(scene, **kwargs)
    if name == "ResampleScene":
        return resample_drawing(scene, **kwargs)
    if name == "SeparableScene":
        return separable_drawing(scene, **kwargs)
    raise TypeError(f"no layout for {name}")


def _styled(scene, contrast: bool = False, caption: bool = True, **kwargs) -> Drawing:
    d = _drawing(scene, **kwargs)
    if not caption:
        without_text(d, scene.caption)
    return high_contrast(d) if contrast else d


def scene_svg(scene, **kwargs) -> str:
    """Inline SVG of a scene, ``aria-label`` = the scene's caption.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.widgets.scene import ConvComputation, ConvConfig
    >>> svg = scene_svg(ConvComputation(ConvConfig(), np.ones((4, 4))).scene(0))
    >>> svg.startswith("<svg") and "aria-label" in svg
    True
    """
    return to_svg(_styled(scene, **kwargs), aria_label=scene.aria_label)


def scene_rgb(scene, **kwargs) -> np.ndarray:
    """The same layout rasterised: (H, W, 3) uint8 (GIF and PNG frames).

    ``contrast=True`` gives the projector version (:func:`high_contrast`); ``caption=False``
    leaves out the caption line (the widget shows it once, as HTML).
    """
    return to_rgb(_styled(scene, **kwargs))


def scene_png(scene, **kwargs) -> bytes:
    """PNG bytes of :func:`scene_rgb`."""
    return png_bytes(scene_rgb(scene, **kwargs))


__all__ = ["conv_drawing", "transposed_drawing", "resample_drawing", "scene_svg", "scene_rgb",
           "scene_png"]
