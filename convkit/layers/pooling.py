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
from ._docstrings import GLOBAL_POOLING_RAISES, WINDOW_POOLING_RAISES, document
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
        # the forward records where each window's maximum is, so the backward pass needs no
        # search
        y, routing = pool_ops.max_pool_routing(x, **self._op_arguments())
        y = self._record_activity(y)
        return y, backprop.Context(inputs=x, outputs=y, training=training,
                                   saved={"routing": routing})

    def _forward_for_backward(self, x, training):
        # backward(x, dy) needs only where each window's maximum is, not the maxima: the
        # forward writes one byte per output instead of the outputs and their argmax
        outputs, context = backprop.shape_only_context(self, x, training)
        context.saved["routing"] = pool_ops.max_pool_routing(x, outputs=False,
                                                             **self._op_arguments())[1]
        return outputs, context

    def _backward(self, context, output_gradient):
        dx = pool_ops.max_pool_routing_gradient(output_gradient, context.saved["routing"])
        return dx, []


class _AveragePooling(_Pooling):
    def call(self, inputs):
        return ops.average_pool(inputs, **self._op_arguments())

    def _forward_for_backward(self, x, training):
        # an average's gradient spreads dy over the windows whatever the inputs hold
        return backprop.shape_only_context(self, x, training)

    def _backward(self, context, output_gradient):
        dx = ops.average_pool_gradient(output_gradient, context.inputs.shape,
                                       **self._op_arguments())
        return dx, []


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


# The docstrings: one text per family, filled per class (rank, reduction, examples); the
# argument entries and Raises come from the table the convolution layers share.
_WINDOW_DOC = """<What> pooling over windows of <axes>: <each>.

    <why>

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer on ``(batch, <axes_plain>, channels)`` (or channels first) returns
        an array with the same batch and channels, each spatial axis shortened as
        ``padding`` says, in the layer's dtype. The layer has no weights.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
<examples>
"""

_AXES = {1: "steps", 2: "(rows, cols)", 3: "(depth, rows, cols)"}
_AXES_PLAIN = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}
_WHY = {
    "Max": ("Keeps the strongest response of each window: the map shrinks but a feature found "
            "anywhere in the window survives. The gradient goes to the first maximum of each "
            "window (the first in reading order), as ``jax.vjp`` of Keras routes "
            "it; where windows overlap, the gradients add up."),
    "Average": ("Smooths and shrinks the map; the gradient of each output is shared equally "
                "between the inputs its window averaged."),
}
_EACH = {"Max": "each output is the largest value of its window",
         "Average": "each output is the mean of its window"}
_WINDOW_EXAMPLES = {
    MaxPooling1D: """\
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0]).reshape(1, 5, 1)  # (batch, steps, channels)
    >>> MaxPooling1D()(x)[0, :, 0]  # windows [1, 3] and [2, 5]; the last step is left over
    array([3., 5.], dtype=float32)
    >>> MaxPooling1D(2, strides=1, padding="same")(x)[0, :, 0]  # the last window holds 4 alone
    array([3., 3., 5., 5., 4.], dtype=float32)""",
    MaxPooling2D: """\
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> MaxPooling2D()(x)[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    >>> MaxPooling2D(3, strides=2, padding="same")(np.ones((8, 7, 7, 16))).shape
    (8, 4, 4, 16)""",
    MaxPooling3D: """\
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
    >>> MaxPooling3D()(x).ravel()
    array([7.], dtype=float32)
    >>> MaxPooling3D(strides=1, padding="same")(np.ones((1, 4, 4, 4, 2))).shape
    (1, 4, 4, 4, 2)""",
    AveragePooling1D: """\
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0]).reshape(1, 5, 1)  # (batch, steps, channels)
    >>> AveragePooling1D(2)(x)[0, :, 0]  # windows [1, 3] and [2, 5]
    array([2. , 3.5], dtype=float32)
    >>> AveragePooling1D(2, padding="same")(x)[0, :, 0]  # the border window averages 4 alone
    array([2. , 3.5, 4. ], dtype=float32)""",
    AveragePooling2D: """\
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> AveragePooling2D(2)(x)[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    >>> AveragePooling2D((2, 1), data_format="channels_first")(np.ones((1, 3, 4, 4))).shape
    (1, 3, 2, 4)""",
    AveragePooling3D: """\
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
    >>> AveragePooling3D(2)(x).ravel()
    array([3.5], dtype=float32)
    >>> AveragePooling3D((1, 2, 2), padding="same")(np.ones((2, 3, 5, 5, 4))).shape
    (2, 3, 3, 3, 4)""",
}
for _cls, _what in ((MaxPooling1D, "Max"), (MaxPooling2D, "Max"), (MaxPooling3D, "Max"),
                    (AveragePooling1D, "Average"), (AveragePooling2D, "Average"),
                    (AveragePooling3D, "Average")):
    _cls.__doc__ = (_WINDOW_DOC.replace("<What>", _what).replace("<axes>", _AXES[_cls.rank])
                    .replace("<axes_plain>", _AXES_PLAIN[_cls.rank])
                    .replace("<each>", _EACH[_what]).replace("<why>", _WHY[_what])
                    .replace("<examples>", _WINDOW_EXAMPLES[_cls]))
    document("pool_size_max" if _what == "Max" else "pool_size", "pool_strides",
             "padding_max" if _what == "Max" else "padding_average", "data_format", "base",
             raises=WINDOW_POOLING_RAISES)(_cls)


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

    def _forward_for_backward(self, x, training):
        return backprop.shape_only_context(self, x, training)

    def _backward(self, context, output_gradient):
        return ops.global_average_pool_gradient(output_gradient, context.inputs.shape,
                                                self.data_format, self.keepdims), []


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


_GLOBAL_DOC = """<What> over every spatial axis of <rank>-D data: one value per channel.

    <why>

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer on ``(batch, <axes>, channels)`` (or channels first) returns
        ``(batch, channels)`` in the layer's dtype, or with ``keepdims=True`` the input's shape
        with every spatial axis of length 1. The layer has no weights.

    {{raises}}
<notes>
    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(<size>).reshape(1, <shape>2)  # 2 channels: even and odd numbers
    >>> <name>()(x)
    array([[<values>]], dtype=float32)
    >>> <name>(keepdims=True)(x).shape
    (1, <ones>2)
"""

_GLOBAL_WHY = {
    "Max": ("Often the last step before a classifier: a feature found anywhere in the input "
            "counts. NaN propagates."),
    "Mean": ("Often the last step before a classifier, in place of flattening: it works for "
             "any input size."),
}
_TIES = ("\n    Notes\n    -----\n    On ties the gradient is split evenly between the equal "
         "maxima (``jnp.max``'s rule).\n")
_NO_MASK = ("\n    Notes\n    -----\n    No ``mask`` argument: convkit has no masking (Keras "
            "averages over the unmasked steps), so calling with ``mask=`` is a TypeError.\n")
for _cls, _what, _notes in (
        (GlobalMaxPooling1D, "Max", _TIES), (GlobalMaxPooling2D, "Max", _TIES),
        (GlobalMaxPooling3D, "Max", _TIES),
        (GlobalAveragePooling1D, "Mean", _NO_MASK), (GlobalAveragePooling2D, "Mean", ""),
        (GlobalAveragePooling3D, "Mean", "")):
    # x: 2 ** rank positions of 2 channels holding 0, 1, 2, ...: channel 0 the even numbers
    _size = 2 * 2 ** _cls.rank
    _values = ((_size - 2, _size - 1) if _what == "Max" else (_size // 2 - 1, _size // 2))
    _cls.__doc__ = (_GLOBAL_DOC.replace("<What>", _what).replace("<rank>", str(_cls.rank))
                    .replace("<why>", _GLOBAL_WHY[_what]).replace("<notes>", _notes)
                    .replace("<axes>", _AXES_PLAIN[_cls.rank]).replace("<name>", _cls.__name__)
                    .replace("<size>", f"{_size}.0").replace("<shape>", "2, " * _cls.rank)
                    .replace("<values>", "{}., {}.".format(*_values))
                    .replace("<ones>", "1, " * _cls.rank))
    document("data_format", "keepdims", "base", raises=GLOBAL_POOLING_RAISES)(_cls)

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
