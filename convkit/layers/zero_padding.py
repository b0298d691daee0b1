"""ZeroPadding1D/2D/3D: add rows, columns and planes of exact zeros (docs/design/keras_parity.md
§3.6)."""

from .. import ops
from ..ops.arguments import standardize_pairs, standardize_tuple
from ._spatial import SpatialReshapeLayer


class _ZeroPadding(SpatialReshapeLayer):
    def compute_output_shape(self, input_shape) -> tuple:
        return self._map_spatial(input_shape, lambda i, n: n + sum(self._pairs()[i]))

    def call(self, inputs):
        return ops.zero_pad(inputs, self._pairs(), data_format=self.data_format)

    def _pairs(self):
        return self.padding

    def _input_gradient(self, output_gradient):
        return ops.zero_pad_gradient(output_gradient, self._pairs(), data_format=self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding,
                "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pad the steps axis with zeros (axis 1; the last axis with ``channels_first``).

    Parameters
    ----------
    padding : int or tuple of 2 ints
        Zeros added at the start and at the end.
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
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1)))[0, :, 0]
    array([0., 1., 1., 0., 0.], dtype=float32)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)

    def _pairs(self):
        return (self.padding,)


class ZeroPadding2D(_ZeroPadding):
    """Pad height and width with zeros.

    Parameters
    ----------
    padding : int, tuple of 2 ints, or tuple of 2 tuples of 2 ints
        Same everywhere; symmetric per axis; or ``((top, bottom), (left, right))``. Negative amounts
        are a ValueError at construction (Keras accepts them and fails later).
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
    >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 2, 2, 1))).shape
    (1, 3, 4, 1)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = standardize_pairs(padding, 2, "padding")


class ZeroPadding3D(_ZeroPadding):
    """Pad depth, height and width with zeros.

    Parameters
    ----------
    padding : int, tuple of 3 ints, or tuple of 3 tuples of 2 ints
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
    >>> ZeroPadding3D()(np.ones((1, 1, 1, 1, 2))).shape
    (1, 3, 3, 3, 2)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = standardize_pairs(padding, 3, "padding")
