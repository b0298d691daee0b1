"""The contract convkit's Keras-named families (constraints, regularizers, initializers,
activations) keep with their Keras modules: configs and serialised dicts that both sides read,
the same ``get`` refusals and aliases, and docstring examples that run.

Each helper takes the convkit module and the Keras module (``constraints``,
``keras.constraints``), so every family's test file states its own cases and calls the same
checks.
"""

import doctest

import pytest


def assert_round_trips_with_keras(ours_module, keras_module, name: str, kwargs: dict) -> None:
    """``name(**kwargs)`` has Keras's config and serialised dict, and each side rebuilds the
    other's (through ``deserialize``), as convkit does its own (``from_config``, ``get``)."""
    ours = getattr(ours_module, name)(**kwargs)
    theirs = getattr(keras_module, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert ours_module.serialize(ours) == keras_module.serialize(theirs)
    back = ours_module.deserialize(keras_module.serialize(theirs))
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    into_keras = keras_module.deserialize(ours_module.serialize(ours))
    assert into_keras.get_config() == ours.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    assert ours_module.get(ours_module.serialize(ours)).get_config() == ours.get_config()


def assert_get_rejects(ours_module, keras_module, bad, kind: str) -> None:
    """``get(bad)`` raises convkit's "Could not interpret <kind> identifier" error, and Keras
    refuses ``bad`` too."""
    with pytest.raises(ValueError, match=f"Could not interpret {kind} identifier"):
        ours_module.get(bad)
    with pytest.raises(ValueError):
        keras_module.get(bad)


def assert_get_error_text(ours_module, identifier, kind: str) -> None:
    """``get(identifier)`` fails with exactly Keras's sentence, naming the identifier."""
    with pytest.raises(ValueError) as info:
        ours_module.get(identifier)
    assert str(info.value) == f"Could not interpret {kind} identifier: {identifier}"


def assert_aliases_match(ours_module, keras_module, names) -> None:
    """Each Python-level alias names the class Keras's alias names."""
    for n in names:
        assert getattr(ours_module, n).__name__ == getattr(keras_module, n).__name__, n


def assert_doctests_pass(*modules, optionflags: int = 0) -> None:
    """Every module has docstring examples and all of them pass."""
    for module in modules:
        result = doctest.testmod(module, optionflags=optionflags)
        assert result.attempted > 0, module.__name__
        assert result.failed == 0, module.__name__
