"""Gradient clipping as Keras's optimizers do it, before weight decay and the update."""

from __future__ import annotations

import numpy as np


def clip_by_norm(grad: np.ndarray, clipnorm: float) -> np.ndarray:
    """g·c / max(‖g‖₂, c): scales a tensor whose L2 norm exceeds ``clipnorm`` down to it."""
    norm = np.sqrt(np.sum(np.square(grad)))
    return grad * grad.dtype.type(clipnorm) / np.maximum(norm, grad.dtype.type(clipnorm))


def clip_by_global_norm(grads: list, clipnorm: float) -> list:
    """All gradients times c·min(1/n, 1/c), n = √Σ‖gᵢ‖² over every tensor."""
    total = np.sqrt(sum(np.sum(np.square(g), dtype=np.float32) for g in grads))
    with np.errstate(divide="ignore"):
        scale = np.float32(clipnorm) * np.minimum(np.float32(1) / total,
                                                  np.float32(1) / np.float32(clipnorm))
    scale = scale + (total - total)  # a non-finite norm makes every gradient NaN, as in Keras
    return [g * g.dtype.type(scale) for g in grads]


def clip_gradients(grads: list, clipnorm=None, global_clipnorm=None, clipvalue=None) -> list:
    """Apply whichever of the three clips is set (0 and None mean off)."""
    if clipnorm and clipnorm > 0:
        return [clip_by_norm(g, clipnorm) for g in grads]
    if global_clipnorm and global_clipnorm > 0:
        return clip_by_global_norm(grads, global_clipnorm)
    if clipvalue and clipvalue > 0:
        return [np.clip(g, -g.dtype.type(clipvalue), g.dtype.type(clipvalue)) for g in grads]
    return grads
