"""The ``summary()`` table: one row per layer of a model, then the parameter totals.

The layout follows Keras 3's: a nested model is one row, ``name (Sequential)``, with its output
shape and its whole parameter count; unknown shapes read ``?`` and unbuilt layers
``0 (unbuilt)``.
"""

import numpy as np

_HEADER = ("Layer (type)", "Output Shape", "Param #")
_ALIGN = ("<", "<", ">")


def format_shape(shape) -> str:
    """``(None, 8, 8, 3)`` as Keras prints it; ``?`` when unknown.

    Examples
    --------
    >>> format_shape((None, 8)), format_shape((None,)), format_shape(None)
    ('(None, 8)', '(None,)', '?')
    """
    if shape is None:
        return "?"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def format_bytes(n: float) -> str:
    """A byte count the way Keras's summary prints it.

    Examples
    --------
    >>> format_bytes(448), format_bytes(3 * 1024 ** 2)
    ('448.00 B', '3.00 MB')
    """
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def _layer_row(layer, output_shape) -> tuple:
    params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    return f"{layer.name} ({type(layer).__name__})", format_shape(output_shape), params


def _totals(trainable_weights, non_trainable_weights) -> list:
    def size_and_bytes(weights):
        return (sum(int(np.prod(w.shape)) for w in weights),
                sum(w.value.nbytes for w in weights))

    trainable, bytes_t = size_and_bytes(trainable_weights)
    frozen, bytes_n = size_and_bytes(non_trainable_weights)
    return [f" Total params: {trainable + frozen:,} ({format_bytes(bytes_t + bytes_n)})",
            f" Trainable params: {trainable:,} ({format_bytes(bytes_t)})",
            f" Non-trainable params: {frozen:,} ({format_bytes(bytes_n)})"]


def render_summary(model, output_shapes, line_length: int = 80) -> str:
    """The summary of ``model``: a row per layer of ``model.layers`` (output shapes given in
    the same order, None where unknown), then total, trainable and non-trainable counts.

    Examples
    --------
    >>> from convkit import layers, models
    >>> net = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1), name="c")], name="n")
    >>> print(render_summary(net, [(None, 6, 2)], line_length=60))
    Model: "n"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
    ┃ Layer (type)                 ┃ Output Shape         ┃      Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
    │ c (Conv1D)                   │ (None, 6, 2)         │            8 │
    └──────────────────────────────┴──────────────────────┴──────────────┘
     Total params: 8 (32.00 B)
     Trainable params: 8 (32.00 B)
     Non-trainable params: 0 (0.00 B)
    """
    rows = [_layer_row(layer, shape) for layer, shape in zip(model.layers, output_shapes)]
    widths = [max(30, line_length * 4 // 10), max(22, line_length * 3 // 10), 14]
    widths[1] = max(widths[1], line_length - widths[0] - widths[2] - 4)
    for cells in rows:  # long names or shapes widen their column, never misalign it
        widths = [max(w, len(c) + 2) for w, c in zip(widths, cells)]

    def row(cells, edge="│"):
        parts = [f" {c:{a}{w - 2}} " for c, w, a in zip(cells, widths, _ALIGN)]
        return edge + edge.join(parts) + edge

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━"), row(_HEADER, "┃"),
             rule("┡", "╇", "┩", "━")]
    for i, cells in enumerate(rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines.append(row(cells))
    lines.append(rule("└", "┴", "┘", "─"))
    return "\n".join(lines + _totals(model.trainable_weights, model.non_trainable_weights))
