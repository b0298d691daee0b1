"""Keras-named losses with exact gradients: ``loss(y_true, y_pred, sample_weight)`` and
``loss.gradient(y_true, y_pred, sample_weight)``.

Examples
--------
>>> import numpy as np
>>> from convkit import losses
>>> loss = losses.get("MeanSquaredError")
>>> float(loss(np.zeros(4), np.full((4, 1), 2.0, "float32")))
4.0
>>> losses.get("mse") is losses.mean_squared_error
True
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from .._serialization import config_dict, from_config_dict, function_dict, is_plain_value
from .base import Loss, LossFunctionWrapper
from .crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from .reduction import standardize_reduction
from .regression import (
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanSquaredError,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_squared_error,
)

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, Huber, LogCosh,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, huber, log_cosh, binary_crossentropy,
              categorical_crossentropy, sparse_categorical_crossentropy)

#: Every name ``get`` accepts, as in ``keras.losses`` (case-sensitive; no "logcosh").
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update({"bce": binary_crossentropy, "BCE": binary_crossentropy,
                         "mae": mean_absolute_error, "MAE": mean_absolute_error,
                         "mse": mean_squared_error, "MSE": mean_squared_error})


def serialize(loss) -> dict:
    """A Keras-style dict for a loss object, or the function's name for a loss function.

    Parameters
    ----------
    loss : Loss or callable
        A built-in or custom loss.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object that is neither a loss object nor a function (None, names and numbers
        come back unchanged, as from Keras).

    Examples
    --------
    >>> from convkit import losses
    >>> losses.serialize(losses.MeanAbsoluteError())["class_name"]
    'MeanAbsoluteError'
    """
    if is_plain_value(loss):
        return loss
    if not isinstance(loss, Loss):
        return function_dict(loss, "keras.losses", "loss")
    return config_dict(loss, "keras.losses")


def deserialize(config):
    """Rebuild a loss from a name or a ``serialize`` dict.

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    Loss or callable
        A new loss (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no loss convkit has.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.deserialize(losses.serialize(losses.Huber(delta=2.0))).delta
    2.0
    """
    if isinstance(config, str):
        if config not in ALL_OBJECTS_DICT:
            raise ValueError(f"Could not interpret loss identifier: {config}")
        return ALL_OBJECTS_DICT[config]
    if isinstance(config, Mapping):
        name = config.get("class_name")
        if name == "function":
            return deserialize(config.get("config"))
        cls = ALL_OBJECTS_DICT.get(name)
        return from_config_dict(cls if inspect.isclass(cls) else None, config, "loss")
    raise ValueError(f"Could not interpret loss identifier: {config}")


def get(identifier):
    """Keras's ``losses.get``: None -> None; a class name -> an instance; a function name or
    alias -> the function; a dict -> ``deserialize``; callables pass through.

    Parameters
    ----------
    identifier : str, dict, Loss or callable or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Loss or callable
        The loss.

    Raises
    ------
    ValueError
        For an identifier that names no loss.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.get("Huber").name, losses.get("huber").__name__
    ('huber_loss', 'huber')
    """
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, (str, Mapping)) else identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


def as_loss(identifier) -> Loss:
    """What ``compile`` needs: ``get(identifier)``, with a loss function wrapped into a
    ``LossFunctionWrapper`` (default reduction, the function's name), as Keras's compile does.

    Parameters
    ----------
    identifier : str, callable or object
        A name as Keras spells it (``"mse"``, ``"accuracy"``...), a function, or an object.

    Returns
    -------
    Loss
        A loss object: the one given, or a new one for a name or a function.

    Raises
    ------
    ValueError
        For an identifier that names no loss.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.as_loss("mse").name
    'mean_squared_error'
    """
    obj = get(identifier)
    return obj if isinstance(obj, Loss) or obj is None else LossFunctionWrapper(obj)


__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "Huber",
           "LogCosh", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
           "huber", "log_cosh", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "get", "serialize", "deserialize", "as_loss",
           "standardize_reduction", "ALL_OBJECTS_DICT"]
