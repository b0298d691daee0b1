"""What every convolution-family layer shares: argument handling, shapes, activation, config.

Keras normalises arguments in each base class; here they are normalised once in
:class:`ConvolutionLayer` and each family (plain, transposed, depthwise, separable) only adds
its weights and its op call.
"""

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..ops import shapes
from ..ops.arguments import (
    FUSED_ACTIVATIONS,
    check_positive_int,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from .base import Layer


def weight_arguments(initializer, regularizer, constraint) -> tuple:
    """A weight's ``(initializer, regularizer, constraint)`` objects from Keras identifiers
    (names, dicts, objects or None), the one rule every conv-family weight follows."""
    return initializers.get(initializer), regularizers.get(regularizer), constraints.get(constraint)


class ConvolutionLayer(Layer):
    """Base of every conv-family layer.

    Each rank's class sets ``rank`` (the number of spatial axes). Each family's base sets its
    kernels' initializer, regularizer and constraint attributes and lists their names in
    ``_kernel_weight_arguments``, in Keras's ``get_config`` order (the bias's follow them).
    """

    rank: int = None
    allow_causal = False
    _kernel_weight_arguments: tuple = ()

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, bias_constraint=None, **kwargs):
        if self.rank is None:
            raise TypeError(f"{type(self).__name__} is a base class: use its 1-D, 2-D or 3-D "
                            "layer, which sets `rank`.")
        super().__init__(**kwargs)
        self.input_ndim = self.rank + 2
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=self.allow_causal)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_arguments(bias_initializer, bias_regularizer, bias_constraint)

    _WEIGHT_ATTRIBUTES = ("kernel", "bias", "depthwise_kernel", "pointwise_kernel")

    def __getattr__(self, name):
        # only reached when normal lookup fails: weights exist from build() on
        if name in ConvolutionLayer._WEIGHT_ATTRIBUTES and not self.__dict__.get("built"):
            raise AttributeError(f"You must build the layer before accessing `{name}`.")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # -------------------------------------------------------------- helpers for subclasses
    def _channels_of(self, input_shape) -> int:
        channels = shapes.channels(input_shape, self.data_format)
        if channels is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known number "
                             f"of input channels to build. Received input_shape={input_shape}")
        if channels == 0:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): the input has zero "
                             f"channels (input_shape={input_shape}).")
        return channels

    def _forward_spatial(self, input_shape) -> list:
        """Output spatial sizes of a forward conv, raising Keras's error for empty outputs."""
        spatial = self._spatial(input_shape)
        out = [shapes.conv_output_length(n, k, s, d, self.padding)
               for n, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                     self.dilation_rate)]
        shapes.check_conv_output(out, inputs_shape=input_shape,
                                 kernel_shape=self._kernel_shape_for_message(input_shape),
                                 dilation_rate=self.dilation_rate, strides=self.strides,
                                 padding=self.padding)
        return out

    def _kernel_shape_for_message(self, input_shape):
        return self.kernel_size

    def _spatial(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return shapes.spatial_shape(shape, self.data_format)

    def _assemble(self, input_shape, spatial, channels) -> tuple:
        batch = tuple(input_shape)[0]
        if shapes.channel_axis(self.data_format) == 1:
            return (batch, channels, *spatial)
        return (batch, *spatial, channels)

    def _fused_activation(self):
        """(activation name for the kernel, callable to apply afterwards or None)."""
        activation = self.activation
        remembered = self.__dict__.get("_fused_for")
        if remembered is not None and remembered[0] is activation:
            return remembered[1]  # asked several times per call; the answer follows the object
        name = activations.serialize(activation)
        # the kernels apply these inside their store: no second pass over the output
        if isinstance(name, str) and name in FUSED_ACTIVATIONS \
                and activation is getattr(activations, name, None):
            answer = (name, None)
        else:
            answer = (None, activation)
        self.__dict__["_fused_for"] = (activation, answer)
        return answer

    def _packed(self, variable, pack, kind="forward"):
        """``pack(value)`` cached until ``variable`` changes (set_weights, assign, constraints).

        Packing reorders the weights into the kernels' blocked layout; doing it once per
        weight value rather than once per call matters for small inputs. ``kind`` tells the
        packings of one weight apart (the forward op's, the backward pass's).
        """
        cache = self.__dict__.setdefault("_pack_cache", {})
        key = (variable.path, kind)
        entry = cache.get(key)
        if entry is None or entry[0] != variable.version:
            entry = cache[key] = (variable.version, pack(variable.value))
        return entry[1]

    def _op_kwargs(self) -> dict:
        fused, _ = self._fused_activation()
        return {"bias": self.bias.value if self.use_bias else None, "activation": fused}

    def _finish(self, outputs: np.ndarray) -> np.ndarray:
        _, after = self._fused_activation()
        if after is None:
            return outputs
        result = np.asarray(after(outputs))
        return np.ascontiguousarray(result, dtype=outputs.dtype)

    def _add_bias(self, filters):
        if self.use_bias:
            self.bias = self.add_weight("bias", (filters,), self.bias_initializer,
                                        self.bias_regularizer, self.bias_constraint)
        else:
            self.bias = None

    def _common_config(self) -> dict:
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate}

    def _tail_config(self) -> dict:
        """activation, use_bias, then initializers, regularizers and constraints in Keras's
        order: each group lists the kernels' (``_kernel_weight_arguments``), then the bias's."""
        arguments = (*self._kernel_weight_arguments,
                     ("bias_initializer", "bias_regularizer", "bias_constraint"))
        config = {"activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias}
        for initializer, _, _ in arguments:
            config[initializer] = initializers.serialize(getattr(self, initializer))
        for _, regularizer, _ in arguments:
            config[regularizer] = regularizers.serialize(getattr(self, regularizer))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        for _, _, constraint in arguments:
            config[constraint] = constraints.serialize(getattr(self, constraint))
        return config

    def _require_filters(self):
        if self.filters is None:
            raise ValueError(f"Layer '{self.name}': `filters` must be set before building.")

    def _depthwise_kernel_shape(self, input_shape) -> tuple:
        """The depthwise kernel's shape, ``kernel_size + (in_channels, depth_multiplier)``."""
        return self.kernel_size + (shapes.channels(input_shape, self.data_format),
                                   self.depth_multiplier)

    @staticmethod
    def _check_filters(filters):
        return check_positive_int(filters, "filters", allow_none=True)
