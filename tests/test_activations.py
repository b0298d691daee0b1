"""convkit.activations against Keras 3 (jax backend) and float64 references."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import doctest
import math
import warnings

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convkit import _special, activations
from tests.support.keras_family import assert_doctests_pass

# Every activation name Keras 3.15 exports (docs/design/keras_parity.md §1.5).
KERAS_NAMES = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]
# Called with only the input (threshold needs two more arguments; glu halves the last axis).
UNARY = [n for n in KERAS_NAMES if n != "threshold"]
# sparsemax is compared with the paper's algorithm instead: Keras 3.15 gets it wrong whenever
# more than one logit is in the support (keras-team/keras#23425).
AS_KERAS = [n for n in UNARY if n != "sparsemax"]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        rng.standard_normal(600) * 3,
        rng.standard_normal(200) * 30,
        rng.uniform(-1e4, 1e4, 200),
        [0.0, -0.0, 1e-30, -1e-30, 1, -1, 0.5, -0.5, 2.5, -2.5, 3, -3, 6, -6, 7, -7],
    ])
    return x.astype(np.float32).reshape(-1, 2)  # even last axis for glu


def _keras(name, x, *args, **kwargs):
    return np.asarray(getattr(keras.activations, name)(x, *args, **kwargs))


def _close_to_keras(name, ours, ref, x):
    assert ours.dtype == ref.dtype
    assert ours.shape == ref.shape
    atol = np.float64(1e-6)
    if name == "squareplus":
        # Keras's (x + sqrt(x**2 + b)) / 2 cancels for x << 0 (an error of ~ulp(|x|), down
        # to returning 0); convkit evaluates b / (2 (sqrt(x**2 + b) - x)) there.
        atol = 1e-6 + 2e-7 * np.abs(x)
    ours64, ref64 = ours.astype(np.float64), ref.astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf
        near = np.abs(ours64 - ref64) <= atol + 1e-6 * np.abs(ref64)
    bad = ~(near | (ours64 == ref64) | (np.isnan(ours64) & np.isnan(ref64)))
    assert not bad.any(), (
        f"{name}: {bad.sum()} mismatches, e.g. convkit {ours[bad][:4]} vs Keras {ref[bad][:4]}"
    )


@pytest.mark.parametrize("name", AS_KERAS)
def test_matches_keras_float32(name):
    x = _inputs()
    ours = getattr(activations, name)(x)
    _close_to_keras(name, ours, _keras(name, x), x)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("relu", {"negative_slope": 0.1}),
        ("relu", {"max_value": 6.0}),
        ("relu", {"max_value": 2.5}),
        ("relu", {"threshold": 1.0}),
        ("relu", {"threshold": -1.0}),
        ("relu", {"negative_slope": 0.3, "max_value": 4.0}),
        ("relu", {"negative_slope": 0.3, "threshold": 1.5}),
        ("relu", {"negative_slope": 0.3, "max_value": 4.0, "threshold": -2.0}),
        ("relu", {"max_value": 4.0, "threshold": 0.5}),
        ("leaky_relu", {"negative_slope": 0.01}),
        ("elu", {"alpha": 0.5}),
        ("celu", {"alpha": 2.5}),
        ("gelu", {"approximate": True}),
        ("gelu", {"approximate": False}),
        ("soft_shrink", {"threshold": 1.5}),
        ("hard_shrink", {"threshold": 1.5}),
        ("squareplus", {"b": 1.0}),
        ("squareplus", {"b": 0.0}),
        ("softmax", {"axis": 0}),
        ("log_softmax", {"axis": 0}),
        ("glu", {"axis": 0}),
    ],
)
def test_arguments_match_keras(name, kwargs):
    x = _inputs(1)
    ours = getattr(activations, name)(x, **kwargs)
    _close_to_keras(name, ours, _keras(name, x, **kwargs), x if ours.shape == x.shape else 0.0)


@pytest.mark.parametrize("axis", [-1, 1, 2, 0, (1, 2), None])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axes_match_keras(name, axis):
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32) * 4
    ours = getattr(activations, name)(x, axis=axis)
    np.testing.assert_allclose(ours, _keras(name, x, axis=axis), rtol=1e-6, atol=1e-6)


def test_threshold_matches_keras():
    x = _inputs(3)
    for thr, default in [(0.0, 0.0), (1.0, -5.0), (-2.0, 3.5)]:
        ours = activations.threshold(x, thr, default)
        np.testing.assert_allclose(ours, _keras("threshold", x, thr, default), rtol=0, atol=0)
    with pytest.raises(TypeError):
        activations.threshold(x)  # both arguments are required, as in Keras


finite32 = st.floats(-1e4, 1e4, allow_nan=False, width=32)


@settings(max_examples=25, deadline=None)
@given(x=arrays(np.float32, (4, 6), elements=finite32),
       name=st.sampled_from(AS_KERAS))
def test_matches_keras_hypothesis(x, name):
    ours = getattr(activations, name)(x)
    _close_to_keras(name, ours, _keras(name, x), x if ours.shape == x.shape else 0.0)


# --- float64 and float16 -------------------------------------------------------------------

def _f64_reference(name, x):
    """Textbook float64 formulas, accurate on |x| <= 30."""
    sig = 1 / (1 + np.exp(-x))
    sp = np.log1p(np.exp(x))
    refs = {
        "sigmoid": sig, "silu": x * sig, "swish": x * sig, "softplus": sp,
        "log_sigmoid": -np.log1p(np.exp(-x)), "mish": x * np.tanh(sp), "tanh": np.tanh(x),
        "elu": np.where(x > 0, x, np.expm1(x)),
        "gelu": np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.ravel()]).reshape(
            x.shape),
        "squareplus": (x + np.sqrt(x * x + 4)) / 2,
        "softsign": x / (1 + np.abs(x)), "exponential": np.exp(x),
    }
    return refs[name]


@pytest.mark.parametrize(
    "name", ["sigmoid", "silu", "swish", "softplus", "log_sigmoid", "mish", "tanh", "elu",
             "gelu", "squareplus", "softsign", "exponential"],
)
def test_float64_is_computed_in_float64(name):
    x = np.random.default_rng(4).uniform(-30, 30, 400)
    ours = getattr(activations, name)(x)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, _f64_reference(name, x), rtol=1e-12, atol=1e-300)


def test_erfc_float64_accuracy():
    x = np.random.default_rng(5).uniform(-8, 26, 20000)
    ref = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(_special.erfc(x), ref, rtol=1e-12)
    np.testing.assert_allclose(_special.erfc(x.astype(np.float32)),
                               np.array([math.erfc(v) for v in x.astype(np.float32)]),
                               rtol=2e-7, atol=1e-40)


def test_gelu_float64_tails():
    x = np.array([-37.0, -30.0, -10.0, -1e-8, 0.0, 1e-8, 10.0, 40.0, 1e300])
    ref = [0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(activations.gelu(x), ref, rtol=1e-12)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_preserved(name, dtype):
    x = _inputs(6)[:50].astype(dtype)
    out = getattr(activations, name)(x)
    assert out.dtype == dtype
    if dtype == np.float16:  # computed in float32, rounded once
        ref = getattr(activations, name)(x.astype(np.float32)).astype(np.float16)
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("value", [[1, -2], [1.5, -2.5], np.array([1, -2], dtype=np.int64),
                                   np.array([True, False]), 3])
def test_non_float_inputs_become_float32(value):
    out = activations.relu(value)
    assert out.dtype == np.float32
    assert isinstance(out, np.ndarray)


def test_scalars_and_0d_arrays():
    assert activations.sigmoid(np.float64(0.0)).shape == ()
    assert activations.sigmoid(np.array(2.0, dtype=np.float32)).dtype == np.float32
    assert float(activations.gelu(np.array(1.0))) == pytest.approx(0.8413447460685429)


@pytest.mark.parametrize("name", ["gelu", "sigmoid", "softmax", "sparsemax", "mish", "relu"])
def test_non_contiguous_input(name):
    x = np.random.default_rng(7).standard_normal((6, 5)).astype(np.float32)
    fn = getattr(activations, name)
    np.testing.assert_array_equal(fn(x.T), fn(np.ascontiguousarray(x.T)))
    np.testing.assert_array_equal(fn(x[:, ::2]), fn(np.ascontiguousarray(x[:, ::2])))


def test_complex_input_is_rejected():
    with pytest.raises(TypeError, match="real numbers"):
        activations.relu(np.array([1 + 1j]))


# --- stability -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_numpy_warnings_on_extreme_inputs(name, dtype):
    big = np.finfo(dtype).max
    x = np.array([-big, -1e4, -100.0, -1.0, -0.0, 0.0, 1.0, 100.0, 1e4, big, np.inf, -np.inf,
                  np.nan, 0.5], dtype=dtype).reshape(7, 2)
    with warnings.catch_warnings(), np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("error")
        getattr(activations, name)(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_limits_of_saturating_functions(dtype):
    x = np.array([-1e4, 1e4], dtype=dtype)
    np.testing.assert_array_equal(activations.softplus(x), [0, 1e4])
    np.testing.assert_array_equal(activations.log_sigmoid(x), [-1e4, 0])
    np.testing.assert_array_equal(activations.sigmoid(x), [0, 1])
    np.testing.assert_array_equal(activations.silu(x), [0, 1e4])
    np.testing.assert_array_equal(activations.gelu(x), [0, 1e4])
    np.testing.assert_array_equal(activations.mish(x), [0, 1e4])
    assert activations.squareplus(np.array([-1e4], dtype))[0] == pytest.approx(1e-4, rel=1e-5)


def test_softmax_is_shift_invariant_for_huge_logits():
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(activations.softmax(x + 1e4), activations.softmax(x), rtol=1e-5)
    np.testing.assert_allclose(activations.log_softmax(x - 1e4), activations.log_softmax(x),
                               rtol=1e-4)


def test_sigmoid_small_values_keep_relative_accuracy():
    x = np.array([-20.0, -50.0, -80.0], dtype=np.float32)
    np.testing.assert_allclose(activations.sigmoid(x), np.exp(x.astype(np.float64)), rtol=1e-6)


# --- glu and sparsemax -----------------------------------------------------------------------

def test_glu_halves_the_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert activations.glu(x).shape == (2, 3, 2)
    assert activations.glu(x, axis=0).shape == (1, 3, 4)
    with pytest.raises(ValueError, match=r"axis size must be divisible by 2\. Received: "
                                         r"x\.shape=\(2, 3, 4\) with axis=1"):
        activations.glu(x, axis=1)


def _sparsemax_reference(v):
    """Projection of one vector onto the simplex (Martins & Astudillo, Algorithm 1)."""
    z = sorted(v, reverse=True)
    k, total, cum = 0, 0.0, 0.0
    for j, zj in enumerate(z, start=1):
        cum += zj
        if 1 + j * zj > cum:
            k, total = j, cum
    tau = (total - 1) / k
    return np.maximum(np.asarray(v) - tau, 0)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, (3, 5), elements=st.floats(-5, 5)), axis=st.sampled_from([0, 1, -1]))
def test_sparsemax_is_the_simplex_projection(x, axis):
    out = activations.sparsemax(x, axis=axis)
    ref = np.apply_along_axis(_sparsemax_reference, axis, x)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, atol=1e-12)
    assert (out >= 0).all()


def test_sparsemax_known_values():
    np.testing.assert_allclose(activations.sparsemax([0.0, 0.5, 1.0]), [0, 0.25, 0.75])
    np.testing.assert_allclose(activations.sparsemax([0.1, 0.2, 0.3, 0.4, 0.5]),
                               [0, 0.1, 0.2, 0.3, 0.4], atol=1e-7)


def test_sparsemax_matches_keras_when_the_support_is_one_logit():
    # Keras 3.15's threshold is right only for a support of size 1 (keras-team/keras#23425).
    x = np.array([[-1.0, 0.0, 1.0], [5.0, 1.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(activations.sparsemax(x), _keras("sparsemax", x), atol=1e-7)


# --- get / serialize / deserialize ------------------------------------------------------------

@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_and_serialize_follow_keras(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    kfn = keras.activations.get(name)
    assert activations.serialize(fn) == keras.activations.serialize(kfn)
    assert activations.deserialize(activations.serialize(fn)) is fn
    assert fn.__name__ == kfn.__name__


def test_every_keras_activation_exists():
    exported = {n for n in dir(keras.activations) if not n.startswith("_")}
    assert exported - {"get", "serialize", "deserialize"} == set(KERAS_NAMES)


def test_get_special_identifiers():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom
    assert activations.serialize(custom) == "custom"
    assert activations.get(keras.saving.serialize_keras_object(keras.activations.relu)) is (
        activations.relu)


@pytest.mark.parametrize("bad", ["ReLU", "Relu", "relu ", "swish_", 5, 1.5, [1], {"a": 1}])
def test_get_rejects_unknown_identifiers(bad):
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.get(bad)
    with pytest.raises(ValueError):
        keras.activations.get(bad)  # the same identifiers fail in Keras


def test_get_error_text():
    with pytest.raises(ValueError) as info:
        activations.get("ReLU")
    assert str(info.value) == "Could not interpret activation function identifier: ReLU"
    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize(object())


def test_linear_returns_float_input_unchanged():
    x = np.ones(3, dtype=np.float64)
    assert activations.linear(x) is x


def test_docstring_examples_run():
    assert_doctests_pass(activations, _special, optionflags=doctest.ELLIPSIS)
