"""Receptive fields of a stack of conv and pooling layers, traced back layer by layer.

Each layer is read through its attributes only (duck typing): ``kernel_size`` or
``pool_size``, ``strides``, ``dilation_rate`` (1 for pooling) and ``padding``, so any
``convkit.layers`` conv or pooling layer works, including ones added after this module.

Per axis, with j the distance in input cells between neighbouring cells of a map ("jump"),
r the receptive-field size and ``start`` the input index where output cell 0's field begins:

    r_out = r_in + (k − 1)·d·j_in,   j_out = j_in·s,   start_out = start_in − p_before·j_in

Output cell i of the last map then spans input cells start + i·j … start + i·j + r − 1 (a
negative start reaches into padding). The exact cells an output reads — dilation leaves holes
— are traced back through every layer: the window of output o reads cells o·s + t·d − p_before.
:func:`brute_force_dependencies` checks them by perturbing every input cell of a copy of the
model whose weights are all ones and running convkit's forward pass.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np

from convkit import layers as ck_layers
from convkit import models
from convkit.ops import shapes

from . import common
from .common import CaptionedScene, SceneError
from .panes import Badge, Pane, cells_2d
from .text import axis_text


@dataclass(frozen=True)
class LayerGeometry:
    """What a layer does to positions: per-axis window, stride, dilation, and its padding."""

    name: str
    kind: str               # "conv", "max pool" or "average pool"
    kernel: tuple
    strides: tuple
    dilation: tuple
    padding: str

    def describe(self) -> str:
        """``conv k=3 s=1 d=2 same`` (per-axis values shown once when they agree)."""
        def one(values):
            return str(values[0]) if len(set(values)) == 1 else "×".join(map(str, values))
        text = f"{self.kind} k={one(self.kernel)} s={one(self.strides)}"
        if self.kind == "conv":
            text += f" d={one(self.dilation)}"
        return f"{text} {self.padding}"


def geometry_of(layer, rank: int) -> LayerGeometry:
    """The :class:`LayerGeometry` of a conv or pooling layer, read from its attributes.

    Raises
    ------
    SceneError
        For layers without a window (Dense, Flatten, ...), transposed convs, global pooling
        and channels_first layers, naming the layer.
    """
    name = getattr(layer, "name", type(layer).__name__)
    cls = type(layer).__name__
    window = getattr(layer, "kernel_size", None)
    kind = "conv"
    if window is None:
        window = getattr(layer, "pool_size", None)
        kind = "max pool" if "max" in cls.lower() else "average pool"
    if window is None or "Transpose" in cls:
        raise SceneError(f"layer '{name}' ({cls}) has no kernel_size or pool_size window",
                         "The receptive-field explorer traces conv and pooling layers (a "
                         "window, a stride, a dilation); this layer has no such window.")
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise SceneError(f"layer '{name}' uses data_format={layer.data_format!r}",
                         "The explorer draws channels_last models (the Keras default).")
    padding = str(getattr(layer, "padding", "valid")).lower()
    if padding not in ("valid", "same", "causal"):
        raise SceneError(f"layer '{name}' has padding={padding!r}",
                         "Only valid, same and causal paddings have a receptive field rule.")
    strides = getattr(layer, "strides", None) or window
    dilation = getattr(layer, "dilation_rate", 1) if kind == "conv" else 1
    return LayerGeometry(name=name, kind=kind, kernel=common.as_tuple(window, rank),
                         strides=common.as_tuple(strides, rank),
                         dilation=common.as_tuple(dilation, rank), padding=padding)


def stack_layers(model) -> list:
    """The layers of a ``Sequential`` (nested ones flattened) or of a list."""
    out = []
    for layer in (model.layers if hasattr(model, "layers") else model):
        out.extend(stack_layers(layer) if hasattr(layer, "layers") else [layer])
    return out


@dataclass
class AxisTrace:
    """One axis of the trace: map sizes, the r/j/start recursion and the exact index sets."""

    sizes: list             # n_0 (input) … n_L (output)
    pads: list              # (before, after) per layer
    r: list                 # receptive field size after each map (r_0 = 1)
    j: list                 # jump
    start: list             # start offset of output cell 0's field, in input cells
    lines: list             # the recursion with numbers, one line per layer


def trace_axis(geometries, axis: int, n: int) -> AxisTrace:
    """Sizes and the receptive-field recursion along ``axis`` for an input of length ``n``."""
    sizes, pads, r, j, start, lines = [n], [], [1], [1], [0], []
    for g in geometries:
        k, s, d = g.kernel[axis], g.strides[axis], g.dilation[axis]
        m = sizes[-1]
        out = shapes.conv_output_length(m, k, s, d, g.padding)
        if out <= 0:
            raise SceneError(f"layer '{g.name}' gets a map of length {m} and its window spans "
                             f"{shapes.effective_kernel(k, d)} cells: output length {out}",
                             "The stack shrinks the map below one cell: use a larger input, "
                             "'same' padding or fewer layers.")
        b, a = shapes.conv_padding(m, k, s, d, g.padding)
        pads.append((b, a))
        sizes.append(out)
        r.append(r[-1] + (k - 1) * d * j[-1])
        start.append(start[-1] - b * j[-1])
        j.append(j[-1] * s)
        lines.append(f"{g.name} ({g.describe()}): r = {r[-2]} + ({k} − 1)·{d}·{j[-2]} = "
                     f"{r[-1]};  j = {j[-2]}·{s} = {j[-1]};  start = {start[-2]} − {b}·{j[-2]}"
                     f" = {start[-1]}")
    return AxisTrace(sizes, pads, r, j, start, lines)


def dependency_sets(geometries, trace: AxisTrace, axis: int, cell: int) -> list:
    """Per map (input first), the sorted indices along ``axis`` that output ``cell`` reads."""
    sets = [[int(cell)]]
    for layer in range(len(geometries), 0, -1):
        g = geometries[layer - 1]
        k, s, d = g.kernel[axis], g.strides[axis], g.dilation[axis]
        b = trace.pads[layer - 1][0]
        below = trace.sizes[layer - 1]
        found = {o * s + t * d - b for o in sets[0] for t in range(k)}
        sets.insert(0, sorted(i for i in found if 0 <= i < below))
    return sets


@dataclass
class ReceptiveFieldScene(CaptionedScene):
    """One step: the output cell traced back ``step`` layers."""

    step: int
    n_steps: int
    cell: tuple             # the selected output cell
    panes: list             # one Pane per map, input first
    badges: list
    input_cells: list       # input cells the output cell depends on (exact, holes included)
    span: tuple             # per axis (first, last) input index of the field (may be padding)
    size: tuple             # per axis r
    caption: str
    formula: str
    lines: list             # the recursion with numbers, per layer (per axis when they differ)
    code: dict
    sentences: list = field(default_factory=list)


class ReceptiveFieldComputation:
    """The receptive fields of a stack for one input size; scenes per output cell and step.

    Parameters
    ----------
    model : Sequential or list of layers
        Conv and pooling layers (any layer with ``kernel_size``/``pool_size``).
    input_spatial : tuple of int
        The input's spatial shape (its rank is the layers' rank).
    check : bool
        Run the brute-force check (perturb every input cell) for the live badge.

    Examples
    --------
    >>> from convkit import layers, models
    >>> stack = [layers.Conv2D(1, 3), layers.Conv2D(1, 3), layers.Conv2D(1, 3)]
    >>> c = ReceptiveFieldComputation(stack, (9, 9), check=False)
    >>> c.size, c.out_spatial
    ((7, 7), (3, 3))
    """

    def __init__(self, model, input_spatial, *, check: bool = True):
        self.model = model
        self.rank = len(input_spatial)
        self.layers = stack_layers(model)
        if not self.layers:
            raise SceneError("the model has no layers", "Add at least one conv layer.")
        self.geometries = [geometry_of(layer, self.rank) for layer in self.layers]
        if any(g.padding == "causal" for g in self.geometries) and self.rank != 1:
            raise SceneError("causal padding in a 2-D stack",
                             "Causal padding exists for Conv1D only.")
        self.in_spatial = tuple(int(n) for n in input_spatial)
        self.traces = [trace_axis(self.geometries, ax, n)
                       for ax, n in enumerate(self.in_spatial)]
        self.out_spatial = tuple(t.sizes[-1] for t in self.traces)
        self.size = tuple(t.r[-1] for t in self.traces)
        self.jump = tuple(t.j[-1] for t in self.traces)
        self.n_steps = len(self.layers) + 1
        self.dependencies = brute_force_dependencies(self.layers, self.in_spatial) if check \
            else None

    def sets(self, cell) -> list:
        """Per axis, the per-map index sets of output ``cell``."""
        return [dependency_sets(self.geometries, trace, ax, c)
                for ax, (trace, c) in enumerate(zip(self.traces, cell, strict=False))]

    def input_cells(self, cell) -> list:
        """Every input cell output ``cell`` depends on (row-major)."""
        return list(itertools.product(*(s[0] for s in self.sets(cell))))

    def span(self, cell) -> tuple:
        """Per axis (first, last) input index of the field (negative / past the end: padding)."""
        return tuple((t.start[-1] + c * t.j[-1], t.start[-1] + c * t.j[-1] + t.r[-1] - 1)
                     for t, c in zip(self.traces, cell, strict=False))

    def badge(self, cell) -> Badge | None:
        """The scene's cells against the brute-force dependencies (None when not checked)."""
        if self.dependencies is None:
            return None
        brute = np.argwhere(self.dependencies[(Ellipsis,) + tuple(cell)])
        brute = sorted(tuple(int(i) for i in row) for row in brute)
        mine = sorted(self.input_cells(cell))
        ok = brute == mine
        return Badge("receptive field", "perturbing each input cell through the model", ok,
                     0.0 if ok else float(len(set(brute) ^ set(mine))))

    def lines(self) -> list:
        """The recursion with numbers, layer by layer (per axis when the axes differ)."""
        first = self.traces[0].lines
        if all(t.lines == first for t in self.traces):
            return list(first)
        names = ("rows", "cols")
        return [f"{names[ax]}: {line}" for ax, t in enumerate(self.traces) for line in t.lines]

    def scene(self, step: int, cell=None) -> ReceptiveFieldScene:
        """Output ``cell`` (default the centre) traced back ``step`` layers."""
        step = common.clamp(step, self.n_steps)
        cell = tuple(common.clamp(c, m) for c, m in
                     zip(cell if cell is not None else [m // 2 for m in self.out_spatial],
                         self.out_spatial, strict=False))
        per_axis = self.sets(cell)
        L = len(self.layers)
        panes = []
        for level in range(L + 1):
            shape = tuple(t.sizes[level] for t in self.traces)
            marked = np.zeros(shape, dtype=bool)
            if level >= L - step:
                marked[np.ix_(*(s[level] for s in per_axis))] = True
            size = "×".join(map(str, shape))
            title = ("INPUT " + size if level == 0 else
                     f"OUTPUT {size}" if level == L else f"{self.layers[level - 1].name} {size}")
            current = cells_2d([cell], self.rank) if level == L else []
            panes.append(Pane(title, "input" if level == 0 else "output",
                              np.zeros(shape, np.float32), current=current, marked=marked,
                              numbers=False, name=title.split(" ")[0]))
        inputs = self.input_cells(cell)
        span = self.span(cell)
        badge = self.badge(cell)
        reached = L - step
        where = ("the INPUT" if reached == 0 else
                 f"the output of {self.layers[reached - 1].name}")
        count = int(panes[reached].marked.sum())
        caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT cell {axis_text(cell)} traced "
                   f"back {step} layer(s) depends on {count} cell(s) of {where}.")
        if step == L:
            caption += (f" Receptive field {'×'.join(map(str, self.size))}: input "
                        + ", ".join(f"{a}…{b}" for a, b in span) + ".")
        r_text = ", ".join(f"r = {t.r[-1]}, j = {t.j[-1]}, start = {t.start[-1]}"
                           for t in self.traces[:1 if self._same_axes() else None])
        formula = (f"{r_text}; OUTPUT {axis_text(cell)} spans input "
                   + "; ".join(f"{t.start[-1]} + {c}·{t.j[-1]} = {a} … {a} + {t.r[-1]} − 1 "
                               f"= {b}" for t, c, (a, b) in
                               zip(self.traces, cell, span, strict=False)))
        return ReceptiveFieldScene(
            step=step, n_steps=self.n_steps, cell=cell, panes=panes,
            badges=[badge] if badge is not None else [], input_cells=inputs, span=span,
            size=self.size, caption=caption, formula=formula, lines=self.lines(),
            code=self.code(), sentences=self.sentences(inputs, span))

    def _same_axes(self) -> bool:
        return all(t.lines == self.traces[0].lines for t in self.traces)

    def sentences(self, inputs, span) -> list:
        out = []
        holes = int(np.prod([b - a + 1 for a, b in span])) - len(inputs)
        clipped = any(a < 0 or b >= n for (a, b), n in zip(span, self.in_spatial, strict=False))
        if clipped:
            out.append("Part of the field lies in the padding (the zeros 'same' or 'causal' "
                       "adds), so fewer real input cells are read.")
        if holes > 0 and not clipped:
            out.append(f"Dilation leaves {holes} cell(s) inside the span unread: stack layers "
                       "whose dilations fill each other's holes (1, 2, 4, 8) to cover it all.")
        out.append("Each layer adds (k − 1)·d·j cells: strides and pooling multiply j, so the "
                   "layers after them grow the field faster.")
        if self.dependencies is None:
            out.append("No live brute-force check for an input this large (one forward pass "
                       "per input cell); the test suite checks the same tracing on many "
                       "stacks.")
        return out

    def code(self) -> dict:
        """The convkit Sequential this stack is (Keras spells the layers the same)."""
        rows = []
        for layer in self.layers:
            rows.append(f"    layers.{type(layer).__name__}(...),  # {layer.name}: "
                        f"{geometry_of(layer, self.rank).describe()}")
        return {"convkit": "model = convkit.models.Sequential([\n" + "\n".join(rows) + "\n])"}


def brute_force_dependencies(stack, input_spatial) -> np.ndarray:
    """Boolean ``input_spatial + output_spatial``: True where the output cell changes when
    that input cell is perturbed, through convkit's forward pass.

    The model is copied layer by layer (``from_config``) with every kernel set to ones and
    every bias to zero, so no weight can cancel a path and a +1 perturbation raises every
    output that depends on the cell (max pooling included). One batch holds the unperturbed
    input and one perturbed input per cell.
    """
    copies = [type(layer).from_config(layer.get_config()) for layer in stack_layers(stack)]
    channels = _input_channels(stack)
    clone = models.Sequential(copies)
    clone.build((None,) + tuple(input_spatial) + (channels,))
    clone.set_weights([np.ones(w.shape, np.float32) if w.ndim > 1 else
                       np.zeros(w.shape, np.float32) for w in clone.get_weights()])
    n_cells = int(np.prod(input_spatial))
    batch = np.zeros((n_cells + 1,) + tuple(input_spatial) + (channels,), np.float32)
    for index, cell in enumerate(itertools.product(*(range(n) for n in input_spatial))):
        batch[(index + 1,) + cell] = 1.0
    y = np.asarray(clone(batch))
    changed = (y[1:] != y[:1]).any(axis=-1)                  # (cells, out…)
    return changed.reshape(tuple(input_spatial) + changed.shape[1:])


def _input_channels(stack) -> int:
    first = stack_layers(stack)[0]
    shape = getattr(first, "input_shape", None)
    if shape is not None and shape[-1] is not None:
        return int(shape[-1])
    kernel = getattr(first, "kernel", None)
    if kernel is not None:
        return int(np.asarray(kernel).shape[-2]) * int(getattr(first, "groups", 1) or 1)
    return 1


def has_layer(name: str) -> bool:
    """Whether ``convkit.layers`` has ``name`` right now (pooling is being added)."""
    return hasattr(ck_layers, name)


__all__ = ["LayerGeometry", "geometry_of", "stack_layers", "trace_axis", "dependency_sets",
           "ReceptiveFieldComputation", "ReceptiveFieldScene", "brute_force_dependencies",
           "has_layer"]
