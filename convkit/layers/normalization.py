"""BatchNormalization (Keras 3's ``keras.layers.BatchNormalization``).

``y = (x - mean) / sqrt(variance + epsilon) * gamma + beta`` along ``axis``, computed as
Keras's JAX backend does: ``inv = gamma / sqrt(variance + epsilon)``, ``y = x * inv +
(beta - mean * inv)``. In training (``training=True`` on a trainable layer) mean and variance
are the batch's (the biased variance, as ``keras.ops.moments``) and the moving statistics move
towards them: ``moving = moving * momentum + batch * (1 - momentum)``. Otherwise the moving
statistics normalise, and a frozen layer (``trainable=False``) always runs that way, as in
Keras.

The backward pass goes through the batch statistics in training and through the (constant)
moving statistics in inference.
"""

import math
import numbers

import numpy as np

from .. import constraints, initializers, regularizers
from . import backprop, state_updates
from ._conv_common import weight_arguments
from .base import Layer


def _check_axis(axis) -> int:
    # Keras 3.15 takes int(axis): one axis only, a list is a TypeError there too
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"`axis` must be an int (one axis; Keras 3 takes no list). "
                        f"Received: axis={axis!r}")
    return int(axis)


def _check_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a float. Received: {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite. Received: {name}={value!r}")
    return float(value)


class BatchNormalization(Layer):
    """Normalise along ``axis`` with batch statistics (training) or moving ones (inference).

    Parameters
    ----------
    axis : int
        The features axis (negative counts from the end); ``1`` after a channels_first conv.
    momentum : float
        Of the moving averages.
    epsilon : float
        Added to the variance.
    center, scale : bool
        Whether to learn ``beta`` (offset) and ``gamma`` (scale).
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer
        How each weight starts (Keras's defaults: zeros, ones, zeros, ones).
    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint
        Penalties and projections of the two trainable weights, as in Keras.
    synchronized : bool
        Cross-device statistics: Keras supports True only on TensorFlow, and so it is a
        ValueError here as on Keras's other backends.
    renorm, renorm_clipping, renorm_momentum
        Batch renormalisation is not supported (``renorm=True`` is a NotImplementedError);
        the other two are kept for the config.

    Returns
    -------
    outputs : numpy.ndarray
        Calling the layer returns an array of the input's shape.

    Raises
    ------
    ValueError
        For an ``axis`` outside the input's rank, ``synchronized=True``, or an input whose
        feature size does not match the weights.
    NotImplementedError
        For ``renorm=True``.

    Notes
    -----
    The weights are ``gamma`` and ``beta`` (trainable, when ``scale``/``center``), then
    ``moving_mean`` and ``moving_variance`` (non-trainable), each of shape ``(features,)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = BatchNormalization(momentum=0.5)
    >>> x = np.array([[0.0], [2.0]])
    >>> layer(x, training=True)[:, 0].round(4)  # (x - 1) / sqrt(1 + 0.001)
    array([-0.9995,  0.9995], dtype=float32)
    >>> layer.moving_mean.numpy(), layer.moving_variance.numpy()
    (array([0.5], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis(axis)
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the "
                             "TensorFlow backend.")
        self.synchronized = False
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True): batch "
                                      "renormalisation is not supported by convkit.")
        self.renorm, self.renorm_clipping = False, renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.momentum = _check_float(momentum, "momentum")
        self.epsilon = _check_float(epsilon, "epsilon")
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.beta_regularizer, self.beta_constraint = \
            weight_arguments(beta_initializer, beta_regularizer, beta_constraint)
        self.gamma_initializer, self.gamma_regularizer, self.gamma_constraint = \
            weight_arguments(gamma_initializer, gamma_regularizer, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    # ----------------------------------------------------------------- shapes
    def _check_rank(self, shape: tuple) -> None:
        rank = len(shape)
        if self.built and rank != len(self._build_input_shape):
            raise ValueError(
                f"Input 0 of layer '{self.name}' (BatchNormalization) is incompatible with "
                f"the layer: expected ndim={len(self._build_input_shape)}, found ndim={rank}. "
                f"Full shape received: {shape}")
        if not -rank <= self.axis < rank:
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape {shape}. "
                             f"Received: axis={self.axis}")

    def _channel_axis(self) -> int:
        return self.axis

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        self._check_rank(shape)
        return shape

    def _build(self, input_shape: tuple) -> None:
        features = input_shape[self.axis]
        if not features:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization) needs a known, "
                             f"non-zero size on axis {self.axis} to build. Received "
                             f"input_shape={input_shape}")
        shape = (features,)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer,
                                               trainable=False)

    # ----------------------------------------------------------------- forward
    def _normalize(self, x: np.ndarray, training):
        """``(outputs, state updates, what the backward pass needs)``."""
        axis = self.axis % x.ndim
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        stats_shape = [1] * x.ndim
        stats_shape[axis] = x.shape[axis]
        dtype = x.dtype.type
        use_batch = bool(training) and self.trainable
        updates = []
        if use_batch:
            if x.size == 0:
                raise ValueError(f"BatchNormalization '{self.name}': batch statistics of an "
                                 f"empty batch (input shape {x.shape}) are undefined.")
            mean = x.mean(axis=reduce)
            variance = x.var(axis=reduce)  # biased, as keras.ops.moments
            momentum, rest = dtype(self.momentum), dtype(1.0 - self.momentum)
            updates = [(self.moving_mean, self.moving_mean.value * momentum + mean * rest),
                       (self.moving_variance,
                        self.moving_variance.value * momentum + variance * rest)]
        else:
            mean, variance = self.moving_mean.value, self.moving_variance.value
        rstd = dtype(1) / np.sqrt(variance + dtype(self.epsilon))
        inv = rstd * self.gamma.value if self.scale else rstd
        offset = -mean * inv
        if self.center:
            offset = offset + self.beta.value
        y = x * inv.reshape(stats_shape) + offset.reshape(stats_shape)
        saved = {"mean": mean, "rstd": rstd, "batch_statistics": use_batch,
                 "reduce": reduce, "stats_shape": stats_shape}
        return y, updates, saved

    def call(self, inputs, training=None):
        y, updates, _ = self._normalize(inputs, training)
        state_updates.assign(updates)  # a direct call updates at once, as Keras's eager call
        return y

    def _forward_with_context(self, x: np.ndarray, training):
        y, updates, saved = self._normalize(x, training)
        y = self._record_activity(y)
        saved[state_updates.KEY] = updates  # the caller commits them (see state_updates)
        return y, backprop.Context(inputs=x, outputs=y, training=training, saved=saved)

    # ----------------------------------------------------------------- backward
    def _backward(self, context, output_gradient):
        saved = context.saved
        shape, reduce = saved["stats_shape"], saved["reduce"]
        dy, x = output_gradient, context.inputs
        rstd = saved["rstd"].reshape(shape)
        xhat = (x - saved["mean"].reshape(shape)) * rstd
        sum_dy = dy.sum(axis=reduce)
        sum_dy_xhat = (dy * xhat).sum(axis=reduce)
        scale = rstd * self.gamma.value.reshape(shape) if self.scale else rstd
        if saved["batch_statistics"]:
            # mean and variance depend on x: their terms remove the gradient's mean and its
            # projection on xhat
            n = x.dtype.type(x.size // x.shape[self.axis % x.ndim])
            dx = scale * (dy - (sum_dy / n).reshape(shape)
                          - xhat * (sum_dy_xhat / n).reshape(shape))
        else:
            dx = dy * scale
        grads = ([sum_dy_xhat] if self.scale else []) + ([sum_dy] if self.center else [])
        return np.ascontiguousarray(dx), grads + [None, None]

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized, "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum,
        })
        return config
