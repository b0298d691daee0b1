"""convkit.regularizers against keras.regularizers (jax backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convkit import regularizers
from tests.support.keras_family import (
    assert_aliases_match,
    assert_doctests_pass,
    assert_get_error_text,
    assert_get_rejects,
    assert_round_trips_with_keras,
)

KERNEL_SHAPES = [(3, 3, 4, 8), (5, 6, 7), (2, 2, 2, 3, 4), (16, 10), (7,)]
CASES = [
    ("L1", {}), ("L1", {"l1": 0.3}), ("L2", {}), ("L2", {"l2": 1e-4}), ("L1L2", {}),
    ("L1L2", {"l1": 0.1}), ("L1L2", {"l2": 0.2}), ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("L1L2", {"l1": None, "l2": 0.5}), ("L1", {"l1": None}), ("L2", {"l2": 3}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
    ("OrthogonalRegularizer", {"factor": 2, "mode": "rows"}),
]


def _keras_value(reg, w):
    return float(np.asarray(reg(keras.ops.convert_to_tensor(w))))


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_value_matches_keras(name, kwargs, shape):
    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = getattr(regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    if name == "OrthogonalRegularizer" and len(shape) != 2:
        for reg in (ours, theirs):
            with pytest.raises(ValueError, match=(
                r"Inputs to OrthogonalRegularizer must have rank 2\. Received: "
                rf"inputs\.shape={shape}".replace("(", r"\(").replace(")", r"\)"))):
                reg(w)
        return
    value = ours(w)
    assert type(value) is float
    assert value == pytest.approx(_keras_value(theirs, w), rel=2e-6, abs=1e-7)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_config_and_serialisation_match_keras(name, kwargs):
    assert_round_trips_with_keras(regularizers, keras.regularizers, name, kwargs)


def test_float32_rounding_of_l1_and_factor():
    assert regularizers.L1().get_config() == {"l1": 0.009999999776482582}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.OrthogonalRegularizer().get_config() == {
        "factor": 0.009999999776482582, "mode": "rows"}
    assert regularizers.L1L2(0.01, 0.01).get_config() == {"l1": 0.01, "l2": 0.01}


def test_penalty_formulas():
    w = np.array([[1.0, -2.0], [3.0, -4.0]], dtype=np.float32)
    assert regularizers.L1(0.5)(w) == pytest.approx(0.5 * 10, rel=1e-7)
    assert regularizers.L2(0.5)(w) == 0.5 * 30  # no factor 1/2
    assert regularizers.L1L2(0.5, 0.25)(w) == pytest.approx(5 + 7.5)
    assert regularizers.L1L2()(w) == 0.0
    assert regularizers.Regularizer()(w) == 0.0


def test_penalty_is_accumulated_in_float64():
    w = np.full(10**6, 0.1, dtype=np.float32)
    exact = 10**6 * float(np.float32(0.1)) ** 2
    assert regularizers.L2(1.0)(w) == pytest.approx(exact, rel=1e-12)


def test_orthogonal_regularizer_values():
    eye = np.eye(4)
    assert regularizers.OrthogonalRegularizer(1.0)(eye) == 0.0
    parallel = np.ones((3, 5))
    assert regularizers.OrthogonalRegularizer(1.0)(parallel) == pytest.approx(1.0)
    assert regularizers.OrthogonalRegularizer(1.0, "columns")(parallel) == pytest.approx(1.0)
    zero_row = np.array([[0.0, 0.0], [1.0, 0.0]])  # zero rows stay zero after normalising
    assert regularizers.OrthogonalRegularizer(1.0)(zero_row) == 0.0


def test_orthogonal_regularizer_single_row_is_zero():
    # Keras divides by the number of pairs (0) and returns NaN; convkit returns 0.
    assert regularizers.OrthogonalRegularizer()(np.ones((1, 4))) == 0.0
    assert np.isnan(_keras_value(keras.regularizers.OrthogonalRegularizer(),
                                 np.ones((1, 4), np.float32)))


@settings(max_examples=25, deadline=None)
@given(w=arrays(np.float32, (5, 4), elements=st.floats(-10, 10, width=32)),
       l1=st.floats(0, 2), l2=st.floats(0, 2), factor=st.floats(0, 2),
       mode=st.sampled_from(["rows", "columns"]))
def test_values_match_keras_hypothesis(w, l1, l2, factor, mode):
    assert regularizers.L1L2(l1, l2)(w) == pytest.approx(
        _keras_value(keras.regularizers.L1L2(l1, l2), w), rel=1e-5, abs=1e-6)
    ours = regularizers.OrthogonalRegularizer(factor, mode)(w)
    theirs = _keras_value(keras.regularizers.OrthogonalRegularizer(factor, mode), w)
    assert ours == pytest.approx(theirs, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), "0.1", [0.1], True])
@pytest.mark.parametrize("name, arg", [("L1", "l1"), ("L2", "l2"), ("L1L2", "l1"),
                                       ("L1L2", "l2"), ("OrthogonalRegularizer", "factor")])
def test_factor_validation(name, arg, bad):
    with pytest.raises(ValueError, match=rf"Invalid value for argument {arg}: expected a "
                                         rf"non-negative float\.Received: {arg}="):
        getattr(regularizers, name)(**{arg: bad})


def test_factor_validation_text():
    with pytest.raises(ValueError) as info:
        regularizers.L1(-1)
    text = "Invalid value for argument l1: expected a non-negative float.Received: l1=-1"
    assert str(info.value) == text
    with pytest.raises(ValueError) as keras_info:
        keras.regularizers.L1(-1)
    assert str(keras_info.value) == text


def test_mode_validation():
    with pytest.raises(ValueError, match=r'Expected one of \{"rows", "columns"\}\. '
                                         r"Received: mode=diagonal"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("name", ["l1", "L1", "l2", "L2", "l1l2", "L1L2",
                                  "orthogonal_regularizer", "OrthogonalRegularizer",
                                  "regularizer", "Regularizer"])
def test_get_accepts_keras_strings(name):
    ours = regularizers.get(name)
    theirs = keras.regularizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    if name.lower() != "regularizer":
        assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("bad", ["l1_l2", "L1_L2", "orthogonal", "ortho", "Orthogonal", 3,
                                 {"class_name": "L3", "config": {}}])
def test_get_rejects_other_identifiers(bad):
    assert_get_rejects(regularizers, keras.regularizers, bad, "regularizer")


def test_get_identifier_kinds_and_error_text():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.3)
    assert regularizers.get(reg) is reg
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def custom(w):
        return 0.0

    assert regularizers.get(custom) is custom
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    assert_get_error_text(regularizers, "l1_l2", "regularizer")


def test_python_level_aliases_match_keras():
    assert_aliases_match(regularizers, keras.regularizers,
                         ("l1", "l2", "l1_l2", "orthogonal_regularizer"))


def test_base_class_get_config_is_abstract():
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        regularizers.Regularizer().get_config()


def test_custom_subclass_serialises_like_keras():
    class Mine(regularizers.Regularizer):
        def get_config(self):
            return {}

    class KerasMine(keras.regularizers.Regularizer):
        def get_config(self):
            return {}

    ours, theirs = regularizers.serialize(Mine()), keras.regularizers.serialize(KerasMine())
    theirs["class_name"] = theirs["registered_name"] = "Mine"
    assert ours == theirs


def test_docstring_examples_run():
    assert_doctests_pass(regularizers)
