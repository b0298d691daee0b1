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


def serialize_object(obj: Any, module: str, builtins: Mapping[str, type]) -> dict[str, Any] | None:
    """Describe ``obj`` (an object with ``get_config``) as a Keras-style dict.

    Built-in classes are recorded under the Keras ``module`` with ``registered_name=None``;
    any other class (a user subclass) gets its own module (``None`` for ``__main__``) and
    its class name as ``registered_name``, as Keras does for unregistered custom objects.
    """
    if obj is None:  # an unset initializer/regularizer/constraint, as Keras serialises it
        return None
    if not hasattr(obj, "get_config"):  # a plain function used as one
        fn_name = getattr(obj, "__name__", type(obj).__name__)
        return {"module": getattr(obj, "__module__", None), "class_name": "function",
                "config": fn_name, "registered_name": fn_name}
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
