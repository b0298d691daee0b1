"""Keras-named optimizers on convkit ``Variable``s: ``optimizer.apply(grads, variables)``.

Examples
--------
>>> import numpy as np
>>> from convkit import optimizers
>>> from convkit.layers.variable import Variable
>>> w = Variable(np.ones(3, "float32"), name="w")
>>> opt = optimizers.get("sgd")
>>> opt.apply([np.ones(3, "float32")], [w])
>>> w.numpy()
array([0.99, 0.99, 0.99], dtype=float32)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from .._serialization import config_dict, from_config_dict, is_plain_value, require_config
from . import schedules
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .base import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (Optimizer, SGD, Adam, AdamW, RMSprop,
                                                  Adagrad)}
ALL_OBJECTS_DICT.update({name.lower(): cls for name, cls in ALL_OBJECTS_DICT.items()
                         if cls is not Optimizer})


def _lookup(name) -> type | None:
    """The optimizer class called ``name`` (exactly, else in lower case); None for unknown
    names and for the abstract ``Optimizer``."""
    cls = ALL_OBJECTS_DICT.get(name) or ALL_OBJECTS_DICT.get(str(name).lower())
    return None if cls is Optimizer else cls


def serialize(optimizer) -> dict:
    """The Keras dict for an optimizer.

    Parameters
    ----------
    optimizer : Optimizer
        A built-in or custom optimizer.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object without ``get_config`` (not an optimizer); None, names and numbers
        come back unchanged, as from Keras.

    Examples
    --------
    >>> from convkit import optimizers
    >>> optimizers.serialize(optimizers.Adam())["class_name"]
    'Adam'
    """
    if is_plain_value(optimizer):
        return optimizer
    require_config(optimizer, "optimizer")
    return config_dict(optimizer, "keras.optimizers")


def deserialize(config):
    """Rebuild an optimizer from a name or a ``serialize`` dict.

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    Optimizer
        A new optimizer (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no optimizer convkit has.

    Examples
    --------
    >>> from convkit import optimizers
    >>> optimizers.deserialize({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum
    0.5
    """
    if isinstance(config, str):
        cls = _lookup(config)
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {config}")
        return cls()
    if isinstance(config, Mapping):
        return from_config_dict(_lookup(config.get("class_name", "")), config, "optimizer")
    raise ValueError(f"Could not interpret optimizer identifier: {config}")


def get(identifier) -> Optimizer:
    """Keras's ``optimizers.get``: an optimizer passes through; a name (any case) or dict
    builds one with default arguments.

    Parameters
    ----------
    identifier : str, dict, Optimizer or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Optimizer
        The optimizer.

    Raises
    ------
    ValueError
        For an identifier that names no optimizer.

    Examples
    --------
    >>> from convkit import optimizers
    >>> type(optimizers.get("Adam")).__name__, type(optimizers.get("rmsprop")).__name__
    ('Adam', 'RMSprop')
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, (str, Mapping)):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "schedules", "get",
           "serialize", "deserialize"]
