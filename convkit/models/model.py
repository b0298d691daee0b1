"""Model: a layer made of layers, with the batched ``predict``, the ``summary`` table and the
training API (``compile``/``fit``/``evaluate``, from :class:`~convkit.models.trainer.Trainer`).

Being a :class:`~convkit.layers.Layer`, a model inherits the whole weight API (``weights``,
``trainable_weights``, ``get_weights``/``set_weights``, ``count_params``, ``losses``) and the
``trainable`` switch, which reach its layers through ``Layer._sublayers``; it nests inside
another model like any layer.
"""

import numpy as np

from .. import saving
from ..callbacks.progress import ProgressBar, resolve_verbose
from ..layers.base import Layer
from .epoch_iterator import EpochIterator
from .summary import render_summary
from .trainer import Trainer

_LONG_PREDICTION_BATCHES = 20  # verbose="auto" shows a progress bar from this many batches on


def _is_dask_array(x) -> bool:
    """Whether ``x`` is a Dask array, without importing Dask."""
    return type(x).__module__.startswith("dask.") and hasattr(x, "__dask_graph__")


class Model(Trainer, Layer):
    """Base class of models: a :class:`~convkit.layers.Layer` whose sub-layers are its layers.

    A subclass keeps its layers in ``self._layers`` and implements ``call``, ``_build`` and
    ``_layer_output_shapes``.

    Parameters
    ----------
    name : str, optional
        Unique by default (``"sequential"``, ``"sequential_1"``...).
    trainable : bool
        ``False`` freezes every weight of every layer, as in Keras.
    dtype : {"float32", "float64"}, optional
        The model's own dtype policy (its layers keep theirs).

    Raises
    ------
    ValueError
        For a ``dtype`` other than float32 or float64.
    TypeError
        For a ``name`` that is not a string.

    Examples
    --------
    >>> from convkit import layers, models
    >>> issubclass(models.Sequential, models.Model), issubclass(models.Model, layers.Layer)
    (True, True)
    """

    pins_channels = False  # each layer checks its own inputs
    _keras_module = "keras"

    def __init__(self, name=None, trainable=True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._layers: list = []

    @property
    def layers(self) -> list:
        """The model's layers, in order (a copy of the list)."""
        return list(self._layers)

    def _sublayers(self) -> list:
        return self._layers

    def _layer_output_shapes(self) -> list:
        """The output shape of each layer, None where not known yet (for ``summary``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "_layer_output_shapes()")

    def _prepare_inputs(self, inputs) -> np.ndarray:
        # The layers convert and check their own inputs; the model builds for a free batch.
        if not self._layers:
            raise ValueError(f"The model '{self.name}' has no layers to call.")
        x = np.asarray(inputs)
        if x.ndim == 0:
            raise ValueError(f"The model '{self.name}' needs inputs with a batch axis. "
                             "Received a scalar.")
        if not self.built:
            self.build((None, *x.shape[1:]))
        return x

    # ----------------------------------------------------------------- running
    def predict(self, x, batch_size=None, verbose="auto", steps=None) -> np.ndarray:
        """Run the model over ``x`` in batches, in inference mode, and join the outputs.

        Parameters
        ----------
        x : array_like
            Inputs, batch first.
        batch_size : int, optional
            Samples per call (default 32).
        verbose : {"auto", 0, 1, 2}
            1 shows a progress bar, 2 one line at the end, 0 nothing; "auto" shows a bar for
            long predictions (from 20 batches on).
        steps : int, optional
            Predict only the first ``steps`` batches.

        Returns
        -------
        numpy.ndarray
            The outputs of every batch, concatenated along the batch axis. For a Dask array
            ``x``, a lazy Dask array instead (:func:`convkit.dask.predict`; ``verbose`` is
            ignored there, Dask has its own progress bars).

        Raises
        ------
        ValueError
            If ``x`` does not fit the model (wrong rank or channel count: the message names the
            layer), or ``batch_size``/``steps`` is not a positive int.
        TypeError
            If ``x`` is not an array of numbers (a string, ``None``, a dict, a ragged list).

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> net = models.Sequential([layers.UpSampling1D(2)])
        >>> net.predict(np.ones((5, 3, 1)), batch_size=2, verbose=0).shape
        (5, 6, 1)
        """
        if _is_dask_array(x):
            # convkit.dask sits above the models floor and needs the optional extra: imported
            # only here, for an input that can only exist if Dask is installed
            from ..dask import predict as dask_predict

            return dask_predict(self, x, batch_size=batch_size, steps=steps)
        data = EpochIterator(x, batch_size=batch_size, steps=steps)
        mode = resolve_verbose(verbose, auto=int(data.num_batches >= _LONG_PREDICTION_BATCHES))
        if data.num_samples == 0:  # no batch to run: the layers still give the output shape
            return self(np.asarray(x), training=False)
        outputs = []
        with ProgressBar(data.num_batches, mode, desc=f"{self.name} predict") as bar:
            for step, batch in data:
                outputs.append(self(batch.x, training=False))
                bar.update(step + 1)
        return np.concatenate(outputs, axis=0) if len(outputs) > 1 else outputs[0]

    # ----------------------------------------------------------------- display and config
    def summary(self, print_fn=None, line_length: int = 80) -> None:
        """Print a table of layers (name and type, output shape, parameters) and totals.

        A nested model is one row, as in Keras: ``name (Sequential)``, its output shape and
        all its parameters.

        Parameters
        ----------
        print_fn : callable, optional
            Receives the whole table as one string (default: ``print``).
        line_length : int
            Table width; long names or shapes widen their column.

        Raises
        ------
        TypeError
            If ``print_fn`` is not callable. (An unbuilt model prints its layers with ``?``
            shapes rather than failing.)

        Examples
        --------
        >>> from convkit import layers, models
        >>> block = models.Sequential([layers.Conv1D(2, 3, name="conv")], name="block")
        >>> net = models.Sequential([layers.ZeroPadding1D(1, input_shape=(8, 1), name="pad"),
        ...                          block], name="net")
        >>> net.summary(line_length=64)
        Model: "net"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
        ┃ Layer (type)                 ┃ Output Shape         ┃      Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
        │ pad (ZeroPadding1D)          │ (None, 10, 1)        │            0 │
        ├──────────────────────────────┼──────────────────────┼──────────────┤
        │ block (Sequential)           │ (None, 8, 2)         │            8 │
        └──────────────────────────────┴──────────────────────┴──────────────┘
         Total params: 8 (32.00 B)
         Trainable params: 8 (32.00 B)
         Non-trainable params: 0 (0.00 B)
        """
        (print_fn or print)(render_summary(self, self._layer_output_shapes(), line_length))

    # ----------------------------------------------------------------- files
    def save(self, filepath, overwrite: bool = True) -> None:
        """Save to a Keras 3 ``.keras`` file, atomically (:func:`convkit.saving.save_model`).

        ``keras.models.load_model`` and :func:`convkit.models.load_model` read it back.

        Parameters
        ----------
        filepath : str or os.PathLike
            Ends in ``.keras``.
        overwrite : bool, default True
            Whether an existing file may be replaced.

        Raises
        ------
        ValueError
            If ``filepath`` does not end in ``.keras``, or the file exists and ``overwrite`` is
            False.
        ImportError
            Without h5py (``pip install "convkit-layers[io]"``).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> net = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "net.keras")
        ...     net.save(path)
        ...     again = models.load_model(path)
        >>> x = np.ones((1, 8, 1))
        >>> bool(np.array_equal(again.predict(x, verbose=0), net.predict(x, verbose=0)))
        True
        """
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save the weights to a Keras 3 ``.weights.h5`` file, atomically
        (:func:`convkit.saving.save_weights`).

        Parameters
        ----------
        filepath : str or os.PathLike
            Ends in ``.weights.h5``.
        overwrite : bool, default True
            Whether an existing file may be replaced.

        Raises
        ------
        ValueError
            If ``filepath`` does not end in ``.weights.h5``, or the file exists and ``overwrite``
            is False.
        ImportError
            Without h5py.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> def make():
        ...     return models.Sequential([layers.Dense(2, input_shape=(3,), name="dense")])
        >>> net, twin = make(), make()
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "net.weights.h5")
        ...     net.save_weights(path)
        ...     twin.load_weights(path)
        >>> all(np.array_equal(a, b) for a, b in zip(net.get_weights(), twin.get_weights()))
        True
        """
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Load weights from a ``.weights.h5`` or ``.keras`` file; on error none change
        (:func:`convkit.saving.load_weights`).

        Parameters
        ----------
        filepath : str or os.PathLike
            A ``.weights.h5`` or ``.keras`` file, from convkit or Keras, for a model with the same
            layers.

        Raises
        ------
        FileNotFoundError
            When there is no such file.
        ValueError
            For a file of another type, a damaged file, or weights that do not fit the model
            (missing layer, other count or shape); the model then keeps its weights.
        ImportError
            Without h5py.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> def make():
        ...     return models.Sequential([layers.Dense(2, input_shape=(3,), name="dense")])
        >>> net, twin = make(), make()
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "net.weights.h5")
        ...     net.save_weights(path)
        ...     twin.load_weights(path)
        >>> all(np.array_equal(a, b) for a, b in zip(net.get_weights(), twin.get_weights()))
        True
        """
        saving.load_weights(self, filepath)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, layers={len(self._layers)}>"
