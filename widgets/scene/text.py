"""How scenes write numbers and positions: cell labels, tooltips, formula factors, indices."""

import numpy as np


def fmt(value) -> str:
    """Short label for a cell: integers without decimals, others with up to 2.

    Examples
    --------
    >>> fmt(3.0), fmt(-0.5), fmt(1.23456), fmt(-0.0)
    ('3', '-0.5', '1.23', '0')
    """
    v = float(value)
    if not np.isfinite(v):
        return str(v)
    if abs(v - round(v)) < 1e-6:
        return str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def fmt_full(value) -> str:
    """Tooltip precision (6 significant digits)."""
    return f"{float(value):.6g}"


def signed_term(value) -> str:
    """A factor in a formula, parenthesised when negative: ``(−2)``."""
    text = fmt(value)
    return f"({text.replace('-', '−')})" if text.startswith("-") else text


def axis_text(index) -> str:
    """``(1, 2)`` → ``"(1, 2)"``; ``(3,)`` → ``"3"`` (1-D positions read better bare)."""
    index = tuple(int(i) for i in index)
    return str(index[0]) if len(index) == 1 else "(" + ", ".join(map(str, index)) + ")"


__all__ = ["fmt", "fmt_full", "signed_term", "axis_text"]
