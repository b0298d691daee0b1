"""Backward pass of Conv1D/2D/3D and Conv1D/2D/3DTranspose: parity with Keras 3 on jax
(``jax.vjp`` through ``stateless_call`` with the same weights), float64 against the NumPy
oracle and central differences, output-gradient checks, ``Sequential.backward`` chaining."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convkit  # noqa: E402
from convkit import activations, layers, models  # noqa: E402
from tests.support import reference_conv as ref  # noqa: E402
from tests.support import reference_conv_grad as ref_grad  # noqa: E402
from tests.support.keras_oracle import (  # noqa: E402
    assert_close,
    keras_layer,
    reduction_rtol,
)

# activations a layer can take by name with Keras's defaults and Keras's values (threshold
# needs arguments; glu changes the output shape; sparsemax differs from Keras 3.15 on purpose)
ACTIVATIONS = sorted(set(activations._BY_NAME) - {"threshold", "glu", "sparsemax"})


def keras_gradients(klayer, x, weights, dy):
    """``(y, dx, [d weight for weight in trainable_variables])`` of a Keras layer on jax."""
    klayer.build(x.shape)
    klayer.set_weights(weights)
    trainable = [v.value for v in klayer.trainable_variables]
    frozen = [v.value for v in klayer.non_trainable_variables]

    def forward(tv, inputs):
        return klayer.stateless_call(tv, frozen, inputs)[0]

    y, vjp = jax.vjp(forward, trainable, x)
    d_weights, dx = vjp(dy)
    return np.asarray(y), np.asarray(dx), [np.asarray(g) for g in d_weights]


@st.composite
def layer_cases(draw, transposed):
    rank = draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 4 if rank == 3 else 7)) for _ in range(rank))
    if draw(st.booleans()):
        strides, dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank)), 1
    else:
        strides, dilation = 1, tuple(draw(st.sampled_from([1, 2])) for _ in range(rank))
    paddings = ["valid", "same"] + (["causal"] if rank == 1 and not transposed else [])
    padding = draw(st.sampled_from(paddings))
    config = dict(kernel_size=ks, strides=strides, padding=padding, dilation_rate=dilation,
                  data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                  activation=draw(st.sampled_from(ACTIVATIONS)),
                  use_bias=draw(st.booleans()))
    d = (dilation,) * rank if isinstance(dilation, int) else dilation
    if transposed:
        config["filters"] = draw(st.sampled_from([1, 3, 5]))
        channels = draw(st.integers(1, 4))
        if draw(st.booleans()):
            s = (strides,) * rank if isinstance(strides, int) else strides
            config["output_padding"] = tuple(draw(st.integers(0, si - 1)) for si in s)
            if padding == "same":
                assume(all((n - 1) * si + ((k - 1) * di + 1) % 2 + op > 0 for n, k, si, di, op
                           in zip(spatial, ks, s, d, config["output_padding"])))
    else:
        groups = draw(st.sampled_from([1, 1, 2]))
        config["groups"] = groups
        config["filters"] = groups * draw(st.sampled_from([1, 3]))
        channels = groups * draw(st.integers(1, 3))
        if padding == "valid":
            assume(all(n >= (k - 1) * di + 1 for n, k, di in zip(spatial, ks, d)))
    batch = draw(st.integers(1, 2))
    shape = ((batch, channels, *spatial) if config["data_format"] == "channels_first"
             else (batch, *spatial, channels))
    name = f"Conv{rank}D{'Transpose' if transposed else ''}"
    return name, config, shape


def _run_parity(name, config, shape, seed):
    rng = np.random.default_rng(seed)
    ours = getattr(layers, name)(**config)
    x = rng.standard_normal(shape).astype(np.float32)
    y = ours(x)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, grads = ours.backward(x, dy)
    y_k, dx_k, grads_k = keras_gradients(keras_layer(name, **config), x, weights, dy)
    taps = int(np.prod(config["kernel_size"]))
    channels_out = config["filters"]
    positions = dy.size // channels_out
    assert_close(ours(x), y_k, reduction_size=taps * x.size // x.shape[0])
    assert dx.dtype == np.float32 and [g.dtype for g in grads] == [np.float32] * len(grads)
    # sums that cancel are only as accurate as their terms: floor the scale at a term's size
    dz = np.abs(dy).max() * max(1.0, float(np.abs(dx_k).max() > 0))
    _close(dx, dx_k, taps * channels_out, floor=dz * np.abs(weights[0]).max())
    assert len(grads) == len(grads_k) == len(ours.trainable_weights)
    for g, g_k, floor in zip(grads, grads_k, (np.abs(x).max() * dz, dz), strict=False):
        _close(g, g_k, positions, floor=floor)


def _close(got, want, reduction_size, floor):
    rtol = reduction_rtol(reduction_size)
    np.testing.assert_allclose(got, want, rtol=rtol,
                               atol=rtol * max(float(np.abs(want).max()), floor, 1e-6))


# each new shape makes jax compile its ops: the quick subset keeps a few examples per run
@settings(max_examples=12)
@given(case=layer_cases(transposed=False))
def test_conv_layers_match_keras(case):
    _run_parity(*case, seed=1)


@settings(max_examples=12)
@given(case=layer_cases(transposed=True))
def test_conv_transpose_layers_match_keras(case):
    _run_parity(*case, seed=2)


@pytest.mark.slow
@settings(max_examples=150)
@given(case=layer_cases(transposed=False), transposed_case=layer_cases(transposed=True))
def test_layers_match_keras_long_sweep(case, transposed_case):
    _run_parity(*case, seed=3)
    _run_parity(*transposed_case, seed=4)


@pytest.mark.parametrize("name, config, shape", [
    ("Conv2D", dict(filters=64, kernel_size=3, padding="same"), (2, 20, 20, 32)),
    ("Conv1D", dict(filters=8, kernel_size=5, padding="causal", dilation_rate=2,
                    activation="gelu"), (3, 300, 6)),
    ("Conv3DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same",
                             data_format="channels_first", activation="relu"),
     (1, 5, 4, 5, 6)),
])
def test_larger_layers_match_keras(name, config, shape):
    _run_parity(name, config, shape, seed=5)


# ----------------------------------------------------------------------------- float64
@pytest.mark.parametrize("name, config, shape", [
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=2, padding="same", groups=2),
     (2, 7, 6, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal"), (2, 9, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first", padding="valid"),
     (1, 3, 4, 3, 5)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same",
                             output_padding=1), (2, 4, 5, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="valid",
                             data_format="channels_first"), (2, 3, 5)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, dilation_rate=2, padding="same"),
     (1, 3, 3, 2, 2)),
])
@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_float64_matches_numpy_oracle(name, config, shape, activation):
    rng = np.random.default_rng(6)
    layer = getattr(layers, name)(dtype="float64", activation=activation, **config)
    x = rng.standard_normal(shape)
    layer(x)
    layer.set_weights([rng.standard_normal(w.shape) for w in layer.weights])
    kernel, bias = (w.value for w in layer.weights)
    df = config.get("data_format", "channels_last")
    geometry = {"strides": 1, **{k: v for k, v in config.items()
                                 if k not in ("filters", "kernel_size", "groups")}}
    if "Transpose" in name:
        z = ref.conv_transpose(x, kernel, bias=bias, **geometry)
    else:
        z = ref.conv(x, kernel, bias=bias, **geometry)
    dy = rng.standard_normal(z.shape)
    dz = dy * (z > 0) if activation == "relu" else dy
    if "Transpose" in name:
        want_dx, want_dk = ref_grad.conv_transpose_gradients(x, kernel, dz, **geometry)
    else:
        want_dx, want_dk = ref_grad.conv_gradients(x, kernel, dz, **geometry)
    axes = tuple(a for a in range(dz.ndim) if a != (1 if df == "channels_first" else dz.ndim - 1))
    dx, (dk, db) = layer.backward(x, dy)
    assert dx.dtype == dk.dtype == db.dtype == np.float64
    for got, want in ((dx, want_dx), (dk, want_dk), (db, dz.sum(axes))):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


@pytest.mark.parametrize("name, config, shape", [
    ("Conv2D", dict(filters=3, kernel_size=3, strides=(1, 2), padding="same",
                    activation="gelu"), (2, 5, 6, 2)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, activation="softmax"),
     (2, 4, 3)),
    ("Conv3D", dict(filters=2, kernel_size=2, activation="tanh", use_bias=False),
     (1, 3, 3, 3, 2)),
])
def test_float64_matches_central_differences(name, config, shape):
    # d/dh <dy, layer(x + h vx)> with weights + h vw, against the backward pass's dot products
    rng = np.random.default_rng(7)
    layer = getattr(layers, name)(dtype="float64", **config)
    x = rng.standard_normal(shape)
    y = layer(x)
    weights = [rng.standard_normal(w.shape) for w in layer.weights]
    layer.set_weights(weights)
    dy = rng.standard_normal(y.shape)
    vx = rng.standard_normal(x.shape)
    vw = [rng.standard_normal(w.shape) for w in weights]
    h = 1e-5

    def loss(sign):
        layer.set_weights([w + sign * h * v for w, v in zip(weights, vw, strict=True)])
        return np.sum(dy * layer(x + sign * h * vx))

    diff = (loss(1) - loss(-1)) / (2 * h)
    layer.set_weights(weights)
    dx, grads = layer.backward(x, dy)
    pairs = [(dx, vx), *zip(grads, vw, strict=True)]
    got = sum(np.sum(g * v) for g, v in pairs)
    scale = sum(np.sum(np.abs(g * v)) for g, v in pairs)
    assert abs(got - diff) <= 1e-8 * scale


# ----------------------------------------------------------------------------- contract
@pytest.mark.parametrize("name, shape", [("Conv2D", (2, 6, 6, 3)),
                                         ("Conv2DTranspose", (2, 3, 3, 3))])
@pytest.mark.parametrize("bad, error, match", [
    (lambda y: np.ones(y.shape[:-1] + (y.shape[-1] + 1,), np.float32), ValueError, "shape"),
    (lambda y: np.ones(y.shape, np.int32), TypeError, "floating"),
    (lambda y: np.full(y.shape, np.nan, np.float32), ValueError, "NaN"),
])
def test_bad_output_gradient_is_refused(name, shape, bad, error, match):
    layer = getattr(layers, name)(4, 3, padding="same")
    x = np.ones(shape, np.float32)
    with pytest.raises(error, match=match):
        layer.backward(x, bad(layer(x)))


def test_frozen_layer_gives_no_weight_gradients_and_unknown_activation_errors():
    layer = layers.Conv1D(2, 3, activation=np.sin)
    x = np.ones((1, 5, 2), np.float32)
    y = layer(x)
    with pytest.raises(NotImplementedError, match="sin"):
        layer.backward(x, np.ones_like(y))
    layer = layers.Conv1D(2, 3)
    y = layer(x)
    layer.trainable = False
    dx, grads = layer.backward(x, np.ones_like(y))
    assert grads == [] and dx.shape == x.shape


def test_backward_is_bit_identical_across_thread_counts():
    rng = np.random.default_rng(8)
    layer = layers.Conv2D(32, 3, padding="same", activation="silu")
    x = rng.standard_normal((4, 24, 24, 16)).astype(np.float32)
    dy = rng.standard_normal(layer(x).shape).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            dx, grads = layer.backward(x, dy)
            results.append([dx, *grads])
    for other in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(results[0], other, strict=True))


def test_sequential_backward_chains_through_conv_stack():
    rng = np.random.default_rng(9)
    model = models.Sequential([
        layers.Conv2D(6, 3, padding="same", activation="relu"),
        layers.Conv2D(4, 3, strides=2, groups=2, activation="tanh"),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="elu"),
    ])
    x = rng.standard_normal((2, 9, 9, 2)).astype(np.float32)
    y = model(x)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, grads = model.backward(x, dy)
    assert len(grads) == len(model.trainable_weights) == 6
    # by hand, last layer first
    inputs = [x]
    for layer in model.layers[:-1]:
        inputs.append(layer(inputs[-1]))
    g, want = dy, []
    for layer, inp in zip(reversed(model.layers), reversed(inputs), strict=True):
        g, layer_grads = layer.backward(inp, g)
        want = layer_grads + want
    np.testing.assert_array_equal(dx, g)
    for a, b in zip(grads, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # and against Keras
    kmodel = __import__("keras").Sequential(
        [keras_layer(type(layer).__name__, **layer.get_config()) for layer in model.layers])
    kmodel.build(x.shape)
    kmodel.set_weights(model.get_weights())
    _, dx_k, grads_k = keras_gradients(kmodel, x, model.get_weights(), dy)
    assert_close(dx, dx_k, reduction_size=9 * 6 * 3)
    for a, b in zip(grads, grads_k, strict=True):
        assert_close(a, b, reduction_size=2 * 81)
