"""The backward pass the convolution-family layers share (layers/backprop.py): plain,
transposed, depthwise and separable.

A conv layer computes ``y = activation(z)`` with ``z = op(x, kernel) + bias``. Its backward
pass takes the activation's derivative first, then the op's gradients:

* relu and linear are fused into the forward kernel; their derivative needs only ``y``
  (``dz = dy`` where ``y > 0``, as ``jax.nn.relu``'s: 0 at 0), so the context keeps nothing
  extra;
* any other activation runs after the op, and the context keeps ``z`` (``saved["z"]``) for
  :func:`convkit.activations.gradient`.

Each layer family supplies ``_preactivation(x)`` (the op with bias and the fused activation)
and ``_op_gradients(x, dz)``: ``(dx, dkernel)``, or ``(dx, (dkernel, ...))`` for a layer with
several kernels (separable: depthwise, pointwise), in the order the layer creates them; the
bias, always created last, follows. A family may add ``_kernel_gradients(x, dz)`` (the kernel
gradients alone), which runs when the caller does not need ``dx`` (a model's first layer in a
training step).
"""

import numpy as np

from .. import activations, ops
from ..ops import conv_grad
from . import backprop


class ConvBackward:
    """Mixin for :class:`~convkit.layers.conv.BaseConv`,
    :class:`~convkit.layers.conv_transpose.BaseConvTranspose`,
    :class:`~convkit.layers.depthwise.BaseDepthwiseConv` and
    :class:`~convkit.layers.separable.BaseSeparableConv`."""

    def call(self, inputs):
        return self._finish(self._preactivation(inputs))

    def _forward_with_context(self, x: np.ndarray, training):
        _, after = self._fused_activation()
        if after is None:
            return super()._forward_with_context(x, training)
        z = self._preactivation(x)
        y = self._record_activity(self._finish(z))
        return y, backprop.Context(inputs=x, outputs=y, training=training, saved={"z": z})

    def _activation_gradient(self, context, dy: np.ndarray) -> np.ndarray:
        fused, _ = self._fused_activation()
        if fused == "relu":
            y = context.outputs
            if y.dtype == dy.dtype and y.shape == dy.shape and \
                    dy.dtype in (np.float32, np.float64):
                # the compiled select over the flat arrays (its one-number sum unused):
                # np.where branches per element, 15-20x slower on a layer's random signs
                dz, _ = conv_grad.fused_activation_bias_gradient(
                    y.reshape(-1, 1), dy.reshape(-1, 1), relu=True)
                return dz.reshape(dy.shape)
            return np.where(y > 0, dy, dy.dtype.type(0))
        if fused is not None:  # linear
            return dy
        return activations.gradient(self.activation, context.saved["z"], dy)

    def _backward(self, context, output_gradient):
        fused, _ = self._fused_activation()
        if fused == "relu" and self.data_format == "channels_last" or \
                fused is not None and self.use_bias and self.data_format == "channels_last":
            # one compiled pass: the activation's derivative and the bias gradient together
            dz, db = conv_grad.fused_activation_bias_gradient(
                context.outputs, output_gradient, relu=fused == "relu")
        else:
            dz = self._activation_gradient(context, output_gradient)
            db = ops.bias_gradient(dz, self.data_format) if self.use_bias else None
        if not context.input_gradient and hasattr(self, "_kernel_gradients"):
            dx, dkernels = None, self._kernel_gradients(context.inputs, dz)
        else:
            dx, dkernels = self._op_gradients(context.inputs, dz)
        grads = list(dkernels) if isinstance(dkernels, tuple) else [dkernels]
        if self.use_bias:
            grads.append(db)
        return dx, grads
