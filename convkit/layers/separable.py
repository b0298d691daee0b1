"""SeparableConv1D and SeparableConv2D (+ SeparableConvolution* aliases):
docs/design/keras_parity.md §3.4.

A depthwise step (with the layer's strides, padding and dilation, no bias) followed by a 1x1
pointwise convolution, bias and activation; computed fused by one kernel. In a training pass
(``_forward_with_context``) the kernel also stores the depthwise output, kept for the
backward pass.
"""

from .. import ops
from ..ops import depthwise_grad
from ..ops.arguments import check_positive_int
from . import backprop
from ._conv_backward import ConvBackward
from ._conv_common import ConvolutionLayer, weight_arguments
from ._docstrings import document


class BaseSeparableConv(ConvBackward, ConvolutionLayer):
    """Depthwise-separable convolution.

    Weights, in order: ``depthwise_kernel`` ``kernel_size + (in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1,) * rank + (in_channels * depth_multiplier, filters)``, ``bias``
    ``(filters,)``.
    """

    _kernel_weight_arguments = (
        ("depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"),
        ("pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"))

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size=kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.filters = self._check_filters(filters)
        self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint = \
            weight_arguments(depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint = \
            weight_arguments(pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def _build(self, input_shape):
        channels = self._channels_of(input_shape)
        self._require_filters()
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self._depthwise_kernel_shape(input_shape),
            self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier,
                                                    self.filters),
            self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint)
        self._add_bias(self.filters)

    def _kernel_shape_for_message(self, input_shape):
        return self._depthwise_kernel_shape(input_shape)

    def compute_output_shape(self, input_shape) -> tuple:
        return self._assemble(input_shape, self._forward_spatial(input_shape), self.filters)

    def _preactivation(self, inputs):
        depthwise = self._packed(self.depthwise_kernel,
                                 lambda k: ops.pack_depthwise_kernel(k, self.dtype))
        pointwise = self._packed(self.pointwise_kernel,
                                 lambda k: ops.pack_pointwise_kernel(k, self.dtype))
        return ops.separable_conv(inputs, depthwise, pointwise,
                                  strides=self.strides, padding=self.padding,
                                  data_format=self.data_format,
                                  dilation_rate=self.dilation_rate, **self._op_kwargs())

    def _forward_with_context(self, x, training):
        # The training forward has the fused kernel store the depthwise intermediate too and
        # keeps it for the backward pass, which then does not run the depthwise convolution
        # a second time.
        _, after = self._fused_activation()
        # the packs the inference forward caches (repacking the depthwise kernel every
        # training step cost 0.1-0.4 ms on b8 64x64 C64)
        depthwise = self._packed(self.depthwise_kernel,
                                 lambda k: ops.pack_depthwise_kernel(k, self.dtype))
        pointwise = self._packed(self.pointwise_kernel,
                                 lambda k: ops.pack_pointwise_kernel(k, self.dtype))
        z, u5 = depthwise_grad.separable_forward_keeping_intermediate(
            x, depthwise, pointwise, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate, **self._op_kwargs())
        y = self._record_activity(self._finish(z))
        saved = {"depthwise_output": u5}
        if after is not None:
            saved["z"] = z
        return y, backprop.Context(inputs=x, outputs=y, training=training, saved=saved)

    def _backward(self, context, output_gradient):
        dz = self._activation_gradient(context, output_gradient)
        u5 = context.saved.get("depthwise_output")
        geometry = {"strides": self.strides, "padding": self.padding,
                    "data_format": self.data_format, "dilation_rate": self.dilation_rate}
        if u5 is None:  # a forward that kept nothing (empty output): the op recomputes it
            dx, ddepthwise, dpointwise = ops.separable_gradients(
                context.inputs, self.depthwise_kernel.value, self.pointwise_kernel.value, dz,
                **geometry)
            grads = [ddepthwise, dpointwise]
            if self.use_bias:
                grads.append(ops.bias_gradient(dz, self.data_format))
            return dx, grads
        # the bias gradient comes from the pass over dz that computes the pointwise one
        dx, *grads = depthwise_grad.separable_gradients_from_intermediate(
            context.inputs, self.depthwise_kernel.value, self.pointwise_kernel.value, dz, u5,
            transposed_blocks=self._packed(self.pointwise_kernel,
                                           depthwise_grad.transposed_pointwise_blocks,
                                           kind="backward"),
            bias=self.use_bias, **geometry)
        return dx, grads

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, "filters": self.filters,
                       **self._common_config(),
                       **self._tail_config()})
        return config


_SEPARABLE_ARGUMENTS = ("filters", "kernel_size", "strides", "padding", "data_format",
                        "dilation_rate_free", "depth_multiplier", "activation", "use_bias",
                        "depthwise_weights", "pointwise_weights", "bias_weights",
                        "activity_regularizer", "base")


@document(*_SEPARABLE_ARGUMENTS)
class SeparableConv1D(BaseSeparableConv):
    """1-D depthwise-separable convolution: a depthwise pass, then a 1x1 pointwise mix.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``filters`` channels. The weights are, in
        order, ``depthwise_kernel`` ``kernel_size + (channels, depth_multiplier)``,
        ``pointwise_kernel`` ``(1,) * rank + (channels * depth_multiplier, filters)`` and
        ``bias`` ``(filters,)``, as in Keras.

    {{raises}}

    Examples
    --------
    >>> import numpy as np
    >>> layer = SeparableConv1D(4, 3, padding="same")
    >>> layer(np.ones((1, 8, 2))).shape
    (1, 8, 4)
    >>> [w.shape for w in layer.get_weights()]  # depthwise, pointwise, bias
    [(3, 2, 1), (1, 2, 4), (4,)]
    """

    rank = 1


@document(*_SEPARABLE_ARGUMENTS)
class SeparableConv2D(BaseSeparableConv):
    """2-D depthwise-separable convolution: per-channel filters, then a 1x1 mix of channels.

    The depthwise step filters each input channel on its own (``depth_multiplier`` kernels
    each, with the layer's strides, padding and dilation, no bias); the pointwise step mixes
    the channels with a 1x1 convolution, adds the bias and applies the activation. Far fewer
    weights than a Conv2D of the same output shape.

    {{parameters}}

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns a float array with ``filters`` channels. The weights are, in
        order, ``depthwise_kernel`` ``kernel_size + (channels, depth_multiplier)``,
        ``pointwise_kernel`` ``(1,) * rank + (channels * depth_multiplier, filters)`` and
        ``bias`` ``(filters,)``, as in Keras.

    {{raises}}

    Examples
    --------
    The same output shape as ``Conv2D(8, 3)`` for half the weights (224 there):

    >>> layer = SeparableConv2D(8, 3, depth_multiplier=2)
    >>> layer.compute_output_shape((1, 6, 6, 3)), layer.build((1, 6, 6, 3))
    ((1, 4, 4, 8), None)
    >>> layer.count_params()
    110
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
