"""The backward-pass contract shared by every layer and model.

``layer.backward(inputs, output_gradient)`` returns ``(input_gradient, weight_gradients)``:
the gradient of a scalar loss with respect to the layer's inputs, and one gradient per entry
of ``layer.trainable_weights``, in that order, given the gradient with respect to its outputs.
It is a pure function of its arguments and the current weights.

A training step must not run each forward twice, so the work is split in two hooks that a
layer implements:

``_forward_with_context(inputs, training) -> (outputs, context)``
    The forward pass, keeping in a :class:`Context` what the backward pass needs (by default
    the inputs and outputs; pooling adds its argmax, batch normalisation its normalised
    inputs).
``_backward(context, output_gradient) -> (input_gradient, own_weight_gradients)``
    ``own_weight_gradients`` is aligned with the layer's own weights in creation order
    (``layer._weights``); ``None`` where a weight takes no gradient (moving statistics).

:meth:`Layer.backward` checks its arguments once, runs the forward with context and the
backward, and keeps the gradients of the trainable weights. A model's hooks chain its layers'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ops import _arrays


@dataclass
class Context:
    """What one forward pass leaves for its backward pass.

    Attributes
    ----------
    inputs, outputs : numpy.ndarray
        The layer's (converted) inputs and its outputs.
    training : bool or None
        The mode the forward pass ran in.
    saved : dict
        Anything else a layer's backward pass needs, under names the layer chooses.
    input_gradient : bool
        Whether the caller uses the input gradient. A training step does not for the model's
        first layer (its inputs are data, as in Keras and PyTorch); a layer may then return
        ``None`` for it instead of computing it.
    """

    inputs: np.ndarray
    outputs: np.ndarray
    training: bool | None = None
    saved: dict = field(default_factory=dict)
    input_gradient: bool = True


def shape_only_context(layer, x: np.ndarray, training) -> tuple:
    """``(outputs, context)`` for ``layer.backward`` of a layer whose gradient needs only the
    shape of its inputs (an average): ``outputs`` is a zero-stride stand-in of the output's
    shape and dtype, never read, so ``backward(x, dy)`` runs no forward pass. The output's
    shape comes from ``compute_output_shape``, which raises what the forward pass would for
    an impossible geometry."""
    shape = tuple(layer.compute_output_shape(x.shape))
    outputs = np.broadcast_to(np.zeros((), x.dtype), shape)
    return outputs, Context(inputs=x, outputs=outputs, training=training)


def check_output_gradient(layer, output_gradient, outputs: np.ndarray) -> np.ndarray:
    """``output_gradient`` as a C-contiguous array of the outputs' dtype, after checking it
    has the outputs' shape, a floating dtype and only finite values."""
    who = f"{type(layer).__name__} '{layer.name}'"
    g = _arrays.as_array(output_gradient, "output_gradient")
    if g.dtype.kind != "f":
        raise TypeError(f"{who}: `output_gradient` must be a floating-point array (float32 or "
                        f"float64). Received an array of dtype {g.dtype}.")
    if g.shape != outputs.shape:
        raise ValueError(f"{who}: `output_gradient` must have the shape of the layer's output "
                         f"for these inputs, {tuple(outputs.shape)}. Received shape "
                         f"{tuple(g.shape)}.")
    g = np.ascontiguousarray(g, dtype=outputs.dtype)
    if not _arrays.all_finite(g):
        raise ValueError(f"{who}: `output_gradient` holds NaN or infinite values; a gradient "
                         "must be finite.")
    return g


def trainable_gradients(layer, own_gradients) -> list:
    """Keep the gradients of ``layer``'s own weights that are in its ``trainable_weights``."""
    own = list(own_gradients)
    if len(own) != len(layer._weights):
        raise RuntimeError(f"{type(layer).__name__}._backward returned {len(own)} weight "
                           f"gradients for {len(layer._weights)} weights.")
    trainable = {id(w) for w in layer.trainable_weights}
    return [g for w, g in zip(layer._weights, own) if id(w) in trainable]
