"""Flatten and Reshape: rearrange the non-batch axes without touching the values (Keras 3's
``keras.layers.Flatten`` and ``keras.layers.Reshape``).

Both backward passes are the inverse rearrangement of the output gradient.
"""

import math

import numpy as np

from ..ops.arguments import standardize_data_format
from . import backprop
from .base import Layer


class Flatten(Layer):
    """Flatten every axis but the batch: ``(batch, d1, ..., dn)`` → ``(batch, d1 * ... * dn)``.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}, optional
        With ``channels_first`` the channels axis (1) is moved last before flattening, as
        Keras does, so the order of the flat features matches a channels_last model's.

    Raises
    ------
    ValueError
        For a ``data_format`` that is not one of the two names.
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> Flatten()(x)[0]
    array([0., 1., 2., 3., 4., 5., 6., 7.], dtype=float32)
    >>> Flatten(data_format="channels_first")(x)[0]
    array([0., 4., 1., 5., 2., 6., 3., 7.], dtype=float32)
    """

    pins_channels = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) < 1:
            raise ValueError(f"Input 0 of layer '{self.name}' (Flatten) is incompatible with "
                             f"the layer: expected min_ndim=1, found ndim=0. Full shape "
                             f"received: {shape}")

    def _moves_channels(self, rank: int) -> bool:
        return self.data_format == "channels_first" and rank > 2

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        rest = shape[1:]
        flat = None if None in rest else math.prod(rest)
        return (shape[0], flat)

    def call(self, inputs):
        x = inputs
        if self._moves_channels(x.ndim):
            x = np.moveaxis(x, 1, -1)
        return np.ascontiguousarray(x).reshape(x.shape[0], math.prod(x.shape[1:]))

    def _forward_for_backward(self, x, training):
        return backprop.shape_only_context(self, x, training)  # a reordering of the values

    def _backward(self, context, output_gradient):
        x = context.inputs
        if self._moves_channels(x.ndim):
            moved = (x.shape[0], *x.shape[2:], x.shape[1])
            dx = np.moveaxis(output_gradient.reshape(moved), -1, 1)
            return np.ascontiguousarray(dx), []
        return output_gradient.reshape(x.shape), []

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


def _check_target_shape(target_shape) -> tuple:
    """``target_shape`` as a tuple of ints >= -1 with at most one -1 (Keras's rule)."""
    try:
        shape = tuple(target_shape)
    except TypeError:
        raise TypeError("`target_shape` must be a tuple or list of ints. Received: "
                        f"target_shape={target_shape!r}") from None
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError("Each dimension in `target_shape` must be an int. Received: "
                            f"target_shape={target_shape!r}")
        if d < -1:
            raise ValueError("Each dimension in `target_shape` must be a non-negative integer, "
                             "or `-1` for a single unknown dimension. Received: "
                             f"target_shape={shape}.")
    if shape.count(-1) > 1:
        raise ValueError("There must be at most one unknown dimension (-1) in "
                         f"`target_shape`. Received: target_shape={shape}.")
    return tuple(int(d) for d in shape)


class Reshape(Layer):
    """Reshape the non-batch axes to ``target_shape`` (one entry may be -1: inferred).

    Parameters
    ----------
    target_shape : tuple of int
        The output shape without the batch axis; a shape whose size differs from the
        input's is a ValueError.

    Raises
    ------
    TypeError
        At construction, for a ``target_shape`` that is not a tuple of ints.
    ValueError
        At construction, for more than one ``-1`` or a size below 1. When called, if the
        input's size per sample does not match ``target_shape``.

    Examples
    --------
    >>> import numpy as np
    >>> Reshape((-1, 2))(np.zeros((3, 4, 3))).shape
    (3, 6, 2)
    """

    pins_channels = False

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = _check_target_shape(target_shape)

    def _resolved(self, input_shape) -> tuple:
        """The output's non-batch shape for ``input_shape`` (None where unknown)."""
        rest = tuple(input_shape)[1:]
        target = self.target_shape
        if None in rest:
            return tuple(None if d == -1 else d for d in target)
        size = math.prod(rest)
        if -1 not in target:
            if size != math.prod(target):
                raise ValueError("The total size of the tensor must be unchanged. Received: "
                                 f"input_shape={rest}, target_shape={target}")
            return target
        known = math.prod(d for d in target if d != -1)
        if known == 0 or size % known:
            raise ValueError("The total size of the tensor must be unchanged, however, the "
                             "input size cannot by divided by the specified dimensions in "
                             f"target_shape. Received: input_shape={rest}, "
                             f"target_shape={target}")
        return tuple(size // known if d == -1 else d for d in target)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) < 1:
            raise ValueError(f"Input 0 of layer '{self.name}' (Reshape) needs a batch axis. "
                             f"Full shape received: {shape}")

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return (shape[0], *self._resolved(shape))

    def call(self, inputs):
        return np.ascontiguousarray(inputs).reshape(self.compute_output_shape(inputs.shape))

    def _forward_for_backward(self, x, training):
        return backprop.shape_only_context(self, x, training)

    def _backward(self, context, output_gradient):
        return output_gradient.reshape(context.inputs.shape), []

    def get_build_config(self):
        # Keras builds this weightless layer at construction, so its files carry no
        # build_config for it; nor do ours
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}
