"""Panes: the plain-data unit the backprop and receptive-field scenes are made of.

A :class:`Pane` is one labelled grid (values, the role that colours its title, the cells to
outline, hatched padding, tinted cells); a :class:`Badge` is one live check of a picture
against the layer's own numbers. Renderers lay panes out in a row with arrows between them.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pane:
    """One labelled grid of a scene.

    Attributes
    ----------
    title : str
        The role in words ("OUTPUT GRADIENT dy", "KERNEL flipped", ...), never colour alone.
    role : str
        ``palette.ROLE`` key colouring the title and frame.
    values : numpy.ndarray
        1-D (drawn as one row) or 2-D.
    outline : list of tuple
        Cells (row, col) outlined as the current window (``rect.window``).
    current : list of tuple
        Cells outlined as this step's target (``rect.current``).
    hatch : numpy.ndarray or None
        True on padding cells (hatched, printing 0).
    inserted : numpy.ndarray or None
        True on zeros inserted between units (tinted, printing 0).
    hidden : numpy.ndarray or None
        True on cells not computed yet at this step (blank).
    marked : numpy.ndarray or None
        True on cells a receptive field covers (drawn with a mark, not only a colour).
    numbers : bool
        Print the values in the cells.
    name : str
        Short name in cell tooltips (``dy[1, 2] = 3``); the title's first words otherwise.
    """

    title: str
    role: str
    values: np.ndarray
    outline: list = field(default_factory=list)
    current: list = field(default_factory=list)
    hatch: np.ndarray | None = None
    inserted: np.ndarray | None = None
    hidden: np.ndarray | None = None
    marked: np.ndarray | None = None
    numbers: bool = True
    name: str = ""              # short name for cell tooltips ("dy", "dx"); default: title


@dataclass
class Badge:
    """A live comparison: ``ok`` when the picture ``name`` equals ``reference``."""

    name: str
    reference: str
    ok: bool
    max_error: float

    @property
    def text(self) -> str:
        """What the badge prints: identical ✓ or DIFFERS ✗ with the largest difference."""
        if self.ok:
            return f"{self.name} = {self.reference} ✓"
        return f"{self.name} DIFFERS from {self.reference} ✗ (max |Δ| = {self.max_error:.3g})"


def compare(name: str, reference_name: str, picture, reference) -> Badge:
    """A :class:`Badge` for ``picture`` vs ``reference``: equal shapes and values within
    float32 rounding of the largest magnitude involved."""
    picture = np.asarray(picture, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if picture.shape != reference.shape:
        return Badge(name, reference_name, False, float("inf"))
    error = float(np.max(np.abs(picture - reference))) if picture.size else 0.0
    scale = max(1.0, float(np.max(np.abs(reference))) if reference.size else 1.0)
    return Badge(name, reference_name, bool(error <= 1e-5 * scale), error)


def cells_2d(indices, rank: int) -> list:
    """Spatial indices → (row, col) cells of the drawn grid (1-D strips are one row)."""
    return [(0, int(i[0])) if rank == 1 else (int(i[0]), int(i[1])) for i in indices]


__all__ = ["Pane", "Badge", "compare", "cells_2d"]
