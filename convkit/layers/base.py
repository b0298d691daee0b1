"""The Layer contract every convkit layer shares (Keras 3 semantics, docs/design/keras_parity.md
§1).

A layer holds arguments and weights and calls :mod:`convkit.ops` for the arithmetic. It is
built lazily on its first call (or by :meth:`Layer.build`), which creates the weights and pins
the channel axis; later calls may change batch and spatial sizes, not the channel count.

A layer may own sub-layers (a model is a layer whose sub-layers are its layers): the weight
API, ``losses`` and ``trainable`` reach them through one hook, :meth:`Layer._sublayers`.

``Layer`` itself holds construction, the sub-layer hook, building, calling and the backward
pass; it inherits the weight API from :class:`~convkit.layers.layer_weights.LayerWeightsMixin`
and config and pickling from :class:`~convkit.layers.layer_config.LayerConfigMixin`, each in
a module of its own.
"""

import inspect

import numpy as np

from .. import regularizers
from ..ops import _arrays, shapes
from . import backprop
from .layer_config import LayerConfigMixin
from .layer_weights import LayerWeightsMixin
from .naming import name_scope, to_snake_case, unique_name

_BASE_KWARGS = ("name", "dtype", "trainable", "autocast", "input_shape", "batch_input_shape",
                "input_dim")


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


def _check_training(training) -> None:
    if training is not None and not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"`training` must be True, False or None. Received: training={training!r}")


class Layer(LayerWeightsMixin, LayerConfigMixin):
    """Base class: weights, lazy build, input checks, config, losses and constraints.

    Parameters
    ----------
    name : str, optional
        Unique by default (``"conv2d"``, ``"conv2d_1"``...).
    dtype : {"float32", "float64"}, optional
        Compute and weight dtype (default float32). float64 layers compute in float64 end to end
        (Keras on jax computes such layers in float32).
    trainable : bool
        Whether the weights count as trainable (and get weight penalties in ``losses``).
    input_shape : tuple, optional
        The input shape without the batch axis, for the first layer of a
        :class:`~convkit.models.Sequential` model.

    Raises
    ------
    ValueError
        For a ``dtype`` other than float32 or float64 (mixed precision included), or an
        ``input_shape`` that is not a tuple of non-negative ints.
    TypeError
        For an unknown keyword argument, or a ``name`` that is not a string.

    Notes
    -----
    Subclasses set ``input_ndim`` (the exact rank of their inputs) and implement
    ``_build``/``call``/``compute_output_shape``/``get_config``. A ``call`` that takes a
    ``training`` argument receives the one given to ``__call__`` (Keras's convention): True in a
    training step, False in ``predict`` and evaluation, None when the caller does not say.

    A layer made of other layers returns them from ``_sublayers()``: ``weights`` (and
    ``get_weights``/``set_weights``, ``count_params``), ``trainable_weights``, ``losses`` and
    the ``trainable`` switch then cover them too, in Keras's order.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import layers
    >>> conv = layers.Conv1D(2, 3, name="conv")
    >>> conv(np.ones((1, 8, 1))).shape
    (1, 6, 2)
    >>> [w.path for w in conv.weights], conv.count_params()
    (['conv/kernel', 'conv/bias'], 8)
    >>> conv.trainable = False
    >>> conv.trainable_weights, len(conv.non_trainable_weights)
    ([], 2)
    """

    input_ndim: int = None  # exact input rank, including batch
    # whether the channel axis is pinned at build (weights depend on it)
    pins_channels: bool = True
    _keras_module = "keras.layers"  # the "module" entry of this class's serialised dict
    _call_has_training_arg = False  # set per subclass from its call() signature

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._call_has_training_arg = "training" in inspect.signature(cls.call).parameters

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
        self._weights: list = []  # this layer's own weights, in creation order
        self._activity_losses: list = []
        self._pinned_channels = None
        self._build_input_shape = None
        self.built = False

    # ----------------------------------------------------------------- properties
    @property
    def dtype(self) -> str:
        """The layer's compute/weight dtype name (``"float32"`` or ``"float64"``)."""
        return self._dtype.name

    # one dtype per layer: it computes in its weights' dtype (no mixed precision)
    compute_dtype = dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        # as in Keras, (un)freezing a layer made of layers (un)freezes every one of them
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def input_shape(self):
        """The ``input_shape=`` given at construction, with a ``None`` batch, or None."""
        return self._batch_input_shape

    # ----------------------------------------------------------------- sub-layers
    def _sublayers(self) -> list:
        """The layers this one is made of, in order (a model's layers); none by default.

        The one hook through which weights, losses and ``trainable`` reach nested layers.
        """
        return []

    def _flatten_layers(self) -> list:
        """This layer, then each sub-layer depth first, every layer once."""
        seen: set = set()
        order: list = []

        def visit(layer):
            if id(layer) not in seen:
                seen.add(id(layer))
                order.append(layer)
                for sub in layer._sublayers():
                    visit(sub)

        visit(self)
        return order

    # ----------------------------------------------------------------- building and calling
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch first; None allowed).

        Parameters
        ----------
        input_shape : tuple
            The input shape, batch first; ``None`` stands for a size not known yet (the batch,
            usually).

        Raises
        ------
        ValueError
            For a shape of the wrong rank, or a channel count the layer cannot use (the message
            names the layer and the shape).

        Examples
        --------
        >>> from convkit import layers
        >>> conv = layers.Conv2D(8, 3)
        >>> conv.built
        False
        >>> conv.build((None, 32, 32, 3))
        >>> conv.built, conv.kernel.shape
        (True, (3, 3, 3, 8))
        """
        shape = _shape_tuple(input_shape, "input_shape")
        self._check_input_shape(shape)
        with name_scope(self):
            self._build(shape)
        self._build_input_shape = shape
        if self.pins_channels:
            self._pinned_channels = shape[self._channel_axis()]
        self.built = True

    def _build(self, input_shape: tuple) -> None:
        """Subclass hook: create weights. The default layer has none."""

    def _channel_axis(self) -> int:
        return shapes.channel_axis(getattr(self, "data_format", "channels_last"))

    def _check_rank(self, shape: tuple) -> None:
        """The one input-rank rule (docs/design/keras_parity.md D3), for calls and for
        ``compute_output_shape`` alike."""
        if self.input_ndim is not None and len(shape) != self.input_ndim:
            raise ValueError(
                f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with "
                f"the layer: expected ndim={self.input_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}")

    def _check_input_shape(self, shape: tuple) -> None:
        self._check_rank(shape)
        if self.built and self.pins_channels and self._pinned_channels is not None:
            axis = self._channel_axis()
            if shape[axis] is not None and shape[axis] != self._pinned_channels:
                raise ValueError(
                    f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible "
                    f"with the layer: expected axis {axis} of input shape to have value "
                    f"{self._pinned_channels}, but received input with shape {shape}"
                    + shapes.other_format_hint(shape, self._pinned_channels,
                                               getattr(self, "data_format", "channels_last")))

    def _convert_input(self, inputs) -> np.ndarray:
        """Dtype rule for this layer's inputs. Default: cast to the layer dtype
        (docs/design/keras_parity.md D2)."""
        return _arrays.as_float(inputs, self._dtype)

    def _prepare_inputs(self, inputs) -> np.ndarray:
        """Convert and check ``inputs``, building the layer on first use: the first step of
        every method that takes inputs."""
        x = self._convert_input(inputs)
        self._check_input_shape(x.shape)
        if not self.built:
            self.build(x.shape)
        return x

    def __call__(self, inputs, training=None):
        """Apply the layer to ``inputs`` (building it on the first call).

        ``training`` (True, False or None) reaches ``call`` when ``call`` takes it.
        """
        _check_training(training)
        return self._run_call(self._prepare_inputs(inputs), training)

    def _run_call(self, x: np.ndarray, training) -> np.ndarray:
        """``call`` on prepared inputs, recording the activity loss of its outputs."""
        self._activity_losses = []
        y = self.call(x, training=training) if self._call_has_training_arg else self.call(x)
        return self._record_activity(y)

    def _record_activity(self, y: np.ndarray) -> np.ndarray:
        """Record the activity regularizer's penalty of outputs ``y`` (per batch item)."""
        self._activity_losses = []
        if self.activity_regularizer is not None:
            batch = y.shape[0] if y.ndim else 1
            penalty = float(self.activity_regularizer(y))
            self._activity_losses.append(penalty / batch if batch else 0.0)
        return y

    def call(self, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for inputs of ``input_shape``, without computing anything.

        Parameters
        ----------
        input_shape : tuple
            Batch first; ``None`` for sizes not known yet.

        Returns
        -------
        tuple
            The output shape (``None`` where the input's size was ``None``).

        Raises
        ------
        ValueError
            For a shape of the wrong rank, or one the layer cannot use (a window larger than
            a ``"valid"`` input, say).

        Examples
        --------
        >>> from convkit import layers
        >>> layers.Conv2D(8, 3, strides=2).compute_output_shape((None, 28, 28, 3))
        (None, 13, 13, 8)
        """
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "compute_output_shape()")

    # ----------------------------------------------------------------- backward pass
    def backward(self, inputs, output_gradient, training=False):
        """Gradients of a loss with respect to the inputs and the trainable weights.

        Parameters
        ----------
        inputs : array_like
            The inputs of the forward pass (converted as ``__call__`` converts them).
        output_gradient : array_like
            The gradient of the loss with respect to the layer's outputs for ``inputs``:
            their shape, a floating dtype, finite values.
        training : bool
            The mode of the forward pass the gradient is taken through (it matters for
            layers that behave differently in training, such as Dropout).

        Returns
        -------
        input_gradient : numpy.ndarray
            Shaped like the (converted) inputs.
        weight_gradients : list of numpy.ndarray
            One per entry of :attr:`trainable_weights`, in that order (empty when the layer
            has no trainable weights).

        Raises
        ------
        TypeError, ValueError
            For an ``output_gradient`` of the wrong dtype or shape, or holding NaN or inf.
        NotImplementedError
            For a layer without a backward pass.

        Notes
        -----
        A pure function of its arguments and the current weights: it runs the forward pass
        again (layers whose gradient depends on the inputs' shape alone, such as average
        pooling, cropping or upsampling, skip it). A training step runs the forward once with
        :meth:`_forward_with_context` and hands that context to :meth:`_gradients` instead.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers
        >>> dense = layers.Dense(1, kernel_initializer="ones", name="d")
        >>> x = np.array([[1.0, 2.0]], "float32")
        >>> dx, (dkernel, dbias) = dense.backward(x, np.ones((1, 1), "float32"))
        >>> dx.tolist(), dkernel[:, 0].tolist(), dbias.tolist()
        ([[1.0, 1.0]], [1.0, 2.0], [1.0])
        """
        _check_training(training)
        x = self._prepare_inputs(inputs)
        outputs, context = self._forward_for_backward(x, training)
        dy = backprop.check_output_gradient(self, output_gradient, outputs)
        return self._gradients(context, dy)

    def _forward_for_backward(self, x: np.ndarray, training):
        """The forward pass :meth:`backward` differentiates: the whole pass by default. A
        layer whose gradient depends on its inputs' shape alone returns
        :func:`~convkit.layers.backprop.shape_only_context` instead and skips the work."""
        return self._forward_with_context(x, training)

    def _forward_with_context(self, x: np.ndarray, training):
        """``(outputs, context)`` for prepared inputs; layers whose backward pass needs more
        than the inputs and outputs add it to ``context.saved``."""
        y = self._run_call(x, training)
        return y, backprop.Context(inputs=x, outputs=y, training=training)

    def _gradients(self, context, output_gradient, activity=False, input_gradient=True):
        """``(input_gradient, trainable weight gradients)`` from a forward pass's context.

        ``activity=True`` also differentiates the activity penalty this forward pass
        recorded (``losses``), as a training step's total loss does; ``backward`` never does.
        ``input_gradient=False``: the caller discards the input gradient, which the layer may
        then skip and return as ``None`` (``Context.input_gradient``).
        """
        context.input_gradient = input_gradient
        if activity and self.activity_regularizer is not None:
            y = context.outputs
            batch = y.shape[0] if y.ndim else 1
            if batch:
                penalty = np.asarray(self.activity_regularizer.gradient(y), y.dtype)
                output_gradient = output_gradient + penalty / y.dtype.type(batch)
        dx, own = self._backward(context, output_gradient)
        return dx, backprop.trainable_gradients(self, own)

    def _backward(self, context, output_gradient):
        """Subclass hook: ``(input_gradient, gradients of self._weights in creation order)``,
        ``None`` for a weight that takes no gradient."""
        raise NotImplementedError(f"{type(self).__name__} has no backward pass yet.")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
