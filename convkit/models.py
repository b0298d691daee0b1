"""Sequential: a stack of layers, each feeding the next (``keras.Sequential`` semantics)."""

import math

import numpy as np

from .layers import serialization
from .layers.base import Layer, dtype_policy_config, unique_name

_LONG_PREDICTION_BATCHES = 20  # verbose="auto" shows a progress bar from this many batches on


def _format_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _format_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


class Sequential:
    """A linear stack of layers.

    Give the first layer ``input_shape=`` (without the batch axis) to fix the model's input:
    the layers are then built as they are added, and ``output_shape`` and ``summary()`` work
    before any data has flowed.

    Parameters
    ----------
    layers : list of Layer, optional
    name : str, optional

    Examples
    --------
    >>> from convkit import layers, models
    >>> model = models.Sequential()
    >>> model.add(layers.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
    >>> model.output_shape
    (None, 24, 20, 3)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self.name = name if name else unique_name("sequential")
        self.trainable = trainable
        self._layers: list = []
        self._input_shape = None
        self._shapes: list = []  # output shape of each layer, once the input shape is known
        for layer in layers or ():
            self.add(layer)

    # ----------------------------------------------------------------- structure
    @property
    def layers(self) -> list:
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append a layer; builds it at once when the model's input shape is known."""
        if not isinstance(layer, Layer):
            raise TypeError("Only instances of `convkit.layers.Layer` can be added to a "
                            f"Sequential model. Received: {layer!r} (of type {type(layer)})")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model.")
        if not self._layers and layer.input_shape is not None:
            self._input_shape = layer.input_shape
        if self._input_shape is not None:
            in_shape = self._shapes[-1] if self._shapes else self._input_shape
            out_shape = self._infer(layer, in_shape)
            self._layers.append(layer)
            self._shapes.append(out_shape)
        else:
            self._layers.append(layer)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
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

    def build(self, input_shape) -> None:
        """Fix the input shape (batch first, ``None`` allowed) and build every layer."""
        shape = tuple(input_shape)
        shapes = []
        for layer in self._layers:
            shape = self._infer(layer, shape)
            shapes.append(shape)
        self._input_shape = tuple(input_shape)
        self._shapes = shapes

    @property
    def built(self) -> bool:
        return self._input_shape is not None and len(self._shapes) == len(self._layers)

    @property
    def input_shape(self) -> tuple:
        if self._input_shape is None:
            raise AttributeError(f"The model '{self.name}' has no defined input shape yet: "
                                 "pass `input_shape=` to its first layer, call `build()`, "
                                 "or call the model on data.")
        return self._input_shape

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

    # ----------------------------------------------------------------- running
    def __call__(self, inputs) -> np.ndarray:
        if not self._layers:
            raise ValueError(f"The model '{self.name}' has no layers to call.")
        x = inputs
        for layer in self._layers:
            x = layer(x)
        if not self.built:
            self.build((None, *np.shape(inputs)[1:]))
        return x

    def predict(self, x, batch_size: int = 32, verbose="auto") -> np.ndarray:
        """Run the model over ``x`` in batches and concatenate the outputs.

        Parameters
        ----------
        x : array_like
            Inputs, batch first.
        batch_size : int
            Samples per call.
        verbose : {"auto", 0, 1}
            1 shows a progress bar; "auto" shows one for long predictions
            (from 20 batches on); 0 never does.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive int. Received: {batch_size!r}")
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError("`x` must have a batch axis. Received a scalar.")
        n = x.shape[0]
        n_batches = max(1, math.ceil(n / batch_size))
        show = (verbose == "auto" and n_batches >= _LONG_PREDICTION_BATCHES) or \
            (verbose not in ("auto", 0, False, None))
        starts = range(0, max(n, 1), batch_size)
        if show:
            from tqdm.auto import tqdm

            starts = tqdm(starts, total=n_batches, desc=f"{self.name} predict", unit="batch")
        outputs = [self(x[i:i + batch_size]) for i in starts]
        return np.concatenate(outputs, axis=0) if len(outputs) > 1 else outputs[0]

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list:
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            return self.weights
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    @property
    def losses(self) -> list:
        return [loss for layer in self._layers for loss in layer.losses]

    def get_weights(self) -> list:
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(f"You called `set_weights(weights)` on model '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the model was "
                             f"expecting {expected} weights.")
        i = 0
        for layer in self._layers:
            k = len(layer.weights)
            layer.set_weights(weights[i:i + k])
            i += k

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._layers if layer.built)

    # ----------------------------------------------------------------- display
    def summary(self, print_fn=None, line_length: int = 80) -> None:
        """Print a table of layers (name and type, output shape, parameters) and totals."""
        print_fn = print_fn or print
        cells = []
        for i, layer in enumerate(self._layers):
            shape = _format_shape(self._shapes[i]) if i < len(self._shapes) else "?"
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
            cells.append((f"{layer.name} ({type(layer).__name__})", shape, params))
        widths = [max(30, line_length * 4 // 10), max(22, line_length * 3 // 10), 14]
        widths[1] = max(widths[1], line_length - widths[0] - widths[2] - 4)
        for row_cells in cells:  # long names or shapes widen their column, never misalign
            widths = [max(w, len(c) + 2) for w, c in zip(widths, row_cells)]

        def row(cells, left="│", mid="│", right="│", align=("<", "<", ">")):
            parts = [f" {c:{a}{w - 2}} " for c, w, a in zip(cells, widths, align)]
            return left + mid.join(parts) + right

        def rule(left, mid, right, fill):
            return left + mid.join(fill * w for w in widths) + right

        lines = [f'Model: "{self.name}"', rule("┏", "┳", "┓", "━"),
                 row(("Layer (type)", "Output Shape", "Param #"), "┃", "┃", "┃"),
                 rule("┡", "╇", "┩", "━")]
        for i, row_cells in enumerate(cells):
            lines.append(row(row_cells))
            if i < len(cells) - 1:
                lines.append(rule("├", "┼", "┤", "─"))
        lines.append(rule("└", "┴", "┘", "─"))
        trainable = sum(int(np.prod(w.shape)) for w in self.trainable_weights)
        non_trainable = sum(int(np.prod(w.shape)) for w in self.non_trainable_weights)
        nbytes_t = sum(w.value.nbytes for w in self.trainable_weights)
        nbytes_n = sum(w.value.nbytes for w in self.non_trainable_weights)
        lines += [f" Total params: {trainable + non_trainable:,} "
                  f"({_format_bytes(nbytes_t + nbytes_n)})",
                  f" Trainable params: {trainable:,} ({_format_bytes(nbytes_t)})",
                  f" Non-trainable params: {non_trainable:,} ({_format_bytes(nbytes_n)})"]
        print_fn("\n".join(lines))

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Keras-shaped: an ``InputLayer`` entry first when the input shape is known."""
        layer_configs = []
        if self._input_shape is not None:
            first_dtype = self._layers[0].dtype if self._layers else "float32"
            layer_configs.append({
                "module": "keras.layers", "class_name": "InputLayer",
                "config": {"batch_shape": self._input_shape, "dtype": first_dtype,
                           "sparse": False, "ragged": False, "name": "input_layer"},
                "registered_name": None})
        layer_configs += [serialization.serialize(layer) for layer in self._layers]
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policy_config("float32"), "layers": layer_configs}
        if self._input_shape is not None:
            config["build_input_shape"] = self._input_shape
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        if not isinstance(config, dict) or "layers" not in config:
            raise ValueError("A Sequential model configuration must be a dictionary containing "
                             f"the 'name' and 'layers' keys. Received: config={config!r}")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        input_shape = config.get("build_input_shape")
        layers = []
        for entry in config["layers"]:
            if entry.get("class_name") == "InputLayer":
                input_shape = tuple(entry["config"]["batch_shape"])
                continue
            entry = {k: v for k, v in entry.items() if k != "build_config"}
            layers.append(serialization.deserialize(entry))
        for layer in layers:
            model.add(layer)
        if input_shape is not None and not model.built:
            model.build(input_shape)
        return model

    def __repr__(self):
        return f"<Sequential name={self.name}, layers={len(self._layers)}>"
