"""Every ``serialize`` in the package treats what it cannot describe as Keras does: None, names
and numbers come back unchanged, any other object is a TypeError naming what was expected,
never an AttributeError from deep inside or a made-up "function" entry."""

import pytest

import convkit
from convkit.optimizers import schedules
from tests.support.keras_oracle import keras

MODULES = ["layers", "constraints", "initializers", "regularizers", "losses", "metrics",
           "optimizers"]
PLAIN = [None, "x", 3, 2.5, True]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_values_come_back_unchanged_as_in_keras(module, value):
    ours = getattr(convkit, module).serialize(value)
    assert ours == getattr(keras, module).serialize(value)
    assert ours is value


@pytest.mark.parametrize("module,kind", [
    ("layers", "convkit layer or model"), ("constraints", "constraint object"),
    ("initializers", "initializer object"), ("regularizers", "regularizer object"),
    ("losses", "loss object"), ("metrics", "metric object"), ("optimizers", "optimizer")])
def test_other_objects_are_a_type_error_naming_the_kind(module, kind):
    with pytest.raises(TypeError) as ours:
        getattr(convkit, module).serialize(object())
    assert kind in str(ours.value) and "of type object" in str(ours.value)
    with pytest.raises(TypeError):  # Keras raises the same type
        getattr(keras, module).serialize(object())


def test_schedules_serialize_bad_input():
    assert schedules.serialize(None) is None
    with pytest.raises(TypeError, match="expected a learning-rate schedule"):
        schedules.serialize(object())


@pytest.mark.parametrize("module", ["constraints", "initializers", "regularizers", "losses",
                                    "metrics"])
def test_a_plain_function_is_still_a_function_entry(module):
    def custom(*args):
        return 0

    entry = getattr(convkit, module).serialize(custom)
    assert entry["class_name"] == "function" and entry["config"] == "custom"


@pytest.mark.parametrize("bad", [3, "Conv2D", None, object(), int])
def test_register_takes_only_layer_classes(bad):
    with pytest.raises(TypeError, match="register\\(\\) expects Layer subclasses"):
        convkit.layers.register(bad)
