"""``config.json``: a model as Keras 3's serialised-object dict, and back.

Keras names a class by ``class_name`` (``"Conv2D"``, ``"Sequential"``) with ``module``
``"keras.layers"`` or ``"keras"``; convkit's classes carry the same names, so the mapping is
the layer registry (:mod:`convkit.layers.serialization`, where ``convkit.models`` registers
``Sequential``). Before anything is built the whole tree is checked, so a file with a layer
convkit does not have fails with that class's name and nothing half-made.
"""

import json
import warnings

from ..layers import serialization

# entries a Sequential's "layers" list may hold that are not layers of their own
_STRUCTURAL = {"InputLayer"}


def to_json(model) -> str:
    """The ``config.json`` text for ``model`` (``keras.saving.serialize_keras_object`` form,
    with the ``compile_config`` of a compiled model)."""
    return json.dumps(serialization.serialize(model))


def _classes(entry, where: str, found: list) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"config.json: {where} is not a serialised layer "
                         f"(a dict with a 'class_name'). Received: {str(entry)[:200]}")
    found.append((entry["class_name"], where))
    inner = entry.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if isinstance(layers, list):
        for i, sub in enumerate(layers):
            name = sub.get("config", {}).get("name", i) if isinstance(sub, dict) else i
            _classes(sub, f"{where} > layer {name!r}", found)


def check_classes(config: dict) -> None:
    """Raise ValueError naming every class in ``config`` that convkit has no layer for."""
    found: list = []
    _classes(config, "the model", found)
    known = set(serialization._REGISTRY) | _STRUCTURAL
    missing = [(name, where) for name, where in found if name not in known]
    if missing:
        listed = "; ".join(f"'{name}' ({where})" for name, where in missing)
        raise ValueError(f"The file describes layer classes convkit does not have: {listed}. "
                         f"convkit has: {sorted(serialization._REGISTRY)}.")


def from_json(text, source: str, compile: bool = False):
    """The model (or layer) ``config.json`` describes, built, with fresh weights; compiled
    from its ``compile_config`` when ``compile`` is true and the file has one."""
    try:
        config = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: config.json is not valid JSON ({error}).") from error
    check_classes(config)
    try:
        model = serialization.deserialize(config)
    except (TypeError, KeyError) as error:
        raise ValueError(f"{source}: config.json does not describe a model convkit can "
                         f"build: {error!r}") from error
    compile_config = config.get("compile_config")
    if compile and compile_config and hasattr(model, "compile_from_config"):
        try:
            model.compile_from_config(compile_config)
        except (TypeError, ValueError) as error:
            # Keras, too, loads such a model uncompiled and says so
            warnings.warn(f"{source}: the model was loaded but not compiled: its "
                          f"compile_config could not be used ({error}). Call `compile()` "
                          "yourself.", stacklevel=3)
    return model
