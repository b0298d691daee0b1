"""What the reshaping layers share: rank, data format, dtype rule and spatial-shape helpers."""

import numpy as np

from ..ops import _arrays, shapes
from ..ops.arguments import standardize_data_format
from . import backprop
from .base import Layer


class SpatialReshapeLayer(Layer):
    """Base of Cropping*, ZeroPadding* and UpSampling*: no weights, exact input rank.

    Integer and bool inputs keep their dtype, floating inputs are cast to the layer dtype
    (docs/design/keras_parity.md D2).
    """

    rank: int = None
    pins_channels = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_ndim = self.rank + 2

    def _no_data_format(self, kwargs):
        """Cropping1D and UpSampling1D take no ``data_format`` (they always use axis 1)."""
        if "data_format" in kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{{'data_format': {kwargs['data_format']!r}}}")

    def _convert_input(self, inputs) -> np.ndarray:
        x = _arrays.as_array(inputs)
        if x.dtype.kind == "f":
            return x.astype(self._dtype, copy=False)
        return x

    def _forward_for_backward(self, x, training):
        # crop, pad and upsample are linear maps fixed by the shapes: their adjoint never
        # reads the inputs, so backward(x, dy) needs no forward pass
        return backprop.shape_only_context(self, x, training)

    def _backward(self, context, output_gradient):
        """The op's adjoint applied to ``output_gradient``; no weights, so no weight gradients."""
        if context.inputs.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__} '{self.name}': no gradient with respect to "
                            f"inputs of dtype {context.inputs.dtype}; only floating inputs are "
                            "differentiable.")
        return self._input_gradient(output_gradient), []

    def _input_gradient(self, output_gradient):
        """Subclass hook: the gradient with respect to the inputs (shaped like them)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _input_gradient()")

    def _spatial_axes(self) -> range:
        start = 2 if shapes.channel_axis(self.data_format) == 1 else 1
        return range(start, start + self.rank)

    def _map_spatial(self, input_shape, fn) -> tuple:
        """Apply ``fn(axis_index, size)`` to each known spatial size of ``input_shape``."""
        shape = list(input_shape)
        self._check_rank(tuple(shape))
        for i, axis in enumerate(self._spatial_axes()):
            if shape[axis] is not None:
                shape[axis] = fn(i, shape[axis])
        return tuple(shape)
