"""Layer (de)serialisation in Keras's dict form, for model configs and user code.

A model is a layer, so a model nested in a model is one more entry of the same shape; models
register their classes here from the floor above.
"""

import contextlib
import threading

from .._serialization import is_plain_value

_REGISTRY: dict = {}
# classes made known for the duration of a `custom_objects` block, per thread
_SCOPES = threading.local()


def register(*classes) -> None:
    """Make layer (and model) classes known to :func:`deserialize` by their class name.

    Parameters
    ----------
    *classes : type
        :class:`~convkit.layers.Layer` subclasses.

    Raises
    ------
    TypeError
        For an argument that is not a Layer subclass.

    Examples
    --------
    >>> from convkit import layers
    >>> class Scale(layers.Layer):
    ...     def call(self, inputs):
    ...         return 2 * inputs
    ...     def compute_output_shape(self, input_shape):
    ...         return input_shape
    >>> layers.register(Scale)
    >>> layers.get("Scale") is Scale
    True
    """
    from .base import Layer  # not at the top: base imports this module (through pickling)

    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"register() expects Layer subclasses, received {cls!r} of type "
                            f"{type(cls).__name__}")
        _REGISTRY[cls.__name__] = cls


def serialize(layer) -> dict:
    """The dict ``keras.saving.serialize_keras_object`` writes for ``layer``.

    ``{'module', 'class_name', 'config', 'registered_name'}``, plus ``build_config`` once the
    layer is built with a known input shape, plus ``compile_config`` for a model.

    Parameters
    ----------
    layer : Layer
        Any layer or model.

    Returns
    -------
    dict
        ``module``, ``class_name``, ``config`` and ``registered_name`` (and ``build_config``
        for a built layer), as Keras writes them.

    Raises
    ------
    TypeError
        For an object that is not a layer (None, names and numbers come back unchanged, as
        from Keras).

    Examples
    --------
    >>> from convkit import layers
    >>> entry = serialize(layers.UpSampling1D(3, name="up"))
    >>> entry["module"], entry["class_name"], entry["config"]["size"], "build_config" in entry
    ('keras.layers', 'UpSampling1D', 3, False)
    """
    if is_plain_value(layer):
        return layer
    if not hasattr(layer, "_keras_module"):
        raise TypeError(f"Cannot serialize {layer!r} of type {type(layer).__name__}: expected "
                        "a convkit layer or model")
    out = {"module": layer._keras_module, "class_name": type(layer).__name__,
           "config": layer.get_config(), "registered_name": None}
    build_config = layer.get_build_config()
    if build_config is not None:
        out["build_config"] = build_config
    if hasattr(layer, "get_compile_config"):
        compile_config = layer.get_compile_config()
        if compile_config is not None:
            out["compile_config"] = compile_config
    return out


def deserialize(config: dict):
    """Rebuild a layer from :func:`serialize`'s dict (building it if it was built).

    Parameters
    ----------
    config : dict
        A :func:`serialize` result, from convkit or Keras.

    Returns
    -------
    Layer
        A new layer, built if the dict says it was.

    Raises
    ------
    ValueError
        For a dict without ``class_name``, or a class convkit does not know.

    Examples
    --------
    >>> from convkit import layers
    >>> again = layers.deserialize(layers.serialize(layers.Cropping1D(2)))
    >>> type(again).__name__, again.cropping
    ('Cropping1D', (2, 2))
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialised layer dict with a 'class_name' key. "
                         f"Received: {config!r}")
    layer = get(config["class_name"]).from_config(dict(config.get("config", {})))
    layer.build_from_config(config.get("build_config"))
    return layer


@contextlib.contextmanager
def custom_objects(classes: dict):
    """Make ``{name: class}`` known to :func:`get` inside the block (like Keras's
    ``custom_object_scope``), for layer classes that are not registered.

    Examples
    --------
    >>> from convkit import layers
    >>> class Twice(layers.Layer):
    ...     pass
    >>> with custom_objects({"Twice": Twice}):
    ...     get("Twice") is Twice
    True
    """
    stack = _SCOPES.__dict__.setdefault("stack", [])
    stack.append(dict(classes))
    try:
        yield
    finally:
        stack.pop()


def get(name: str):
    """The layer class called ``name``: from a :func:`custom_objects` block, else registered.

    Parameters
    ----------
    name : str
        A class name, such as ``"Conv2D"``.

    Returns
    -------
    type
        The layer class.

    Raises
    ------
    ValueError
        For a name no layer class has (the message lists the known ones).

    Examples
    --------
    >>> from convkit import layers
    >>> layers.get("Conv2D") is layers.Conv2D
    True
    """
    for scope in reversed(getattr(_SCOPES, "stack", [])):
        if name in scope:
            return scope[name]
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown layer class '{name}'. Known: {sorted(_REGISTRY)}") from None
