"""DepthwiseConv1D and DepthwiseConv2D: one kernel per input channel (docs/design/keras_parity.md
§3.3).

Unlike Conv, Keras's depthwise layers accept strides > 1 together with dilation > 1.
"""

from .. import ops
from ..ops import depthwise_grad
from ..ops.arguments import check_positive_int
from ._conv_backward import ConvBackward
from ._conv_common import ConvolutionLayer, weight_arguments
from ._docstrings import document


class BaseDepthwiseConv(ConvBackward, ConvolutionLayer):
    """Depthwise convolution: output channel ``c * depth_multiplier + m`` sees channel ``c``.

    Weights: ``kernel`` ``kernel_size + (in_channels, depth_multiplier)`` (named "kernel", as
    in Keras 3) and ``bias`` ``(in_channels * depth_multiplier,)``.
    """

    _kernel_weight_arguments = (
        ("depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"),)

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size=kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint = \
            weight_arguments(depthwise_initializer, depthwise_regularizer, depthwise_constraint)

    def _build(self, input_shape):
        channels = self._channels_of(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight("kernel", self._depthwise_kernel_shape(input_shape),
                                      self.depthwise_initializer, self.depthwise_regularizer,
                                      self.depthwise_constraint)
        self._add_bias(channels * self.depth_multiplier)

    def _kernel_shape_for_message(self, input_shape):
        return self._depthwise_kernel_shape(input_shape)

    def compute_output_shape(self, input_shape) -> tuple:
        channels = self._channels_of(input_shape)
        return self._assemble(input_shape, self._forward_spatial(input_shape),
                              channels * self.depth_multiplier)

    def _preactivation(self, inputs):
        kernel = self._packed(self.kernel, lambda k: ops.pack_depthwise_kernel(k, self.dtype))
        return ops.depthwise_conv(inputs, kernel, strides=self.strides,
                                  padding=self.padding, data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, **self._op_kwargs())

    def _backward(self, context, output_gradient):
        dz = self._activation_gradient(context, output_gradient)
        # the bias gradient comes from the pass over dz that computes the kernel's
        dx, *grads = depthwise_grad.depthwise_gradients(
            context.inputs, self.kernel.value, dz, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
            bias=self.use_bias)
        return dx, grads

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, **self._common_config(),
                       **self._tail_config()})
        return config


_DEPTHWISE_ARGUMENTS = ("kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                        "dilation_rate_free", "activation", "use_bias", "depthwise_weights",
                        "bias_weights", "activity_regularizer", "base")


@document(*_DEPTHWISE_ARGUMENTS)
class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)``.

    Each input channel gets ``depth_multiplier`` kernels of its own; channels never mix.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``channels * depth_multiplier`` channels;
        output channel ``c * depth_multiplier + m`` is input channel ``c`` filtered by its
        ``m``-th kernel. The weights are ``kernel``, of shape ``kernel_size + (channels,
        depth_multiplier)``, and ``bias``, of shape ``(channels * depth_multiplier,)``.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = DepthwiseConv1D(3, depth_multiplier=2)
    >>> layer(np.ones((1, 8, 4))).shape  # 4 channels x 2 kernels each
    (1, 6, 8)
    >>> layer.kernel.shape  # kernel_size + (in_channels, depth_multiplier)
    (3, 4, 2)
    """

    rank = 1


@document(*_DEPTHWISE_ARGUMENTS)
class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution, the per-channel filter of MobileNet's blocks.

    Each input channel gets ``depth_multiplier`` kernels of its own; channels never mix.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``channels * depth_multiplier`` channels;
        output channel ``c * depth_multiplier + m`` is input channel ``c`` filtered by its
        ``m``-th kernel. The weights are ``kernel``, of shape ``kernel_size + (channels,
        depth_multiplier)``, and ``bias``, of shape ``(channels * depth_multiplier,)``.

    {{raises}}

    Examples
    --------
    A 3x3 filter per channel costs 9 weights and a bias per channel:

    >>> import numpy as np
    >>> layer = DepthwiseConv2D(3, padding="same")
    >>> layer(np.ones((1, 5, 5, 4))).shape, layer.count_params()
    ((1, 5, 5, 4), 40)
    """

    rank = 2
