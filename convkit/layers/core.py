"""Dense and Activation: the fully connected layer and a stand-alone activation (Keras 3's
``keras.layers.Dense`` and ``keras.layers.Activation``).

Dense multiplies the last axis of inputs of any rank >= 2 by its kernel with NumPy's BLAS
(``np.matmul``): a hand-written GEMM would not beat it. Both layers take the activation's
derivative with :func:`convkit.activations.gradient` in their backward pass, so they support
every built-in activation and refuse (NotImplementedError) a custom callable there.
"""

import numpy as np

from .. import activations, constraints, initializers, regularizers
from . import backprop
from ._conv_common import weight_arguments
from .base import Layer


def _activation_forward(layer, z: np.ndarray) -> np.ndarray:
    """``layer.activation(z)`` in ``z``'s dtype and C order (linear returns ``z`` itself)."""
    if layer.activation is activations.linear:
        return z
    return np.ascontiguousarray(layer.activation(z), dtype=z.dtype)


def _activation_backward(layer, z: np.ndarray, dy: np.ndarray) -> np.ndarray:
    if layer.activation is activations.linear:
        return dy
    return np.ascontiguousarray(activations.gradient(layer.activation, z, dy), dtype=dy.dtype)


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis of inputs of rank >= 2.

    Parameters
    ----------
    units : int
        Output size (> 0).
    activation : str or callable, optional
        None means linear.
    use_bias : bool, default True
        Whether to add a learned bias.
    kernel_initializer, kernel_regularizer, kernel_constraint
        How the kernel starts (default ``"glorot_uniform"``), its penalty in the training
        loss and the projection applied after each optimizer step: names, configuration
        dicts or objects, as in Keras.
    bias_initializer, bias_regularizer, bias_constraint
        The same for the bias (default initializer ``"zeros"``).
    lora_rank, lora_alpha
        Keras's LoRA fine-tuning; only ``None`` is supported here.
    quantization_config
        Only ``None`` (convkit does not quantize).
    **kwargs
        ``name``, ``dtype``, ``trainable``, ``input_shape``, ``activity_regularizer``, as for
        every layer.

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer on ``(..., input_dim)`` returns ``(..., units)``.

    Raises
    ------
    ValueError
        For ``units`` that is not a positive int, or an input whose last axis does not match
        the kernel.
    NotImplementedError
        For a ``lora_rank`` or ``quantization_config`` other than ``None``.

    Notes
    -----
    The weights are ``kernel``, of shape ``(input_dim, units)``, then ``bias``, of shape
    ``(units,)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(4, activation="relu", name="head")
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 5, 4)
    >>> [w.path for w in layer.weights]
    ['head/kernel', 'head/bias']
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}")
        if lora_rank is not None:
            raise NotImplementedError(
                f"Dense(lora_rank={lora_rank!r}): LoRA is not supported by convkit; pass "
                "lora_rank=None.")
        if lora_alpha is not None:
            raise NotImplementedError(
                f"Dense(lora_alpha={lora_alpha!r}): LoRA is not supported by convkit; pass "
                "lora_alpha=None.")
        if quantization_config is not None:
            raise NotImplementedError("Dense: convkit does not quantize; "
                                      "`quantization_config` must be None.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_arguments(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_arguments(bias_initializer, bias_regularizer, bias_constraint)
        self.kernel = self.bias = None

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) < 2:
            raise ValueError(
                f"Input 0 of layer '{self.name}' (Dense) is incompatible with the layer: "
                f"expected min_ndim=2, found ndim={len(shape)}. Full shape received: {shape}")

    def _build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None or input_dim == 0:
            raise ValueError(f"Layer '{self.name}' (Dense) needs a known, non-zero last input "
                             f"axis to build. Received input_shape={input_shape}")
        self.kernel = self.add_weight("kernel", (input_dim, self.units),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer, self.bias_constraint)

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return (*shape[:-1], self.units)

    def _preactivation(self, x: np.ndarray) -> np.ndarray:
        z = np.matmul(x, self.kernel.value)
        if self.use_bias:
            z += self.bias.value
        return z

    def call(self, inputs):
        return _activation_forward(self, self._preactivation(inputs))

    def _forward_with_context(self, x: np.ndarray, training):
        z = self._preactivation(x)
        y = self._record_activity(_activation_forward(self, z))
        return y, backprop.Context(inputs=x, outputs=y, training=training, saved={"z": z})

    def _backward(self, context, output_gradient):
        dz = _activation_backward(self, context.saved["z"], output_gradient)
        x = context.inputs
        dz2 = dz.reshape(-1, self.units)
        dx = np.matmul(dz, self.kernel.value.T)
        grads = [np.matmul(x.reshape(-1, x.shape[-1]).T, dz2)]
        if self.use_bias:
            grads.append(dz2.sum(axis=0))
        return dx, grads

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        })
        return config


class Activation(Layer):
    """Apply an activation function: any built-in by name, or a callable.

    Parameters
    ----------
    activation : str or callable
        ``"relu"``, ``"softmax"``...; an unknown name is a ValueError.

    Raises
    ------
    ValueError
        At construction, for a name that is not an activation of :mod:`convkit.activations`.
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> Activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]], dtype=float32)
    """

    pins_channels = False  # shape-agnostic: any input shape, call after call

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(input_shape)

    def call(self, inputs):
        return _activation_forward(self, inputs)

    def _backward(self, context, output_gradient):
        return _activation_backward(self, context.inputs, output_gradient), []

    def get_build_config(self):
        # Keras builds this weightless layer at construction, so its files carry no
        # build_config for it; nor do ours
        return None

    def get_config(self) -> dict:
        return {**super().get_config(),
                "activation": activations.serialize(self.activation)}
