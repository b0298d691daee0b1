"""Max/Average pooling, windowed (1-D to 3-D) and global, with their backward passes.

Keras 3 semantics on the jax backend (arguments, defaults, ``get_config`` keys, shapes and
numbers); convkit settles a few things earlier or differently (docs/design/keras_parity.md D1):

* ``padding`` is checked and lower-cased at construction (Keras stores any value and fails at
  call time, and refuses an upper-case "SAME" only in some code paths); ``strides=0`` is refused
  at construction (Keras accepts it and fails in jax at call time).
* ``keepdims`` must be a bool (Keras stores anything).
* ``GlobalAveragePooling1D`` takes no ``mask``: convkit has no masking, so a call with
  ``mask=`` is a TypeError. (Keras averages over the unmasked steps only; an all-masked row
  gives 0/0 = NaN there.)

Pooling layers have no weights and ignore ``training``.
"""

from .. import ops
from ..ops import pooling as pool_ops
from ..ops.arguments import standardize_data_format
from . import backprop
from .base import Layer


class _BuiltAtInit:
    """Weightless pooling is built at construction, as Keras builds it (``_build_at_init``);
    so, like Keras, it writes no ``build_config`` into a serialised model."""

    def _mark_built(self):
        self.built = True

    def get_build_config(self):
        return None


class _Pooling(_BuiltAtInit, Layer):
    """Windowed pooling: ``pool_size``, ``strides`` (default ``pool_size``), ``padding``,
    ``data_format``."""

    rank: int = None
    pins_channels = False  # no weights: any channel count, call after call

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.input_ndim = self.rank + 2
        (self.pool_size, self.strides, self.padding,
         self.data_format) = pool_ops.pool_arguments(pool_size, strides, padding, data_format,
                                                     self.rank)
        self._mark_built()

    def _op_arguments(self) -> dict:
        return {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format}

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return pool_ops.pool_output_shape(shape, self.pool_size, self.strides, self.padding,
                                          self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class _MaxPooling(_Pooling):
    def call(self, inputs):
        return ops.max_pool(inputs, **self._op_arguments())

    def _forward_with_context(self, x, training):
        # the forward records each window's argmax, so the backward pass needs no search
        y, argmax = ops.max_pool_with_argmax(x, **self._op_arguments())
        y = self._record_activity(y)
        return y, backprop.Context(inputs=x, outputs=y, training=training,
                                   saved={"argmax": argmax})

    def _backward(self, context, output_gradient):
        dx = ops.max_pool_gradient(output_gradient, context.saved["argmax"],
                                   context.inputs.shape, **self._op_arguments())
        return dx, []


class _AveragePooling(_Pooling):
    def call(self, inputs):
        return ops.average_pool(inputs, **self._op_arguments())

    def _backward(self, context, output_gradient):
        dx = ops.average_pool_gradient(output_gradient, context.inputs.shape,
                                       **self._op_arguments())
        return dx, []


_WINDOW_DOC = """{what} over windows of {axes}.

    Parameters
    ----------
    pool_size : int or tuple of {rank} ints
        Window size per spatial axis (> 0){default}.
    strides : int or tuple of {rank} ints, optional
        Step between windows (> 0); ``None`` (default) means ``pool_size``.
    padding : {{"valid", "same"}}
        Case-insensitive. ``"same"`` gives ``ceil(n / stride)`` outputs, windows centred as in
        Keras (an odd extra padding goes after); {same_rule}
    data_format : {{"channels_last", "channels_first"}}, optional
        ``None`` means :func:`convkit.config.image_data_format`.
"""


class MaxPooling1D(_MaxPooling):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_MaxPooling):
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    rank = 1

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    rank = 2

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_AveragePooling):
    rank = 3

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


_AXES = {1: "steps", 2: "(height, width)", 3: "(depth, height, width)"}
_MAX_RULE = ("the missing inputs of a border window are ignored. The gradient goes to the "
             "first maximum of each window (depth, then height, then width order), as "
             "``jax.vjp`` routes it; overlapping windows add up.")
_AVG_RULE = "a border window averages only the real inputs it covers, as Keras on jax does."
for _cls, _what, _default, _rule in (
        (MaxPooling1D, "Max", " (default 2)", _MAX_RULE),
        (MaxPooling2D, "Max", " (default (2, 2))", _MAX_RULE),
        (MaxPooling3D, "Max", " (default (2, 2, 2))", _MAX_RULE),
        (AveragePooling1D, "Mean", "", _AVG_RULE),
        (AveragePooling2D, "Mean", "", _AVG_RULE),
        (AveragePooling3D, "Mean", "", _AVG_RULE)):
    _cls.__doc__ = _WINDOW_DOC.format(what=_what, axes=_AXES[_cls.rank], rank=_cls.rank,
                                      default=_default, same_rule=_rule)


class _GlobalPooling(_BuiltAtInit, Layer):
    """Pooling over every spatial axis: ``data_format`` and ``keepdims``."""

    rank: int = None
    pins_channels = False

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.input_ndim = self.rank + 2
        self.data_format = standardize_data_format(data_format)
        self.keepdims = pool_ops.check_keepdims(keepdims)
        self._mark_built()

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return pool_ops.global_output_shape(shape, self.data_format, self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class _GlobalMaxPooling(_GlobalPooling):
    def call(self, inputs):
        return ops.global_max_pool(inputs, self.data_format, self.keepdims)

    def _backward(self, context, output_gradient):
        return ops.global_max_pool_gradient(output_gradient, context.inputs, context.outputs,
                                            self.data_format, self.keepdims), []


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, inputs):
        return ops.global_average_pool(inputs, self.data_format, self.keepdims)

    def _backward(self, context, output_gradient):
        return ops.global_average_pool_gradient(output_gradient, context.inputs.shape,
                                                self.data_format, self.keepdims), []


_GLOBAL_DOC = """{what} over every spatial axis of {rank}-D data.

    Parameters
    ----------
    data_format : {{"channels_last", "channels_first"}}, optional
        ``None`` means :func:`convkit.config.image_data_format`.
    keepdims : bool
        Keep the spatial axes with length 1 (default False: output ``(batch, channels)``).
    {extra}
    Examples
    --------
    >>> import numpy as np
    >>> {name}()(np.ones((2, {ones}3))).shape
    (2, 3)
"""


class GlobalMaxPooling1D(_GlobalMaxPooling):
    rank = 1


class GlobalMaxPooling2D(_GlobalMaxPooling):
    rank = 2


class GlobalMaxPooling3D(_GlobalMaxPooling):
    rank = 3


class GlobalAveragePooling1D(_GlobalAveragePooling):
    rank = 1


class GlobalAveragePooling2D(_GlobalAveragePooling):
    rank = 2


class GlobalAveragePooling3D(_GlobalAveragePooling):
    rank = 3


_TIES = ("\n    Notes\n    -----\n    On ties the gradient is split evenly between the equal "
         "maxima (``jnp.max``'s rule).\n")
_NO_MASK = ("\n    Notes\n    -----\n    No ``mask`` argument: convkit has no masking (Keras "
            "averages over the unmasked steps).\n")
for _cls, _what, _extra in (
        (GlobalMaxPooling1D, "Max", _TIES), (GlobalMaxPooling2D, "Max", _TIES),
        (GlobalMaxPooling3D, "Max", _TIES),
        (GlobalAveragePooling1D, "Mean", _NO_MASK), (GlobalAveragePooling2D, "Mean", ""),
        (GlobalAveragePooling3D, "Mean", "")):
    _cls.__doc__ = _GLOBAL_DOC.format(what=_what, rank=_cls.rank, extra=_extra,
                                      name=_cls.__name__, ones="4, " * _cls.rank)

# Keras's aliases: the same classes (serialised under the long names, as Keras does)
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)

POOLING_LAYERS = (MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D,
                  AveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                  GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)

__all__ = [cls.__name__ for cls in POOLING_LAYERS] + [
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"]
