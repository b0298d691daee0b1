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
bias, always created last, follows.
"""

import numpy as np

from .. import activations, ops
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
            return np.where(context.outputs > 0, dy, dy.dtype.type(0))
        if fused is not None:  # linear
            return dy
        return activations.gradient(self.activation, context.saved["z"], dy)

    def _backward(self, context, output_gradient):
        dz = self._activation_gradient(context, output_gradient)
        dx, dkernels = self._op_gradients(context.inputs, dz)
        grads = list(dkernels) if isinstance(dkernels, tuple) else [dkernels]
        if self.use_bias:
            grads.append(ops.bias_gradient(dz, self.data_format))
        return dx, grads
