"""Pickling and deep copies of layers and models: config + weights + state.

A layer (a model is one) pickles as the recipe to make it again, not as its ``__dict__``:

``(type(obj)._from_pickle_payload, (payload,))`` with ``payload = {"config":
obj.get_config(), "build_config": obj.get_build_config(), "weights": obj.get_weights(),
"state": obj._pickle_state()}``.

Unpickling calls ``from_config(config)``, builds from ``build_config`` (a model's config
builds its layers), ``set_weights(weights)`` and ``_restore_pickle_state(state)``. So what
travels to a worker process is plain data (dicts, tuples, NumPy arrays) and the class by
reference; caches derived from the weights (the conv layers' packed kernels) are never
shipped, and the copy rebuilds them on its first call. ``copy.deepcopy`` and ``copy.copy``
go the same way and give an independent layer with equal weights.

``state`` is what neither config nor weights hold; for a layer it is the ``input_shape=``
given at construction. Other objects with config and variables (the coming optimizers) follow
the same protocol: ``get_config``/``from_config``, a list of variables, and the state
(iterations and slots are variables in Keras, so they travel as weights).

The classes of nested layers travel by reference too (``classes``), so a model holding a user's
own layer class unpickles without that class being registered. Limits: every class must be
importable where the pickle is loaded; a layer shared by two sub-models comes back as two
layers with equal weights.

Examples
--------
>>> import pickle
>>> import numpy as np
>>> from convkit import layers
>>> conv = layers.Conv1D(2, 3, name="c")
>>> y = conv(np.ones((1, 8, 1)))
>>> copy = pickle.loads(pickle.dumps(conv))
>>> copy.name, bool(np.array_equal(copy(np.ones((1, 8, 1))), y))
('c', True)
"""

from . import serialization


def payload(obj) -> dict:
    """The plain-data description of ``obj`` that pickles (see the module docstring)."""
    return {"config": obj.get_config(), "build_config": obj.get_build_config(),
            "weights": obj.get_weights() if obj.built else [],
            "state": obj._pickle_state(),
            "classes": {type(layer).__name__: type(layer) for layer in obj._flatten_layers()}}


def rebuild(cls, data: dict):
    """``cls`` made again from :func:`payload`'s dict: config, build, weights, state."""
    with serialization.custom_objects(data.get("classes", {})):
        obj = cls.from_config(dict(data["config"]))
    obj.build_from_config(data["build_config"])
    if data["weights"]:
        obj.set_weights(data["weights"])
    obj._restore_pickle_state(data["state"])
    return obj
