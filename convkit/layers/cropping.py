"""Cropping1D/2D/3D: remove rows, columns and planes at the borders (docs/design/keras_parity.md
§3.5)."""

from .. import ops
from ..ops.arguments import standardize_pairs, standardize_tuple
from ._spatial import SpatialReshapeLayer


class _Cropping(SpatialReshapeLayer):
    def _check_fits(self, input_shape):
        for i, axis in enumerate(self._spatial_axes()):
            size = input_shape[axis]
            if size is not None and sum(self.cropping[i]) >= size:
                raise ValueError(
                    f"Values in `cropping` argument should be smaller than the corresponding "
                    f"spatial dimension of the input. Received: "
                    f"input_shape={tuple(input_shape)}, cropping={self.cropping}")

    def compute_output_shape(self, input_shape) -> tuple:
        self._check_fits(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping[i]))

    def call(self, inputs):
        self._check_fits(inputs.shape)
        return ops.crop(inputs, self._pairs(), data_format=self.data_format)

    def _pairs(self):
        return self.cropping

    def _input_gradient(self, output_gradient):
        return ops.crop_gradient(output_gradient, self._pairs(), data_format=self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Crop the steps axis (axis 1) of ``(batch, steps, features)`` inputs.

    Parameters
    ----------
    cropping : int or tuple of 2 ints
        How many steps to remove at the start and at the end (an int crops both by the same).

    Raises
    ------
    ValueError
        At construction, for a negative, non-integer or wrongly shaped amount (the message
        names the argument). When called, for an input of the wrong rank, or one too small for
        the amounts.
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(6.0).reshape(1, 6, 1))[0, :, 0]
    array([1., 2., 3.], dtype=float32)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        self._no_data_format(kwargs)
        super().__init__(data_format="channels_last", **kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)

    def _pairs(self):
        return (self.cropping,)

    def compute_output_shape(self, input_shape) -> tuple:
        self._check_fits(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping))

    def _check_fits(self, input_shape):
        if len(input_shape) > 1 and input_shape[1] is not None and \
                sum(self.cropping) >= input_shape[1]:
            raise ValueError(
                "`cropping` parameter of `Cropping1D` layer must be smaller than the input "
                f"length. Received: input_shape={tuple(input_shape)}, "
                f"cropping={self.cropping}")

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]  # Cropping1D has no data_format argument
        return config


class Cropping2D(_Cropping):
    """Crop height and width. The default crops nothing.

    Parameters
    ----------
    cropping : int, tuple of 2 ints, or tuple of 2 tuples of 2 ints
        Same on every side; symmetric per axis ``(height, width)``; or
        ``((top, bottom), (left, right))``.
    data_format : {"channels_last", "channels_first"}, optional

    Raises
    ------
    ValueError
        At construction, for a negative, non-integer or wrongly shaped amount (the message
        names the argument). When called, for an input of the wrong rank, or one too small for
        the amounts.
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping2D(((2, 2), (4, 4)))(np.zeros((1, 28, 28, 3))).shape
    (1, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = standardize_pairs(cropping, 2, "cropping")


class Cropping3D(_Cropping):
    """Crop depth, height and width. The default crops 1 from every side.

    Parameters
    ----------
    cropping : int, tuple of 3 ints, or tuple of 3 tuples of 2 ints
    data_format : {"channels_last", "channels_first"}, optional

    Raises
    ------
    ValueError
        At construction, for a negative, non-integer or wrongly shaped amount (the message
        names the argument). When called, for an input of the wrong rank, or one too small for
        the amounts.
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping3D()(np.zeros((1, 4, 5, 6, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = standardize_pairs(cropping, 3, "cropping")
