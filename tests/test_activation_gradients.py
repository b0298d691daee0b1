"""``activations.gradient`` for every built-in activation: against ``jax.vjp`` of the Keras 3
activation (float32) and against central differences (float64)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from convkit import activations  # noqa: E402

# arguments the activation needs (threshold has no defaults); sparsemax: convkit follows the
# paper, not Keras 3.15 (see convkit.activations), so only the differences check it
ARGS = {"threshold": {"threshold": 0.3, "default_value": -2.0}}
KERAS_DIFFERS = {"sparsemax"}
NAMES = sorted(activations._BY_NAME)
CASES = [(name, {}) for name in NAMES] + [
    ("gelu", {"approximate": True}), ("gelu", {"approximate": False}),
    ("relu", {"negative_slope": 0.1, "max_value": 1.5, "threshold": 0.2}),
    ("leaky_relu", {"negative_slope": 0.3}), ("elu", {"alpha": 0.5}),
    ("softmax", {"axis": 1}), ("log_softmax", {"axis": (1, 2)}), ("glu", {"axis": 1}),
]


def _inputs(dtype, seed=0):
    # values spread over the interesting ranges, away from the kinks (0, +-1, +-3, 6, ...)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-7, 7, size=(3, 4, 6))
    x[np.abs(x - np.round(x)) < 1e-2] += 0.05
    return x.astype(dtype)


def _kwargs(name, extra):
    return {**ARGS.get(name, {}), **extra}


@pytest.mark.parametrize("name, extra", [c for c in CASES if c[0] not in KERAS_DIFFERS])
def test_matches_jax_vjp_of_keras(name, extra):
    kwargs = _kwargs(name, extra)
    x = _inputs(np.float32)
    dy = np.random.default_rng(1).standard_normal(
        np.shape(getattr(activations, name)(x, **kwargs))).astype(np.float32)
    ours = activations.gradient(getattr(activations, name), x, dy, **kwargs)
    _, vjp = jax.vjp(lambda v: getattr(keras.activations, name)(v, **kwargs), x)
    (theirs,) = vjp(dy)
    assert ours.dtype == np.float32 and ours.shape == x.shape
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name, extra", CASES)
def test_matches_central_differences_float64(name, extra):
    # <gradient(x, dy), v> == d/dh <dy, f(x + h v)> at h = 0, for a random direction v
    kwargs = _kwargs(name, extra)
    fn = getattr(activations, name)
    x = _inputs(np.float64, seed=2)
    rng = np.random.default_rng(3)
    dy = rng.standard_normal(np.shape(fn(x, **kwargs)))
    v = rng.standard_normal(x.shape)
    h = 1e-5
    diff = np.sum(dy * (fn(x + h * v, **kwargs) - fn(x - h * v, **kwargs))) / (2 * h)
    grad = activations.gradient(fn, x, dy, **kwargs)
    assert grad.dtype == np.float64
    scale = np.sum(np.abs(grad * v)) + 1e-12
    assert abs(np.sum(grad * v) - diff) <= 1e-8 * scale


def test_swish_aliases_and_unknown_callables():
    x = _inputs(np.float32)
    dy = np.ones_like(x)
    assert np.array_equal(activations.gradient(activations.swish, x, dy),
                          activations.gradient(activations.silu, x, dy))
    assert activations.has_gradient(activations.hard_swish)
    assert not activations.has_gradient(np.sin)
    with pytest.raises(NotImplementedError, match="sin"):
        activations.gradient(np.sin, x, dy)
