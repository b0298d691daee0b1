"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (+ Convolution*Transpose):
docs/design/keras_parity.md §3.2.

Note Keras's argument order: Conv3DTranspose takes ``data_format`` *before*
``output_padding``; the 1-D and 2-D layers take ``output_padding`` first.
"""

from .. import ops
from ..ops import shapes
from ..ops.arguments import check_strides_dilation, standardize_output_padding
from ._conv_backward import ConvBackward
from ._conv_common import ConvolutionLayer, weight_arguments
from ._docstrings import document


class BaseConvTranspose(ConvBackward, ConvolutionLayer):
    """A ``rank``-D transposed convolution (the adjoint of a strided convolution).

    Weights: ``kernel`` of shape ``kernel_size + (filters, in_channels)`` (the last two axes swapped
    relative to Conv) and ``bias`` ``(filters,)``. The output size along an axis is
    ``(n - 1) * s + max(k_eff, s)`` for ``valid`` and ``n * s`` for ``same`` when ``output_padding``
    is None; with ``output_padding`` it is ``(n - 1) * s + k_eff + op`` (valid) or
    ``(n - 1) * s + k_eff % 2 + op`` (same). A zero-length result is returned empty, without error
    (unlike Keras, which raises).
    """

    _kernel_weight_arguments = (
        ("kernel_initializer", "kernel_regularizer", "kernel_constraint"),)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
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
        self.output_padding = standardize_output_padding(output_padding, self.strides)
        check_strides_dilation(self.strides, self.dilation_rate)
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_arguments(kernel_initializer, kernel_regularizer, kernel_constraint)

    def _build(self, input_shape):
        channels = self._channels_of(input_shape)
        self._require_filters()
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, channels),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self._add_bias(self.filters)

    def compute_output_shape(self, input_shape) -> list:
        spatial = self._spatial(input_shape)
        output_padding = self.output_padding or (None,) * self.rank
        out = [shapes.transpose_output_length(n, k, s, d, self.padding, op)
               for n, k, s, d, op in zip(spatial, self.kernel_size, self.strides,
                                         self.dilation_rate, output_padding)]
        # Keras returns a list for transposed convolutions (and tuples elsewhere)
        return list(self._assemble(input_shape, out, self.filters))

    def _preactivation(self, inputs):
        kernel = self._packed(self.kernel, lambda k: ops.pack_conv_transpose_kernel(
            k, self.strides, self.dilation_rate, self.dtype))
        return ops.conv_transpose(inputs, kernel, strides=self.strides,
                                  padding=self.padding, output_padding=self.output_padding,
                                  data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, **self._op_kwargs())

    def _op_gradients(self, x, dz):
        # the input gradient is a forward conv with this kernel array, packed once per value
        kernel = self._packed(self.kernel, lambda k: ops.pack_conv_kernel(k, self.dtype),
                              kind="input_gradient")
        geometry = {"strides": self.strides, "padding": self.padding,
                    "output_padding": self.output_padding, "data_format": self.data_format,
                    "dilation_rate": self.dilation_rate}
        dx = ops.conv_transpose_input_gradient(dz, kernel, x.shape, **geometry)
        dkernel = ops.conv_transpose_kernel_gradient(x, dz, self.kernel_size, **geometry)
        return dx, dkernel

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"filters": self.filters, "kernel_size": self.kernel_size,
                       "strides": self.strides, "padding": self.padding,
                       "output_padding": self.output_padding,
                       "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                       **self._tail_config()})
        return config


_TRANSPOSE_ARGUMENTS = ("filters", "kernel_size", "strides", "padding_transpose",
                        "output_padding", "data_format", "dilation_rate", "activation",
                        "use_bias", "kernel_weights", "bias_weights", "activity_regularizer",
                        "base")


@document(*_TRANSPOSE_ARGUMENTS)
class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``.

    Each input step scatters a copy of the kernel, ``strides`` steps apart; with
    ``padding="same"`` the output is ``strides`` times longer than the input.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``filters`` channels and, along each
        spatial axis, ``n * strides`` positions for ``"same"`` or ``(n - 1) * strides +
        max(kernel, strides)`` for ``"valid"`` (``output_padding`` changes this, see above).
        The weights are ``kernel``, of shape ``kernel_size + (filters, channels)`` (Keras's
        transposed layout: the last two axes swapped relative to Conv), and ``bias``,
        ``(filters,)``.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = Conv1DTranspose(2, 3, strides=2, padding="same")
    >>> layer(np.ones((1, 4, 1))).shape
    (1, 8, 2)
    >>> layer.kernel.shape  # kernel_size + (filters, in_channels): Keras's transposed layout
    (3, 2, 1)
    """

    rank = 1


@document(*_TRANSPOSE_ARGUMENTS)
class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution, the usual learned 2x upsampling of decoders and GANs.

    ``output_padding`` picks one of the output sizes that a strided convolution would map
    back to the input size.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``filters`` channels and, along each
        spatial axis, ``n * strides`` positions for ``"same"`` or ``(n - 1) * strides +
        max(kernel, strides)`` for ``"valid"`` (``output_padding`` changes this, see above).
        The weights are ``kernel``, of shape ``kernel_size + (filters, channels)`` (Keras's
        transposed layout: the last two axes swapped relative to Conv), and ``bias``,
        ``(filters,)``.

    {{raises}}

    Examples
    --------
    >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)
    >>> layer.compute_output_shape((None, 12, 12, 2))
    [None, 24, 24, 4]
    """

    rank = 2


@document("filters", "kernel_size", "strides", "padding_transpose", "data_format",
          "output_padding", "dilation_rate", "activation", "use_bias", "kernel_weights",
          "bias_weights", "activity_regularizer", "base")
class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution (``data_format`` comes before ``output_padding``).

    A 2x2x2 kernel with strides 2 gives every input voxel its own 2x2x2 output block.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``filters`` channels and, along each
        spatial axis, ``n * strides`` positions for ``"same"`` or ``(n - 1) * strides +
        max(kernel, strides)`` for ``"valid"`` (``output_padding`` changes this, see above).
        The weights are ``kernel``, of shape ``kernel_size + (filters, channels)`` (Keras's
        transposed layout: the last two axes swapped relative to Conv), and ``bias``,
        ``(filters,)``.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = Conv3DTranspose(1, 2, strides=2)
    >>> layer(np.ones((1, 2, 2, 2, 1))).shape, layer.kernel.shape
    ((1, 4, 4, 4, 1), (2, 2, 2, 1, 1))
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        # Keras's order for this rank only: data_format comes before output_padding
        super().__init__(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs)


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
