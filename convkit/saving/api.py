"""The four entry points: save and load a whole model, save and load its weights.

Each checks the file name first, writes through :func:`convkit.saving.atomic.replacing` and
reads in two phases (read and check everything, then assign), so neither a failed save nor a
bad file loses anything: the previous file stays, the model in memory stays.
"""

import io
import os
import warnings

from . import archive, atomic, weights_store
from . import config as model_config
from ._h5py import require_h5py


def _path(filepath, what: str) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"`filepath` must be a str or os.PathLike for {what}. "
                        f"Received: {filepath!r} (of type {type(filepath).__name__})")
    return os.fspath(filepath)


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")


def _open_h5(h5py, source, label: str):
    try:
        return h5py.File(source, "r")
    except OSError as error:
        raise ValueError(f"{label} is not a readable HDF5 weights file: it is truncated, "
                         f"corrupted or of another format ({error}).") from error


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Write ``model`` to a Keras 3 ``.keras`` file (config, metadata and weights).

    ``keras.models.load_model`` reads the file; so does :func:`load_model`. The file is
    replaced atomically: if saving fails, an existing file at ``filepath`` is untouched.

    Parameters
    ----------
    model : Model
        The model to save (built).
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
    path = _path(filepath, "save()")
    if not path.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving: expected a `.keras` "
                         f"extension (use save_weights() for `.weights.h5`). "
                         f"Received: filepath={path}")
    h5py = require_h5py()
    _check_overwrite(path, overwrite)
    if not model.built:
        warnings.warn(f"Saving the model '{model.name}', which is not built yet: the file "
                      "holds no weights.", stacklevel=3)
    config_json = model_config.to_json(model)
    weights = archive.h5_bytes(lambda h5file: weights_store.write(h5file, model), h5py)
    with atomic.replacing(path) as tmp:
        archive.write(tmp, config_json, weights)


def load_model(filepath, compile: bool = True):
    """Read a Keras 3 ``.keras`` file into a new convkit model with the saved weights.

    Parameters
    ----------
    filepath : str or os.PathLike
        A ``.keras`` file written by Keras 3 or by :meth:`convkit.models.Model.save`.
    compile : bool
        Compile the model from the file's ``compile_config`` (optimizer, loss, metrics) and
        restore the optimizer's state, as Keras does; a file from an uncompiled model loads
        uncompiled either way.

    Returns
    -------
    Model
        Built like the saved model (as its ``build_config`` says), with its weights.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        For a file that is not a ``.keras`` zip, is truncated or corrupted, names a layer
        class convkit does not have (the message names it), or whose weights do not fit.
    ImportError
        Without h5py (``pip install "convkit-layers[io]"``).

    Warns
    -----
    UserWarning
        When the file's ``compile_config`` names something convkit cannot compile with (a
        custom loss, say): the model loads with its weights, uncompiled.

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
    path = _path(filepath, "load_model()")
    h5py = require_h5py()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path}")
    members = archive.read(path)
    model = model_config.from_json(members[archive.CONFIG], path, compile=bool(compile))
    label = f"{path} ({archive.WEIGHTS})"
    with _open_h5(h5py, io.BytesIO(members[archive.WEIGHTS]), label) as h5file:
        plan = weights_store.read_plan(h5file, model, label)
    weights_store.apply_plan(plan)
    return model


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write ``model``'s weights to a Keras 3 ``.weights.h5`` file (atomically).

    Parameters
    ----------
    model : Model
        The model whose weights to save.
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
    path = _path(filepath, "save_weights()")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    h5py = require_h5py()
    if not model.built:
        raise ValueError(f"The model '{model.name}' is not built, so it has no weights to "
                         "save: call it on data or call `build(input_shape)` first.")
    _check_overwrite(path, overwrite)
    with atomic.replacing(path) as tmp, h5py.File(tmp, "w") as h5file:
        weights_store.write(h5file, model)


def load_weights(model, filepath) -> None:
    """Set ``model``'s weights from a ``.weights.h5`` or ``.keras`` file.

    Every weight is read and checked against the model before any is assigned: on an error
    (missing layer, other count or shape, unreadable file) the model keeps its weights.

    Parameters
    ----------
    model : Model
        The model to fill; it must have the same layers as the saved one.
    filepath : str or os.PathLike
        A ``.weights.h5`` or ``.keras`` file.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        For a file of another type, a damaged file, or weights that do not fit the model.
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
    path = _path(filepath, "load_weights()")
    if not (path.endswith(".weights.h5") or path.endswith(".keras")):
        raise ValueError("The filename must end in `.weights.h5` or `.keras`. "
                         f"Received: filepath={path}")
    h5py = require_h5py()
    if not model.built:
        raise ValueError(f"The model '{model.name}' is not built, so it has no weights to "
                         "load into: call it on data or call `build(input_shape)` first.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path}")
    if path.endswith(".keras"):
        source, label = io.BytesIO(archive.read(path, (archive.WEIGHTS,))[archive.WEIGHTS]), \
            f"{path} ({archive.WEIGHTS})"
    else:
        source, label = path, path
    with _open_h5(h5py, source, label) as h5file:
        plan = weights_store.read_plan(h5file, model, label)
    weights_store.apply_plan(plan)
