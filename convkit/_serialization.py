"""The ``{'module', 'class_name', 'config', 'registered_name'}`` dicts shared by the
initializers, regularizers and constraints modules, and their ``get`` lookup rule; the
losses, optimizers, schedules and metrics modules build and read the same dicts with
:func:`config_dict` and :func:`from_config_dict`.

The dicts have the shape ``keras.<module>.serialize`` produces, with the Keras module name,
so a config written by convkit can be read by Keras and the other way round.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

# Keras's serialize functions hand these back unchanged: a name or a number is its own config.
_PLAIN_VALUES = (str, int, float, bool)


def is_plain_value(obj: Any) -> bool:
    """True for what ``keras.<module>.serialize`` returns as it is (None, str, numbers)."""
    return obj is None or isinstance(obj, _PLAIN_VALUES)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def require_config(obj: Any, kind: str) -> None:
    """TypeError naming ``kind`` unless ``obj`` has ``get_config`` (what Keras raises for an
    object it cannot describe, rather than an AttributeError from deep inside)."""
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: expected "
                        f"{_a(kind)} (an object with get_config)")


def function_dict(fn: Any, module: str | None, kind: str) -> dict[str, Any]:
    """The Keras dict of a plain function used as a ``kind``; TypeError for anything else."""
    name = getattr(fn, "__name__", None)
    if not callable(fn) or not isinstance(name, str):
        raise TypeError(f"Cannot serialize {fn!r} of type {type(fn).__name__}: expected "
                        f"{_a(kind)} object or a function")
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


def config_dict(obj: Any, module: str | None, registered_name: str | None = None
                ) -> dict[str, Any]:
    """The Keras dict of ``obj`` (an object with ``get_config``) under ``module``."""
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": registered_name,
    }


def from_config_dict(cls: type | None, config: Mapping, kind: str) -> Any:
    """``cls.from_config`` on the ``config`` entry of a serialised dict; ``cls`` is the class
    its ``class_name`` resolved to, None (→ ValueError naming ``kind``) when there is none."""
    if cls is None:
        raise ValueError(f"Could not interpret {kind} identifier: {config}")
    return cls.from_config(dict(config.get("config") or {}))


def serialize_object(obj: Any, module: str, builtins: Mapping[str, type], kind: str
                     ) -> Any:
    """Describe ``obj`` (an object with ``get_config``, or a function) as a Keras-style dict;
    None, names and numbers come back unchanged, as from Keras; anything else is a TypeError
    naming ``kind``.

    Built-in classes are recorded under the Keras ``module`` with ``registered_name=None``;
    any other class (a user subclass) gets its own module (``None`` for ``__main__``) and
    its class name as ``registered_name``, as Keras does for unregistered custom objects.
    """
    if is_plain_value(obj):  # None is an unset initializer/regularizer/constraint
        return obj
    if not hasattr(obj, "get_config"):  # a plain function used as one
        return function_dict(obj, getattr(obj, "__module__", None), kind)
    cls = type(obj)
    if builtins.get(cls.__name__) is cls:
        return config_dict(obj, module)
    return config_dict(obj, None if cls.__module__ == "__main__" else cls.__module__,
                       registered_name=cls.__name__)


def deserialize_object(config: Any, objects: Mapping[str, type], kind: str) -> Any:
    """Rebuild an object from a name string or a ``serialize_object`` dict.

    ``kind`` names the family in the error message ("initializer", "regularizer",
    "constraint").
    """
    if isinstance(config, str):
        cls = objects.get(config)
        if cls is None:
            raise ValueError(f"Could not interpret {kind} identifier: {config}")
        return cls()
    if isinstance(config, Mapping):
        return from_config_dict(objects.get(config.get("class_name")),  # type: ignore[arg-type]
                                config, kind)
    raise ValueError(f"Could not interpret {kind} identifier: {config}")


def get_object(identifier: Any, objects: Mapping[str, type], kind: str) -> Any:
    """Keras ``get`` rule: None → None; dict or (case-sensitive) name → new instance;
    class → instance; other callables pass through; anything else → ValueError."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, Mapping)):
        return deserialize_object(identifier, objects, kind)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}")
