"""convkit.constraints against keras.constraints (jax backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convkit import constraints
from tests.support.keras_family import (
    assert_aliases_match,
    assert_doctests_pass,
    assert_get_error_text,
    assert_get_rejects,
    assert_round_trips_with_keras,
)

# Conv1D, Conv2D, Conv3D, Conv2DTranspose-like and Dense kernels with the axes people use.
KERNELS = [
    ((5, 4, 6), [0, [0, 1], -1, 1]),
    ((3, 3, 4, 8), [0, [0, 1, 2], -1, [0, 1], [1, 2], 2]),
    ((2, 3, 3, 4, 5), [0, [0, 1, 2, 3], -1]),
    ((3, 3, 8, 4), [[0, 1, 3], -2]),
    ((16, 10), [0, 1, -1]),
]
CASES = [(shape, axis) for shape, axes in KERNELS for axis in axes]


def _keras(constraint, w):
    # Jitted: one compilation per case instead of one per eager op (3x faster, same maths).
    return np.asarray(jax.jit(constraint)(w))


def _kernel(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("shape, axis", CASES)
@pytest.mark.parametrize("name", ["MaxNorm", "UnitNorm", "MinMaxNorm"])
def test_norm_constraints_match_keras(name, shape, axis):
    w = _kernel(shape, scale=0.7)
    ours = getattr(constraints, name)(axis=axis)
    out = ours(w)
    assert out.dtype == np.float32 and out.shape == w.shape
    theirs = getattr(keras.constraints, name)(axis=axis)
    np.testing.assert_allclose(out, _keras(theirs, w), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize(
    "name, kwargs",
    [("MaxNorm", {"max_value": 0.5, "axis": [0, 1, 2]}), ("MaxNorm", {"max_value": 7}),
     ("MinMaxNorm", {"min_value": 2.0, "max_value": 3.0, "rate": 0.3, "axis": [0, 1, 2]}),
     ("MinMaxNorm", {"min_value": 0.1, "max_value": 0.2, "rate": 0.8, "axis": -1})],
)
def test_arguments_match_keras(name, kwargs):
    w = _kernel((3, 3, 4, 8), seed=1, scale=0.7)
    ours = getattr(constraints, name)(**kwargs)(w)
    theirs = _keras(getattr(keras.constraints, name)(**kwargs), w)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)


def test_non_neg_matches_keras():
    w = _kernel((3, 3, 4, 8))
    np.testing.assert_array_equal(constraints.NonNeg()(w), _keras(keras.constraints.NonNeg(), w))


def _reference(kind, w, axis, lo=0.0, hi=1.0, rate=1.0):
    """docs/design/keras_parity.md §1.9 formulas in float64."""
    w = w.astype(np.float64)
    n = np.sqrt(np.sum(w * w, axis=axis if isinstance(axis, int) else tuple(axis),
                       keepdims=True))
    if kind == "max":
        return w * np.clip(n, 0, hi) / (1e-7 + n)
    if kind == "unit":
        return w / (1e-7 + n)
    return w * (rate * np.clip(n, lo, hi) + (1 - rate) * n) / (1e-7 + n)


@settings(max_examples=40, deadline=None)
@given(w=arrays(np.float32, (3, 4, 5), elements=st.floats(-5, 5, width=32)),
       axis=st.sampled_from([0, 1, 2, -1, [0, 1], [0, 2], [1, 2], [0, 1, 2]]),
       lo=st.floats(0, 2), span=st.floats(0, 2), rate=st.floats(0, 1))
def test_formulas_hypothesis(w, axis, lo, span, rate):
    hi = lo + span
    checks = [
        (constraints.MaxNorm(hi, axis)(w), _reference("max", w, axis, hi=hi)),
        (constraints.UnitNorm(axis)(w), _reference("unit", w, axis)),
        (constraints.MinMaxNorm(lo, hi, rate, axis)(w),
         _reference("minmax", w, axis, lo, hi, rate)),
        (constraints.NonNeg()(w), np.maximum(w, 0)),
    ]
    for ours, ref in checks:
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_resulting_norms():
    w = _kernel((3, 3, 4, 8), scale=2.0).astype(np.float64)
    per_filter = (0, 1, 2)

    def norms(a):
        return np.sqrt(np.sum(a * a, axis=per_filter))

    assert (norms(constraints.MaxNorm(1.5, list(per_filter))(w)) <= 1.5).all()
    np.testing.assert_allclose(norms(constraints.UnitNorm(list(per_filter))(w)), 1.0, rtol=1e-6)
    out = constraints.MinMaxNorm(20.0, 30.0, 1.0, list(per_filter))(w)
    assert ((norms(out) >= 20.0 - 1e-5) & (norms(out) <= 30.0)).all()
    small = constraints.MaxNorm(1e9, 0)(w)  # norms below the bound: unchanged up to eps
    np.testing.assert_allclose(small, w, rtol=1e-6)


def test_default_axis_is_the_first_spatial_axis():
    # The Keras trap: axis=0 normalises along kh only, not per filter.
    w = _kernel((3, 3, 4, 8)).astype(np.float64)
    out = constraints.UnitNorm()(w)
    np.testing.assert_allclose(np.sqrt(np.sum(out**2, axis=0)), 1.0, rtol=1e-6)
    assert not np.allclose(np.sqrt(np.sum(out**2, axis=(0, 1, 2))), 1.0)


@pytest.mark.parametrize("name", ["MaxNorm", "UnitNorm", "MinMaxNorm", "NonNeg"])
def test_float64_stays_float64(name):
    w = _kernel((3, 3, 2, 2)).astype(np.float64)
    out = getattr(constraints, name)()(w)
    assert out.dtype == np.float64
    if name != "NonNeg":
        ref = getattr(constraints, name)()(w.astype(np.float32))
        np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-7)


def test_non_float_input_becomes_float32():
    assert constraints.MaxNorm()(np.ones((2, 2), dtype=np.int32)).dtype == np.float32
    assert constraints.NonNeg()([[-1, 2]]).dtype == np.float32
    with pytest.raises(TypeError, match="real numbers"):
        constraints.NonNeg()(np.array(["a"]))


def test_zero_weights_stay_zero():
    w = np.zeros((3, 3, 2, 2), dtype=np.float32)
    for c in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm(1.0, 2.0)):
        np.testing.assert_array_equal(c(w), 0.0)


def test_base_constraint_is_identity():
    w = np.ones(3)
    assert constraints.Constraint()(w) is w
    assert constraints.Constraint().get_config() == {}


CONFIG_CASES = [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 3, "axis": [0, 1, 2]}), ("NonNeg", {}),
    ("UnitNorm", {}), ("UnitNorm", {"axis": -1}), ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.5, "axis": [0, 1]}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_config_and_serialisation_match_keras(name, kwargs):
    assert_round_trips_with_keras(constraints, keras.constraints, name, kwargs)


def test_serialised_form_text():
    assert constraints.serialize(constraints.MaxNorm()) == {
        "module": "keras.constraints", "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0}, "registered_name": None}


@pytest.mark.parametrize("name", ["max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm",
                                  "NonNeg", "UnitNorm", "MinMaxNorm", "constraint",
                                  "Constraint"])
def test_get_accepts_keras_strings(name):
    ours, theirs = constraints.get(name), keras.constraints.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("bad", ["maxnorm", "max-norm", "Max_Norm", "nonneg", 1, 2.0,
                                 {"class_name": "Clip", "config": {}}])
def test_get_rejects_other_identifiers(bad):
    assert_get_rejects(constraints, keras.constraints, bad, "constraint")


def test_get_identifier_kinds_and_error_text():
    assert constraints.get(None) is None
    c = constraints.UnitNorm(axis=1)
    assert constraints.get(c) is c
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)

    def clip(w):
        return np.clip(w, -1, 1)

    assert constraints.get(clip) is clip
    assert_get_error_text(constraints, "maxnorm", "constraint")


def test_python_level_aliases_match_keras():
    assert_aliases_match(constraints, keras.constraints,
                         ("max_norm", "non_neg", "unit_norm", "min_max_norm"))


def test_docstring_examples_run():
    assert_doctests_pass(constraints)
