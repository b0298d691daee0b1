"""The Layer contract every convkit layer shares (Keras 3 semantics, KERAS_PARITY §1).

A layer holds arguments and weights and calls :mod:`convkit.ops` for the arithmetic. It is
built lazily on its first call (or by :meth:`Layer.build`), which creates the weights and pins
the channel axis; later calls may change batch and spatial sizes, not the channel count.
"""

import re

import numpy as np

from .. import regularizers
from ..ops import _arrays
from .variable import Variable

_BASE_KWARGS = ("name", "dtype", "trainable", "autocast", "input_shape", "batch_input_shape",
                "input_dim")
_name_counts: dict = {}


def to_snake_case(name: str) -> str:
    """``"UpSampling2D"`` → ``"up_sampling2d"`` (how Keras names layers)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... for the process's lifetime, like Keras."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def dtype_policy_config(dtype_name: str) -> dict:
    """Keras's serialised dtype policy, as ``get_config()['dtype']`` shows it."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype_name},
            "registered_name": None}


def _resolve_dtype(dtype) -> np.dtype:
    if dtype is None:
        return np.dtype("float32")
    if isinstance(dtype, dict):  # a serialised DTypePolicy from get_config()
        dtype = dtype.get("config", {}).get("name", dtype)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise ValueError(f"convkit computes in float32 or float64; mixed-precision policies "
                         f"are not supported. Received: dtype={dtype!r}")
    return _arrays.resolve_float_dtype(dtype, name="dtype")


def _shape_tuple(shape, name: str) -> tuple:
    try:
        items = tuple(shape)
    except TypeError:
        raise ValueError(f"`{name}` must be a tuple of dimensions. Received: {shape!r}") from None
    for d in items:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                              or d < 0):
            raise ValueError(f"`{name}` must hold non-negative ints or None. "
                             f"Received: {shape!r}")
    return tuple(None if d is None else int(d) for d in items)


class Layer:
    """Base class: weights, lazy build, input checks, config, losses and constraints.

    Parameters
    ----------
    name : str, optional
        Unique by default (``"conv2d"``, ``"conv2d_1"``...).
    dtype : {"float32", "float64"}, optional
        Compute and weight dtype (default float32). float64 layers compute in float64 end to
        end (KERAS_PARITY D8).
    trainable : bool
        Whether the weights count as trainable (and get weight penalties in ``losses``).
    input_shape : tuple, optional
        The input shape without the batch axis, for the first layer of a
        :class:`~convkit.models.Sequential` model.

    Subclasses set ``input_ndim`` (the exact rank of their inputs) and implement
    ``build``/``call``/``compute_output_shape``/``get_config``.
    """

    input_ndim: int = None  # exact input rank, including batch
    # whether the channel axis is pinned at build (weights depend on it)
    pins_channels: bool = True

    def __init__(self, activity_regularizer=None, **kwargs):
        unknown = {k: v for k, v in kwargs.items() if k not in _BASE_KWARGS}
        if unknown:
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}: {unknown}")
        name = kwargs.get("name")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        self.name = name if name else unique_name(to_snake_case(type(self).__name__))
        self._dtype = _resolve_dtype(kwargs.get("dtype"))
        self._trainable = bool(kwargs.get("trainable", True))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        input_shape = kwargs.get("input_shape")
        if kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is not None:
            self._batch_input_shape = _shape_tuple(batch_input_shape, "batch_input_shape")
        elif input_shape is not None:
            self._batch_input_shape = (None, *_shape_tuple(input_shape, "input_shape"))
        else:
            self._batch_input_shape = None
        self._weights: list = []
        self._activity_losses: list = []
        self._pinned_channels = None
        self._build_input_shape = None
        self.built = False

    # ----------------------------------------------------------------- properties
    @property
    def dtype(self) -> str:
        """The layer's compute/weight dtype name (``"float32"`` or ``"float64"``)."""
        return self._dtype.name

    @property
    def compute_dtype(self) -> str:
        return self._dtype.name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    @property
    def weights(self) -> list:
        """Every weight, in creation order (the order of :meth:`get_weights`)."""
        return list(self._weights)

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        return [w for w in self._weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list:
        if not self._trainable:
            return list(self._weights)
        return [w for w in self._weights if not w.trainable]

    @property
    def input_shape(self):
        """The ``input_shape=`` given at construction, with a ``None`` batch, or None."""
        return self._batch_input_shape

    @property
    def losses(self) -> list:
        """Activity losses of the last call, then weight penalties recomputed now (§1.8)."""
        penalties = [float(w.regularizer(w.value)) for w in self.trainable_weights
                     if w.regularizer is not None]
        return list(self._activity_losses) + penalties

    # ----------------------------------------------------------------- weights
    def add_weight(self, name, shape, initializer, regularizer=None, constraint=None,
                   trainable=True) -> Variable:
        """Create a weight. ``initializer=None`` means Glorot uniform, as in Keras (D4)."""
        from .. import initializers

        init = initializers.get(initializer) if initializer is not None else \
            initializers.get("glorot_uniform")
        value = np.asarray(init(tuple(shape), dtype=self.dtype), dtype=self._dtype)
        var = Variable(value, name=name, path=f"{self.name}/{name}", trainable=trainable,
                       regularizer=regularizer, constraint=constraint)
        self._weights.append(var)
        return var

    def get_weights(self) -> list:
        """Copies of the weights' values, in Keras's order."""
        return [w.numpy() for w in self._weights]

    def set_weights(self, weights) -> None:
        """Set every weight from a list of arrays (shapes checked, values cast)."""
        weights = list(weights)
        if len(weights) != len(self._weights):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(self._weights)} weights.")
        arrays = [np.asarray(v) for v in weights]
        for var, arr in zip(self._weights, arrays):
            if tuple(var.shape) != tuple(arr.shape):
                raise ValueError(f"Layer {self.name} weight shape {var.shape} is not "
                                 f"compatible with provided weight shape {arr.shape}.")
        for var, arr in zip(self._weights, arrays):
            var.assign(arr)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             "the layer isn't built. You can build it manually via: "
                             "`layer.build(input_shape)`.")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self._weights))

    def apply_constraints(self) -> None:
        """Apply each weight's constraint in place (what an optimizer does after a step, D5)."""
        for w in self._weights:
            if w.constraint is not None:
                w.assign(w.constraint(w.value))

    # ----------------------------------------------------------------- building and calling
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch first; None allowed)."""
        shape = _shape_tuple(input_shape, "input_shape")
        self._check_input_shape(shape)
        self._build(shape)
        self._build_input_shape = shape
        if self.pins_channels:
            self._pinned_channels = shape[self._channel_axis()]
        self.built = True

    def _build(self, input_shape: tuple) -> None:
        """Subclass hook: create weights. The default layer has none."""

    def _channel_axis(self) -> int:
        return 1 if getattr(self, "data_format", "channels_last") == "channels_first" else -1

    def _check_input_shape(self, shape: tuple) -> None:
        if self.input_ndim is not None and len(shape) != self.input_ndim:
            raise ValueError(
                f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with "
                f"the layer: expected ndim={self.input_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}")
        if self.built and self.pins_channels and self._pinned_channels is not None:
            axis = self._channel_axis()
            if shape[axis] is not None and shape[axis] != self._pinned_channels:
                raise ValueError(
                    f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible "
                    f"with the layer: expected axis {axis} of input shape to have value "
                    f"{self._pinned_channels}, but received input with shape {shape}")

    def _convert_input(self, inputs) -> np.ndarray:
        """Dtype rule for this layer's inputs. Default: cast to the layer dtype (D2)."""
        return _arrays.as_float(inputs, self._dtype)

    def __call__(self, inputs):
        x = self._convert_input(inputs)
        self._check_input_shape(x.shape)
        if not self.built:
            self.build(x.shape)
        self._activity_losses = []
        y = self.call(x)
        if self.activity_regularizer is not None:
            batch = y.shape[0] if y.ndim else 1
            penalty = float(self.activity_regularizer(y))
            self._activity_losses.append(penalty / batch if batch else 0.0)
        return y

    def call(self, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "compute_output_shape()")

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """``name``, ``trainable``, ``dtype`` (a policy dict), then the layer's own arguments."""
        config = {"name": self.name, "trainable": self._trainable,
                  "dtype": dtype_policy_config(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild a layer from :meth:`get_config`'s output (serialised sub-objects included)."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
