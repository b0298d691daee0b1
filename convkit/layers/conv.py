"""Conv1D, Conv2D, Conv3D (and their Convolution* aliases): docs/design/keras_parity.md §3.1."""

from .. import ops
from ..ops import shapes
from ..ops.arguments import check_strides_dilation
from ..ops.conv_transpose import pack_conv_transpose_kernel
from ._conv_backward import ConvBackward
from ._conv_common import ConvolutionLayer, weight_arguments
from ._docstrings import document


class BaseConv(ConvBackward, ConvolutionLayer):
    """A ``rank``-D convolution (cross-correlation, as in Keras) with groups.

    The arguments, in Keras's order, are the same for every rank; Conv1D, Conv2D and Conv3D
    only set ``rank`` (and Conv1D allows ``padding="causal"``).

    Weights: ``kernel`` of shape ``kernel_size + (in_channels // groups, filters)`` and ``bias`` of
    shape ``(filters,)``; kernel layouts do not depend on ``data_format``. ``bias_initializer=None``
    gives a Glorot-uniform bias, as in Keras.
    """

    _kernel_weight_arguments = (("kernel_initializer", "kernel_regularizer", "kernel_constraint"),)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size=kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._check_filters(filters)
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_arguments(kernel_initializer, kernel_regularizer, kernel_constraint)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError("The number of groups must be a positive integer. "
                             f"Received: groups={groups}.")
        self.groups = groups
        if self.filters is not None and self.filters % groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={self.filters}.")
        check_strides_dilation(self.strides, self.dilation_rate)

    def _build(self, input_shape):
        channels = self._channels_of(input_shape)
        if channels % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {channels} channels (full input shape is {input_shape}).")
        self._require_filters()
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint)
        self._add_bias(self.filters)

    def _kernel_shape_for_message(self, input_shape):
        channels = shapes.channels(input_shape, self.data_format)
        group_channels = channels // self.groups if channels is not None else None
        return self.kernel_size + (group_channels, self.filters)

    def compute_output_shape(self, input_shape) -> tuple:
        return self._assemble(input_shape, self._forward_spatial(input_shape), self.filters)

    def _preactivation(self, inputs):
        kernel = self._packed(self.kernel, lambda k: ops.pack_conv_kernel(k, self.dtype))
        return ops.conv(inputs, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate,
                        **self._op_kwargs())

    def _op_gradients(self, x, dz):
        # the input gradient is a transposed conv with this kernel, packed once per value
        kernel = self._packed(self.kernel, lambda k: pack_conv_transpose_kernel(
            k, self.strides, self.dilation_rate, self.dtype), kind="input_gradient")
        geometry = {"strides": self.strides, "padding": self.padding,
                    "data_format": self.data_format, "dilation_rate": self.dilation_rate}
        dx = ops.conv_input_gradient(dz, kernel, x.shape, **geometry)
        return dx, self._kernel_gradients(x, dz)

    def _kernel_gradients(self, x, dz):
        return ops.conv_kernel_gradient(x, dz, self.kernel_size, strides=self.strides,
                                        padding=self.padding, data_format=self.data_format,
                                        dilation_rate=self.dilation_rate, groups=self.groups)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"filters": self.filters, **self._common_config(),
                       "groups": self.groups, **self._tail_config()})
        return config


_CONV_ARGUMENTS = ("filters", "kernel_size", "strides", "padding", "data_format",
                   "dilation_rate", "groups", "activation", "use_bias", "kernel_weights",
                   "bias_weights", "activity_regularizer", "base")


@document("filters", "kernel_size", "strides", "padding_causal", "data_format", "dilation_rate",
          "groups", "activation", "use_bias", "kernel_weights", "bias_weights",
          "activity_regularizer", "base")
class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)`` (or channels first).

    Each filter slides a window of ``kernel_size`` steps along the sequence and sums the
    products over every input channel; ``padding="causal"`` makes the output at each step
    depend only on the current and earlier steps. Like Keras, this is a cross-correlation:
    the kernel is not flipped.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer on ``(batch, steps, channels)`` returns a float array of shape
        ``(batch, new_steps, filters)`` in the layer's dtype. The weights are ``kernel``, of shape
        ``(kernel_size, channels // groups, filters)``, and ``bias``, of shape ``(filters,)``.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = Conv1D(4, 3, padding="causal", dilation_rate=2)
    >>> layer(np.ones((2, 10, 3))).shape
    (2, 10, 4)
    """

    rank = 1
    allow_causal = True


@document(*_CONV_ARGUMENTS)
class Conv2D(BaseConv):
    """2-D convolution over images ``(batch, rows, cols, channels)`` (or channels first).

    Each filter slides a ``kernel_size`` window over the image and sums the products over
    every input channel, then adds its bias; ``strides=2`` with ``padding="same"`` halves each
    side, rounding up. Like Keras, this is a cross-correlation: the kernel is not flipped.
    See :func:`convkit.ops.conv` for the same computation without a layer.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer on ``(batch, rows, cols, channels)`` returns a float array of shape
        ``(batch, new_rows, new_cols, filters)`` in the layer's dtype. The weights are
        ``kernel``, of shape ``kernel_size + (channels // groups, filters)`` whatever the data
        format, and ``bias``, of shape ``(filters,)``: Keras's layouts, so ``get_weights()`` and
        ``set_weights()`` exchange them with ``keras.layers.Conv2D`` unchanged.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = Conv2D(8, 3, strides=2, padding="same")
    >>> layer(np.ones((4, 28, 28, 3))).shape
    (4, 14, 14, 8)
    >>> [w.shape for w in layer.get_weights()]  # kernel_size + (in_channels, filters); bias
    [(3, 3, 3, 8), (8,)]

    A kernel of ones sums each window; ``"same"`` puts the odd padding zero after the input:

    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> ones = Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones",
    ...               use_bias=False)
    >>> ones(x)[0, :, :, 0]
    array([[45., 39.],
           [66., 50.]], dtype=float32)
    """

    rank = 2


@document(*_CONV_ARGUMENTS)
class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, rows, cols, channels)`` (or channels first).

    With ``groups=g`` the channels split into ``g`` groups, each convolved with its own
    ``filters // g`` filters.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array of shape
        ``(batch, new_depth, new_rows, new_cols, filters)`` (or channels first) in the layer's
        dtype. The weights are ``kernel``, of shape ``kernel_size + (channels // groups,
        filters)``, and ``bias``, of shape ``(filters,)``.

    {{raises}}

    Examples
    --------
    A volume with two channels first, one group per channel:

    >>> import numpy as np
    >>> volume = np.ones((1, 2, 8, 8, 8))
    >>> Conv3D(4, 3, groups=2, data_format="channels_first")(volume).shape
    (1, 4, 6, 6, 6)
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
