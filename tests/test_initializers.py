"""convkit.initializers and convkit.utils seeds: statistics, fans, seeds and Keras parity of
configs, names and serialised forms."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import math
import random

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras.src.initializers import ALL_OBJECTS_DICT as KERAS_OBJECTS
from keras.src.initializers.random_initializers import (
    compute_fans as keras_compute_fans,
)

from convkit import initializers, utils
from tests.support.keras_family import assert_doctests_pass, assert_get_error_text

RANDOM = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
          "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
          "LecunUniform", "Orthogonal"]
CLASSES = ["Zeros", "Ones", "Constant", "Identity", *RANDOM]


# --- fans ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 5), (3, 5)),
        ((3, 8, 16), (24, 48)),  # Conv1D (k, C, F)
        ((3, 3, 8, 16), (72, 144)),  # Conv2D (kh, kw, C, F)
        ((2, 3, 3, 4, 5), (72, 90)),  # Conv3D
        ((3, 3, 16, 8), (144, 72)),  # Conv2DTranspose (kh, kw, F, C): swapped vs data flow
        ((3, 3, 8, 2), (72, 18)),  # DepthwiseConv2D (kh, kw, C, M)
        ((1, 1, 16, 32), (16, 32)),  # pointwise (1, 1, C*M, F)
        ((5, 5, 32, 64), (800, 1600)),
    ],
)
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans
    assert keras_compute_fans(shape) == fans


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=0, max_size=5))
def test_compute_fans_matches_keras(shape):
    assert initializers.compute_fans(shape) == keras_compute_fans(shape)


def test_compute_fans_with_explicit_axes():
    shape = (3, 4, 5, 6)
    assert initializers.compute_fans(shape, [0, 1], [2, 3]) == (12, 30)
    assert keras_compute_fans(shape, [0, 1], [2, 3]) == (12, 30)
    init = initializers.VarianceScaling(2.0, "fan_in", "uniform", seed=0, input_axes=[0, 1],
                                        output_axes=[2, 3])
    assert np.abs(init(shape)).max() <= math.sqrt(3 * 2.0 / 12)


# --- statistics ----------------------------------------------------------------------------

def _limits(name, shape):
    fan_in, fan_out = initializers.compute_fans(shape)
    return {
        "GlorotUniform": math.sqrt(6 / (fan_in + fan_out)),
        "HeUniform": math.sqrt(6 / fan_in),
        "LecunUniform": math.sqrt(3 / fan_in),
    }[name]


@pytest.mark.parametrize("name", ["GlorotUniform", "HeUniform", "LecunUniform"])
@pytest.mark.parametrize("shape", [(5, 5, 32, 64), (3, 3, 64, 8), (400, 300), (7, 64, 128)])
def test_uniform_families_bounds_and_std(name, shape):
    w = getattr(initializers, name)(seed=1)(shape)
    limit = _limits(name, shape)
    assert w.dtype == np.float32 and w.shape == shape
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit  # the whole interval is used
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.03)
    assert abs(w.mean()) < 0.02 * limit


@pytest.mark.parametrize("name, scale, fan",
                         [("GlorotNormal", 1.0, "avg"), ("HeNormal", 2.0, "in"),
                          ("LecunNormal", 1.0, "in")])
@pytest.mark.parametrize("shape", [(5, 5, 32, 64), (3, 3, 64, 8), (400, 300)])
def test_truncated_normal_families(name, scale, fan, shape):
    w = getattr(initializers, name)(seed=2)(shape).astype(np.float64)
    fan_in, fan_out = initializers.compute_fans(shape)
    n = fan_in if fan == "in" else (fan_in + fan_out) / 2
    std = math.sqrt(scale / n)
    assert w.std() == pytest.approx(std, rel=0.03)  # the 0.8796 correction restores it
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 * (1 + 1e-6)


def test_variance_scaling_modes_and_untruncated_normal():
    shape = (3, 3, 32, 128)
    fan_in, fan_out = initializers.compute_fans(shape)
    for mode, n in [("fan_in", fan_in), ("fan_out", fan_out), ("fan_avg", (fan_in + fan_out) / 2)]:
        w = initializers.VarianceScaling(3.0, mode, "untruncated_normal", seed=3)(shape)
        assert w.std() == pytest.approx(math.sqrt(3.0 / n), rel=0.03)
        assert np.abs(w).max() > 3 * math.sqrt(3.0 / n)  # not truncated
        w = initializers.VarianceScaling(3.0, mode, "uniform", seed=3)(shape)
        assert np.abs(w).max() <= math.sqrt(9.0 / n)


def test_max_one_guard_on_fans():
    # A zero-size axis gives fan 0; Keras divides by max(1, fan).
    w = initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=0)((0, 4))
    assert w.shape == (0, 4)
    w = initializers.HeUniform(seed=0)((1,))
    assert abs(w[0]) <= math.sqrt(6.0)


def test_random_normal_uniform_truncated():
    w = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200, 200))
    assert w.mean() == pytest.approx(1.0, abs=0.05)
    assert w.std() == pytest.approx(2.0, rel=0.02)
    w = initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=0)((200, 200))
    assert w.min() >= -1.0 and w.max() <= 3.0
    assert w.mean() == pytest.approx(1.0, abs=0.05)
    w = initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=0)((200, 200))
    assert w.min() >= 0.3 - 1e-7 and w.max() <= 0.7 + 1e-7
    # A unit normal truncated at +-2 keeps 88% of the standard deviation.
    assert w.std() == pytest.approx(0.1 * 0.87962566103423978, rel=0.02)


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8), (2, 2, 16, 8)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    m = w.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 4.0 * np.eye(m.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(m @ m.T, 4.0 * np.eye(m.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match=r"at least two-dimensional\. Received: shape=\(5,\) "
                                         r"of rank 1\."):
        initializers.Orthogonal()((5,))


def test_constant_zeros_ones_identity():
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 3)), np.full((2, 3), 2.5))
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32
    assert initializers.Ones()((2,), dtype="bool").all()
    np.testing.assert_array_equal(initializers.Identity(3.0)((2, 4)), 3.0 * np.eye(2, 4))
    with pytest.raises(ValueError, match=r"can only be used for 2D matrices\. Received: "
                                         r"shape=\(3, 3, 2\) of rank 3\."):
        initializers.Identity()((3, 3, 2))


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("dtype", [None, "float32", "float64", np.float16])
def test_dtype(name, dtype):
    shape = (4, 4)
    w = getattr(initializers, name)()(shape, dtype=dtype)
    assert w.dtype == np.dtype("float32" if dtype is None else dtype)
    assert w.shape == shape


@pytest.mark.parametrize("name", RANDOM)
def test_random_initializers_reject_integer_dtypes(name):
    with pytest.raises(ValueError, match="only produces floating-point values"):
        getattr(initializers, name)()((2, 2), dtype="int32")


def test_same_values_in_float32_and_float64():
    a = initializers.GlorotNormal(seed=9)((8, 8), dtype="float64")
    b = initializers.GlorotNormal(seed=9)((8, 8), dtype="float32")
    np.testing.assert_array_equal(a.astype(np.float32), b)


# --- seeds -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", RANDOM)
def test_int_seed_repeats_across_calls_and_objects(name):
    cls = getattr(initializers, name)
    init = cls(seed=42)
    first = init((6, 5))
    np.testing.assert_array_equal(first, init((6, 5)))
    np.testing.assert_array_equal(first, cls(seed=42)((6, 5)))
    assert not np.array_equal(first, cls(seed=43)((6, 5)))


def test_keras_repeats_values_for_int_and_none_seeds():
    # The Keras 3.15 behaviour convkit follows: the same initializer object gives the same
    # values on every call, seeded or not.
    for seed in (7, None):
        init = keras.initializers.GlorotUniform(seed=seed)
        np.testing.assert_array_equal(np.asarray(init((3, 4))), np.asarray(init((3, 4))))


@pytest.mark.parametrize("name", RANDOM)
def test_unseeded_initializer_draws_its_seed_at_construction(name):
    cls = getattr(initializers, name)
    a, b = cls(), cls()
    np.testing.assert_array_equal(a((5, 4)), a((5, 4)))  # fixed once created
    assert not np.array_equal(a((5, 4)), b((5, 4)))  # but different per object
    assert isinstance(a.seed, int)
    assert a.get_config()["seed"] is None


def test_set_random_seed_makes_initialisation_reproducible():
    def build():
        return [initializers.get("glorot_uniform")((3, 3, 4, 8)),
                initializers.get("he_normal")((3, 3, 8, 8)),
                initializers.Orthogonal()((4, 4))]

    utils.set_random_seed(1234)
    first = build()
    utils.set_random_seed(1234)
    second = build()
    utils.set_random_seed(4321)
    third = build()
    for a, b, c in zip(first, second, third, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert utils.get_random_seed() == 4321


def test_set_random_seed_also_seeds_python_and_numpy():
    utils.set_random_seed(5)
    a = (random.random(), np.random.rand())
    utils.set_random_seed(5)
    assert (random.random(), np.random.rand()) == a
    utils.set_random_seed(0)
    assert utils.global_rng() is utils.global_rng()


@pytest.mark.parametrize("bad", [1.5, "1", None, True, -1, 2**32])
def test_set_random_seed_validation(bad):
    with pytest.raises(ValueError, match="Expected `seed` argument to be"):
        utils.set_random_seed(bad)


def test_generator_seed_draws_new_values_each_call():
    init = initializers.RandomNormal(seed=np.random.default_rng(3))
    a, b = init((4,)), init((4,))
    assert not np.array_equal(a, b)
    again = initializers.RandomNormal(seed=np.random.default_rng(3))
    np.testing.assert_array_equal(again((4,)), a)
    assert isinstance(init.get_config()["seed"], np.random.Generator)


def test_numpy_and_negative_integer_seeds():
    a = initializers.RandomUniform(seed=np.int64(5))((3,))
    np.testing.assert_array_equal(a, initializers.RandomUniform(seed=5)((3,)))
    assert initializers.RandomUniform(seed=np.int64(5)).get_config()["seed"] == 5
    b = initializers.RandomUniform(seed=-5)((3,))
    np.testing.assert_array_equal(b, initializers.RandomUniform(seed=-5)((3,)))


@pytest.mark.parametrize("bad", [1.5, "3", [1], True])
def test_invalid_seed(bad):
    with pytest.raises(ValueError, match="`seed` argument should be an integer"):
        initializers.GlorotUniform(seed=bad)


# --- configs, names, serialisation --------------------------------------------------------

CONFIG_CASES = [
    ("Zeros", {}), ("Ones", {}), ("Constant", {}), ("Constant", {"value": 3}),
    ("Constant", {"value": -0.5}), ("RandomNormal", {}),
    ("RandomNormal", {"mean": 1.0, "stddev": 2.0, "seed": 4}), ("RandomUniform", {}),
    ("RandomUniform", {"minval": -1, "maxval": 2, "seed": 0}), ("TruncatedNormal", {}),
    ("TruncatedNormal", {"mean": 0.1, "stddev": 0.2, "seed": 11}), ("VarianceScaling", {}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "seed": 1}),
    ("VarianceScaling", {"distribution": "normal"}),
    ("VarianceScaling", {"distribution": "UNTRUNCATED_NORMAL", "mode": "fan_out"}),
    ("VarianceScaling", {"input_axes": [0, 1], "output_axes": [2]}),
    ("GlorotUniform", {}), ("GlorotUniform", {"seed": 3}), ("GlorotNormal", {}),
    ("HeNormal", {"seed": 8}), ("HeUniform", {}), ("LecunNormal", {}), ("LecunUniform", {}),
    ("LecunUniform", {"input_axes": [0], "output_axes": [1]}), ("Orthogonal", {}),
    ("Orthogonal", {"gain": 0.5, "seed": 2}), ("Identity", {}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_serialize_matches_keras(name, kwargs):
    ours = initializers.serialize(getattr(initializers, name)(**kwargs))
    theirs = keras.initializers.serialize(getattr(keras.initializers, name)(**kwargs))
    if name == "Identity":
        # Keras 3.15 drops `gain` from Identity's config; convkit keeps it (round trip).
        assert theirs["config"] == {}
        theirs["config"] = {"gain": 1.0}
    assert ours == theirs
    assert list(ours["config"]) == list(theirs["config"])  # same key order too


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_round_trips_through_keras(name, kwargs):
    ours = getattr(initializers, name)(**kwargs)
    back = initializers.deserialize(initializers.serialize(ours))
    assert type(back) is type(ours)
    assert back.get_config() == ours.get_config()
    assert initializers.get(initializers.serialize(ours)).get_config() == ours.get_config()
    # Keras reads convkit's serialised form, and convkit reads Keras's.
    theirs = keras.initializers.deserialize(initializers.serialize(ours))
    assert type(theirs).__name__ == name
    from_keras = initializers.deserialize(keras.initializers.serialize(theirs))
    assert type(from_keras) is type(ours)
    assert initializers.get(type(ours).from_config(ours.get_config())) is not None


def test_identity_gain_survives_serialisation():
    init = initializers.deserialize(initializers.serialize(initializers.Identity(gain=2.0)))
    np.testing.assert_array_equal(init((2, 2)), 2 * np.eye(2))


def test_clone_keeps_config():
    init = initializers.Orthogonal(gain=3.0, seed=1)
    assert init.clone().get_config() == init.get_config()
    np.testing.assert_array_equal(init.clone()((3, 3)), init((3, 3)))


KERAS_NAMES = sorted(n for n in KERAS_OBJECTS if n.lower() not in ("stft", "stftinitializer"))


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_accepts_every_keras_name(name):
    ours = initializers.get(name)
    if name in ("Constant", "constant"):
        # Keras 3.15 lists the name but fails to build it (Constant.from_config needs a
        # "value" key); convkit returns Constant(0.0).
        with pytest.raises(KeyError):
            keras.initializers.get(name)
        assert ours.get_config() == {"value": 0.0}
        return
    assert type(ours).__name__ == type(keras.initializers.get(name)).__name__


def test_python_level_aliases_match_keras():
    public = [n for n in dir(keras.initializers) if not n.startswith("_")]
    for n in public:
        if n.lower() in ("stft", "stftinitializer", "get", "serialize", "deserialize"):
            continue
        assert getattr(initializers, n).__name__ == getattr(keras.initializers, n).__name__, n


def test_get_identifier_kinds():
    assert initializers.get(None) is None
    init = initializers.HeNormal()
    assert initializers.get(init) is init
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)

    def fn(shape, dtype=None):
        return np.zeros(shape, dtype)

    assert initializers.get(fn) is fn
    assert isinstance(initializers.get({"class_name": "glorot_uniform", "config": {}}),
                      initializers.GlorotUniform)
    fixed = initializers.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(fixed((2, 3), "float32"), np.arange(6.0).reshape(2, 3))
    assert fixed((2, 3), "float32").dtype == np.float32
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        fixed((3, 2))
    assert isinstance(initializers.get("Initializer"), initializers.Initializer)
    with pytest.raises(NotImplementedError):
        initializers.Initializer()((2,))


@pytest.mark.parametrize("bad", ["Glorot_Uniform", "glorotuniform", "GLOROT_UNIFORM", "he",
                                 "stft", 5, 1.5, {"class_name": "Nope", "config": {}}])
def test_get_rejects_unknown_identifiers(bad):
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        initializers.get(bad)


def test_get_error_text():
    assert_get_error_text(initializers, "Foo", "initializer")


def test_variance_scaling_validation():
    with pytest.raises(ValueError, match=r"Argument `scale` must be positive float\. "
                                         r"Received: scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: fan_mid"):
        initializers.VarianceScaling(mode="fan_mid")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: gamma"):
        initializers.VarianceScaling(distribution="gamma")
    for kwargs in ({"scale": 0}, {"mode": "fan_mid"}, {"distribution": "gamma"}):
        with pytest.raises(ValueError):
            keras.initializers.VarianceScaling(**kwargs)


def test_docstring_examples_run():
    assert_doctests_pass(initializers, utils)
