"""Sequential: a stack of layers, each feeding the next (``keras.Sequential`` semantics)."""

from ..layers import backprop, serialization, state_updates
from ..layers.base import Layer
from ..layers.naming import name_scope
from .model import Model


def _declared_input_shape(layer: Layer):
    """The batch input shape ``layer`` fixes for a model it starts: its ``input_shape=``, or,
    for a built model, the shape it was built for."""
    if isinstance(layer, Model):
        return layer._build_input_shape if layer.built else None
    return layer.input_shape


class Sequential(Model):
    """A linear stack of layers (models too: a ``Sequential`` nests like any layer).

    Give the first layer ``input_shape=`` (without the batch axis) to fix the model's input:
    the layers are then built as they are added, and ``output_shape`` and ``summary()`` work
    before any data has flowed. Otherwise the model builds on ``build(input_shape)`` or on its
    first call.

    Parameters
    ----------
    layers : list of Layer, optional
    name : str, optional
    trainable : bool
        ``False`` freezes every weight of every layer, as in Keras.

    Raises
    ------
    TypeError
        If an item of ``layers`` is not a :class:`~convkit.layers.Layer`.
    ValueError
        If a layer does not accept the previous layer's output shape.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import layers, models
    >>> model = models.Sequential()
    >>> model.add(layers.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
    >>> model.output_shape
    (None, 24, 20, 3)

    A model inside a model is one layer of it:

    >>> block = models.Sequential([layers.Conv2D(4, 3, padding="same"), layers.UpSampling2D(2)],
    ...                           name="block")
    >>> net = models.Sequential([layers.ZeroPadding2D(1, input_shape=(8, 8, 3)), block])
    >>> net.output_shape, block.output_shape, net.count_params()
    ((None, 20, 20, 4), (None, 20, 20, 4), 112)
    >>> net.predict(np.ones((2, 8, 8, 3)), verbose=0).shape
    (2, 20, 20, 4)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._shapes: list = []  # output shape of each layer, once the input shape is known
        for layer in layers or ():
            self.add(layer)

    # ----------------------------------------------------------------- structure
    def add(self, layer: Layer) -> None:
        """Append a layer; builds it at once when the model's input shape is known.

        Parameters
        ----------
        layer : Layer
            The layer to append; its input is the previous layer's output.

        Raises
        ------
        TypeError
            If ``layer`` is not a :class:`~convkit.layers.Layer`.
        ValueError
            If the model is built and ``layer`` does not accept its output shape.

        Examples
        --------
        >>> from convkit import layers, models
        >>> model = models.Sequential()
        >>> model.add(layers.Conv2D(8, 3, input_shape=(28, 28, 1)))
        >>> model.add(layers.Flatten())
        >>> model.output_shape
        (None, 5408)
        """
        if not isinstance(layer, Layer):
            raise TypeError("Only instances of `convkit.layers.Layer` can be added to a "
                            f"Sequential model. Received: {layer!r} (of type {type(layer)})")
        if any(sub is self for sub in layer._flatten_layers()):
            raise ValueError(f"A model cannot be added to itself, nor to a model inside it. "
                             f"Received: {layer!r}")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model.")
        declared = _declared_input_shape(layer)
        if not self._layers and not self.built and declared is not None:
            self._layers.append(layer)
            try:
                self.build(declared)
            except Exception:
                self._layers.pop()
                raise
            return
        if self.built:
            with name_scope(self):
                shape = self._infer(layer, self._shapes[-1] if self._shapes
                                    else self._build_input_shape)
            self._shapes.append(shape)
        self._layers.append(layer)

    def pop(self) -> Layer:
        """Remove and return the last layer.

        Returns
        -------
        Layer
            The layer removed.

        Raises
        ------
        IndexError
            If the model has no layers.

        Examples
        --------
        >>> from convkit import layers, models
        >>> model = models.Sequential([layers.Dense(4, input_shape=(3,), name="a"),
        ...                            layers.Dense(2, name="b")], name="m")
        >>> model.pop().units, model.output_shape
        (2, (None, 4))
        """
        if not self._layers:
            raise IndexError("There are no layers in the model.")
        if self._shapes:
            self._shapes.pop()
        return self._layers.pop()

    @staticmethod
    def _infer(layer: Layer, in_shape: tuple) -> tuple:
        if not layer.built:
            layer.build(in_shape)
        return tuple(layer.compute_output_shape(in_shape))

    def _build(self, input_shape: tuple) -> None:
        shape, shapes = input_shape, []
        for layer in self._layers:
            shape = self._infer(layer, shape)
            shapes.append(shape)
        self._shapes = shapes

    @property
    def input_shape(self) -> tuple:
        if not self.built:
            raise AttributeError(f"The model '{self.name}' has no defined input shape yet: "
                                 "pass `input_shape=` to its first layer, call `build()`, "
                                 "or call the model on data.")
        return self._build_input_shape

    @property
    def output_shape(self) -> tuple:
        if not self._layers:
            raise AttributeError(f"The model '{self.name}' has no layers.")
        if not self.built:
            raise AttributeError(f"The model '{self.name}' has no defined output shape yet: "
                                 "pass `input_shape=` to its first layer, call `build()`, "
                                 "or call the model on data.")
        return self._shapes[-1]

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _layer_output_shapes(self) -> list:
        return self._shapes + [None] * (len(self._layers) - len(self._shapes))

    # ----------------------------------------------------------------- running
    def _forward_with_context(self, x, training):
        contexts, inputs = [], x
        for layer in self._layers:
            layer_input = layer._prepare_inputs(x)
            x, context = layer._forward_with_context(layer_input, training)
            contexts.append(context)
        # the layers' new non-trainable state, for the caller to commit (layers/state_updates)
        return x, backprop.Context(inputs=inputs, outputs=x, training=training,
                                   saved={"layers": contexts,
                                          state_updates.KEY: state_updates.gather(contexts)})

    def _gradients(self, context, output_gradient, activity=False, input_gradient=True):
        # last layer first; a weight shared by several layers sums its gradients; the first
        # layer's input gradient is the model's, which the caller may not need
        by_weight: dict = {}
        dy = output_gradient
        last = len(self._layers) - 1
        for i, (layer, layer_context) in enumerate(zip(reversed(self._layers),
                                                       reversed(context.saved["layers"]),
                                                       strict=True)):
            dy, grads = layer._gradients(layer_context, dy, activity=activity,
                                         input_gradient=input_gradient or i < last)
            for w, g in zip(layer.trainable_weights, grads, strict=True):
                by_weight[id(w)] = g if id(w) not in by_weight else by_weight[id(w)] + g
        return dy, [by_weight[id(w)] for w in self.trainable_weights]

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    # ----------------------------------------------------------------- config
    def _input_layer_config(self) -> dict:
        first_dtype = self._layers[0].dtype if self._layers else "float32"
        return {"module": "keras.layers", "class_name": "InputLayer",
                "config": {"batch_shape": self._build_input_shape, "dtype": first_dtype,
                           "sparse": False, "ragged": False, "name": "input_layer",
                           "optional": False},
                "registered_name": None}

    def get_config(self) -> dict:
        """Keras-shaped: an ``InputLayer`` entry first when the input shape is known; nested
        models appear as entries of their own (``"module": "keras"``)."""
        config = super().get_config()
        layer_configs = [self._input_layer_config()] if self.built else []
        config["layers"] = layer_configs + [serialization.serialize(layer)
                                            for layer in self._layers]
        if self.built:
            config["build_input_shape"] = self._build_input_shape
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        if not isinstance(config, dict) or "layers" not in config:
            raise ValueError("A Sequential model configuration must be a dictionary containing "
                             f"the 'name' and 'layers' keys. Received: config={config!r}")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        input_shape = config.get("build_input_shape")
        # a nested model builds itself from its own config: inside this model's name scope, so
        # its weight paths read outer/inner/... as in the model that was saved or pickled
        with name_scope(model):
            layers = []
            for entry in config["layers"]:
                if entry.get("class_name") == "InputLayer":
                    input_shape = tuple(entry["config"]["batch_shape"])
                    continue
                # the model builds its layers itself, inside its name scope
                entry = {k: v for k, v in entry.items() if k != "build_config"}
                layers.append(serialization.deserialize(entry))
        for layer in layers:
            model.add(layer)
        if input_shape is not None and not model.built:
            model.build(input_shape)
        return model
