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


def serialize(optimizer) -> dict:
    """The Keras dict for an optimizer.

    Examples
    --------
    >>> from convkit import optimizers
    >>> optimizers.serialize(optimizers.Adam())["class_name"]
    'Adam'
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config):
    """Rebuild an optimizer from a name or a ``serialize`` dict.

    Examples
    --------
    >>> from convkit import optimizers
    >>> optimizers.deserialize({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum
    0.5
    """
    if isinstance(config, str):
        cls = ALL_OBJECTS_DICT.get(config) or ALL_OBJECTS_DICT.get(config.lower())
        if cls is None or cls is Optimizer:
            raise ValueError(f"Could not interpret optimizer identifier: {config}")
        return cls()
    if isinstance(config, Mapping):
        name = config.get("class_name", "")
        cls = ALL_OBJECTS_DICT.get(name) or ALL_OBJECTS_DICT.get(str(name).lower())
        if cls is None or cls is Optimizer:
            raise ValueError(f"Could not interpret optimizer identifier: {config}")
        return cls.from_config(dict(config.get("config") or {}))
    raise ValueError(f"Could not interpret optimizer identifier: {config}")


def get(identifier) -> Optimizer:
    """Keras's ``optimizers.get``: an optimizer passes through; a name (any case) or dict
    builds one with default arguments.

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
