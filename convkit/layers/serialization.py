"""Layer (de)serialisation in Keras's dict form, for Sequential configs and user code."""

_REGISTRY: dict = {}


def register(*classes) -> None:
    """Make layer classes known to :func:`deserialize` by their class name."""
    for cls in classes:
        _REGISTRY[cls.__name__] = cls


def serialize(layer) -> dict:
    """``{'module': 'keras.layers', 'class_name': ..., 'config': ..., 'registered_name': None}``,
    plus ``build_config`` once the layer is built with a known input shape."""
    out = {"module": "keras.layers", "class_name": type(layer).__name__,
           "config": layer.get_config(), "registered_name": None}
    build_shape = getattr(layer, "_build_input_shape", None)
    if layer.built and build_shape is not None:
        out["build_config"] = {"input_shape": build_shape}
    return out


def deserialize(config: dict):
    """Rebuild a layer from :func:`serialize`'s dict (building it if it was built)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialised layer dict with a 'class_name' key. "
                         f"Received: {config!r}")
    name = config["class_name"]
    if name not in _REGISTRY:
        raise ValueError(f"Unknown layer class '{name}'. Known: {sorted(_REGISTRY)}")
    layer = _REGISTRY[name].from_config(dict(config.get("config", {})))
    build = config.get("build_config")
    if build and build.get("input_shape") is not None:
        layer.build(build["input_shape"])
    return layer


def get(name: str):
    """The registered layer class called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown layer class '{name}'. Known: {sorted(_REGISTRY)}") from None
