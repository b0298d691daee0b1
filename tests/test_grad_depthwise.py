"""Backward pass of DepthwiseConv1D/2D and SeparableConv1D/2D: parity with Keras 3 on jax
(``jax.vjp`` through ``stateless_call`` with the same weights), float64 against the NumPy
oracle and central differences, output-gradient checks, thread-count independence, and
``fit`` of a model holding both layers against Keras's fit."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convkit  # noqa: E402
from convkit import layers  # noqa: E402
from tests.support import reference_depthwise as ref  # noqa: E402
from tests.support import training_cases as tc  # noqa: E402
from tests.support.keras_oracle import keras_layer, reduction_rtol  # noqa: E402
from tests.test_grad_conv import ACTIVATIONS, keras_gradients  # noqa: E402


@st.composite
def layer_cases(draw, separable):
    rank = draw(st.integers(1, 2))
    ks = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(rank))
    # Keras's depthwise and separable layers take strides > 1 together with dilation > 1
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.sampled_from([1, 2])) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"]))
    if padding == "valid":
        assume(all(n >= (k - 1) * d + 1 for n, k, d in zip(spatial, ks, dilation, strict=True)))
    config = dict(kernel_size=ks, strides=strides, padding=padding, dilation_rate=dilation,
                  depth_multiplier=draw(st.integers(1, 3)),
                  data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                  activation=draw(st.sampled_from(ACTIVATIONS)),
                  use_bias=draw(st.booleans()))
    if separable:
        config["filters"] = draw(st.sampled_from([1, 3, 5]))
    channels, batch = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    shape = ((batch, channels, *spatial) if config["data_format"] == "channels_first"
             else (batch, *spatial, channels))
    return f"{'Separable' if separable else 'Depthwise'}Conv{rank}D", config, shape


def _close(got, want, reduction_size, floor):
    rtol = reduction_rtol(reduction_size)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=rtol,
                               atol=rtol * max(float(np.abs(want).max()), floor, 1e-6))


def _run_parity(name, config, shape, seed):
    rng = np.random.default_rng(seed)
    ours = getattr(layers, name)(**config)
    x = rng.standard_normal(shape).astype(np.float32)
    y = ours(x)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, grads = ours.backward(x, dy)
    _, dx_k, grads_k = keras_gradients(keras_layer(name, **config), x, weights, dy)
    assert len(grads) == len(grads_k) == len(ours.trainable_weights)
    taps = int(np.prod(config["kernel_size"]))
    m, f = config.get("depth_multiplier", 1), config.get("filters", 1)
    positions = dy.size // dy.shape[1 if config.get("data_format") == "channels_first" else -1]
    # sums that cancel are only as accurate as their terms: floor the scale at a term's size
    dz = float(np.abs(dy).max())
    w_max = max(float(np.abs(w).max()) for w in weights)
    _close(dx, dx_k, taps * m * f, floor=dz * w_max ** 2 * taps * m * f)
    x_max = float(np.abs(x).max())
    floors = [x_max * dz * w_max * f, x_max * dz * w_max * taps, dz][:len(grads)]
    if "filters" not in config:
        floors = [x_max * dz, dz]
    for g, g_k, floor in zip(grads, grads_k, floors, strict=False):
        _close(g, g_k, positions * taps * f, floor=floor)


# each new shape makes jax compile its ops: the quick subset keeps a few examples per run
@settings(max_examples=6)
@given(case=layer_cases(separable=False))
def test_depthwise_layers_match_keras(case):
    _run_parity(*case, seed=1)


@settings(max_examples=6)
@given(case=layer_cases(separable=True))
def test_separable_layers_match_keras(case):
    _run_parity(*case, seed=2)


@pytest.mark.slow
@settings(max_examples=150)
@given(case=layer_cases(separable=False), separable_case=layer_cases(separable=True))
def test_layers_match_keras_long_sweep(case, separable_case):
    _run_parity(*case, seed=3)
    _run_parity(*separable_case, seed=4)


@pytest.mark.parametrize("name, config, shape", [
    # batch 1, one channel, a kernel larger than the input under "same"
    ("DepthwiseConv2D", dict(kernel_size=(5, 4), padding="same", activation="relu"),
     (1, 2, 3, 1)),
    ("SeparableConv1D", dict(filters=2, kernel_size=6, padding="same", depth_multiplier=3),
     (1, 1, 1)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2,
                             activation="relu6"), (2, 20, 18, 24)),
    ("SeparableConv2D", dict(filters=32, kernel_size=3, padding="same", activation="relu",
                             data_format="channels_first"), (2, 16, 15, 14)),
])
def test_edge_and_larger_layers_match_keras(name, config, shape):
    _run_parity(name, config, shape, seed=5)


# ----------------------------------------------------------------------------- float64
@pytest.mark.parametrize("name, config, shape", [
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), strides=2, padding="same",
                             depth_multiplier=2), (2, 7, 6, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, dilation_rate=2, strides=2,
                             data_format="channels_first"), (2, 2, 9)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, dilation_rate=(2, 1), padding="same",
                             depth_multiplier=2, data_format="channels_first"), (2, 2, 6, 5)),
    ("SeparableConv1D", dict(filters=4, kernel_size=4, strides=3), (1, 11, 3)),
])
@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_float64_matches_numpy_oracle(name, config, shape, activation):
    rng = np.random.default_rng(6)
    layer = getattr(layers, name)(dtype="float64", activation=activation, **config)
    x = rng.standard_normal(shape)
    layer(x)
    layer.set_weights([rng.standard_normal(w.shape) for w in layer.weights])
    values = [w.value for w in layer.weights]
    geometry = {k: v for k, v in config.items()
                if k in ("strides", "padding", "data_format", "dilation_rate")}
    df = config.get("data_format", "channels_last")
    if name.startswith("Separable"):
        z = ref.separable_conv(x, *values[:2], bias=values[2], **geometry)
    else:
        z = ref.depthwise_conv(x, values[0], bias=values[1], **geometry)
    dy = rng.standard_normal(z.shape)
    dz = dy * (z > 0) if activation == "relu" else dy
    if name.startswith("Separable"):
        want = list(ref.separable_gradients(x, *values[:2], dz, **geometry))
    else:
        want = list(ref.depthwise_gradients(x, values[0], dz, **geometry))
    axes = tuple(a for a in range(dz.ndim) if a != (1 if df == "channels_first" else dz.ndim - 1))
    want.append(dz.sum(axes))
    dx, grads = layer.backward(x, dy)
    assert len(grads) == len(want) - 1
    for got, expected in zip([dx, *grads], want, strict=True):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("name, config, shape", [
    ("DepthwiseConv2D", dict(kernel_size=3, strides=(1, 2), padding="same", depth_multiplier=2,
                             activation="gelu"), (2, 5, 6, 2)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, activation="softmax",
                             dilation_rate=2), (2, 8, 3)),
    ("SeparableConv2D", dict(filters=2, kernel_size=2, activation="tanh", use_bias=False,
                             data_format="channels_first"), (1, 3, 4, 3)),
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
@pytest.mark.parametrize("layer", [layers.DepthwiseConv2D(3, padding="same"),
                                   layers.SeparableConv1D(4, 3, depth_multiplier=2)])
@pytest.mark.parametrize("bad, error, match", [
    (lambda y: np.ones(y.shape[:-1] + (y.shape[-1] + 1,), np.float32), ValueError, "shape"),
    (lambda y: np.ones(y.shape, np.int32), TypeError, "floating"),
    (lambda y: np.full(y.shape, np.nan, np.float32), ValueError, "NaN"),
])
def test_bad_output_gradient_is_refused(layer, bad, error, match):
    x = np.ones((2, 6, 6, 3) if layer.rank == 2 else (2, 6, 3), np.float32)
    with pytest.raises(error, match=match):
        layer.backward(x, bad(layer(x)))


def test_weight_gradients_follow_trainable_weights():
    x = np.ones((1, 5, 5, 2), np.float32)
    sep = layers.SeparableConv2D(3, 3, depth_multiplier=2)
    sep(x)
    dx, grads = sep.backward(x, np.ones(sep(x).shape, np.float32))
    assert [g.shape for g in grads] == [w.shape for w in sep.trainable_weights] \
        == [(3, 3, 2, 2), (1, 1, 4, 3), (3,)]
    dw = layers.DepthwiseConv2D(3, use_bias=False)
    dw(x)
    dw.trainable = False
    dx, grads = dw.backward(x, np.ones(dw(x).shape, np.float32))
    assert grads == [] and dx.shape == x.shape


@pytest.mark.parametrize("name, config", [
    ("DepthwiseConv2D", dict(kernel_size=3, padding="same", depth_multiplier=2,
                             activation="silu")),
    ("SeparableConv2D", dict(filters=16, kernel_size=3, strides=2, activation="relu")),
    # stride 1, one multiplier: the flipped-convolution input gradient; bias sums fused
    ("DepthwiseConv2D", dict(kernel_size=3, padding="same")),
    ("SeparableConv2D", dict(filters=37, kernel_size=3, padding="same")),
])
def test_backward_is_bit_identical_across_thread_counts(name, config):
    rng = np.random.default_rng(8)
    layer = getattr(layers, name)(**config)
    x = rng.standard_normal((4, 30, 28, 16)).astype(np.float32)
    dy = rng.standard_normal(layer(x).shape).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            dx, grads = layer.backward(x, dy)
            results.append([dx, *grads])
    for other in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(results[0], other, strict=True))


# ----------------------------------------------------------------------------- fit
@pytest.mark.parametrize("opt, keras_init", [("adam", True), ("sgd", False)])
def test_fit_matches_keras(opt, keras_init):
    h_ours, h_keras, w_ours, w_keras = tc.fit_both("depthwise_separable", opt, epochs=3,
                                                   keras_init=keras_init,
                                                   validation_split=0.25)
    assert list(h_ours) == sorted(h_keras)
    for key, values in h_keras.items():
        np.testing.assert_allclose(h_ours[key], values, rtol=1e-5, err_msg=key)
    for ours, theirs in zip(w_ours, w_keras, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
