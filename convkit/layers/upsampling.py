"""UpSampling1D/2D/3D: repeat (or, in 2-D, interpolate) along the spatial axes
(docs/design/keras_parity.md §3.7)."""

from .. import ops
from ..ops.arguments import INTERPOLATIONS, standardize_interpolation, standardize_tuple
from ._spatial import SpatialReshapeLayer


class _UpSampling(SpatialReshapeLayer):
    interpolation = "nearest"

    def _sizes(self) -> tuple:
        return self.size

    def compute_output_shape(self, input_shape) -> tuple:
        return self._map_spatial(input_shape, lambda i, n: n * self._sizes()[i])

    def call(self, inputs):
        return ops.upsample(inputs, self._sizes(), data_format=self.data_format,
                            interpolation=self.interpolation)

    def _input_gradient(self, output_gradient):
        return ops.upsample_gradient(output_gradient, self._sizes(), data_format=self.data_format,
                                     interpolation=self.interpolation)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling1D(_UpSampling):
    """Repeat each step ``size`` times along axis 1: ``[a, b]`` → ``[a, a, b, b]``.

    Parameters
    ----------
    size : int
        A positive Python int (NumPy integers and bools are refused, as in Keras).

    Raises
    ------
    ValueError
        At construction, for a size that is not a positive int (or a tuple of them), or an
        unknown ``interpolation``. When called, for an input of the wrong rank.
    TypeError
        When called on complex, object or string arrays (and, for interpolating modes, on
        integer arrays).

    Examples
    --------
    >>> import numpy as np
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]]))[0, :, 0]
    array([1., 1., 2., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        self._no_data_format(kwargs)
        super().__init__(data_format="channels_last", **kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = size

    def _sizes(self) -> tuple:
        return (self.size,)

    def compute_output_shape(self, input_shape) -> list:
        # Keras returns a list here (and tuples elsewhere); kept for parity
        return list(super().compute_output_shape(input_shape))

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]
        return config


class UpSampling2D(_UpSampling):
    """Upsample height and width by integer factors, repeating or interpolating.

    Parameters
    ----------
    size : int or tuple of 2 ints
        Factors for (height, width).
    data_format : {"channels_last", "channels_first"}, optional
    interpolation : {"nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"}
        Case-insensitive; an unknown name is a ValueError at construction. Non-nearest
        modes use half-pixel centres and renormalise the taps that fall inside the input, as Keras
        does, so bicubic and lanczos borders differ from PyTorch's and OpenCV's. They need floating
        inputs: integer inputs raise ``TypeError`` (nearest keeps integer dtypes).

    Raises
    ------
    ValueError
        At construction, for a size that is not a positive int (or a tuple of them), or an
        unknown ``interpolation``. When called, for an input of the wrong rank.
    TypeError
        When called on complex, object or string arrays (and, for interpolating modes, on
        integer arrays).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(1.0, 5.0).reshape(1, 1, 4, 1)
    >>> UpSampling2D((1, 2), interpolation="bilinear")(x)[0, 0, :, 0]
    array([1.  , 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.  ], dtype=float32)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = standardize_interpolation(interpolation)

    def _convert_input(self, inputs):
        x = super()._convert_input(inputs)
        if self.interpolation != "nearest" and x.dtype.kind != "f":
            raise TypeError(f"UpSampling2D(interpolation={self.interpolation!r}) needs floating "
                            f"inputs; received dtype {x.dtype}. Cast to float first, or use "
                            "interpolation='nearest', which keeps integer dtypes.")
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeat along depth, height and width.

    Parameters
    ----------
    size : int or tuple of 3 ints
    data_format : {"channels_last", "channels_first"}, optional

    Raises
    ------
    ValueError
        At construction, for a size that is not a positive int (or a tuple of them), or an
        unknown ``interpolation``. When called, for an input of the wrong rank.
    TypeError
        When called on complex, object or string arrays (and, for interpolating modes, on
        integer arrays).

    Examples
    --------
    >>> import numpy as np
    >>> UpSampling3D((1, 2, 3))(np.ones((1, 2, 2, 2, 1))).shape
    (1, 2, 4, 6, 1)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = standardize_tuple(size, 3, "size")


__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D", "INTERPOLATIONS"]
