"""BatchNormalization against Keras 3 (jax): outputs, gradients and the new moving statistics
in training and inference (``jax.vjp`` through ``stateless_call``), weights and config,
errors; float64 against NumPy at 1e-12; moving statistics updated by ``fit`` and committed
with the optimizer's step."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convkit import layers, models  # noqa: E402
from tests.support.keras_gradients import close as _close  # noqa: E402
from tests.support.keras_gradients import keras_vjp  # noqa: E402
from tests.support.keras_oracle import config_without_name, keras_layer  # noqa: E402


@st.composite
def bn_cases(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    axis = draw(st.integers(-rank, rank - 1))
    config = dict(axis=axis, momentum=draw(st.sampled_from([0.0, 0.5, 0.99])),
                  epsilon=draw(st.sampled_from([1e-3, 0.1])), center=draw(st.booleans()),
                  scale=draw(st.booleans()))
    return config, shape, draw(st.booleans())


def _bn_parity(config, shape, training, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    ours = layers.BatchNormalization(**config)
    ours.build(shape)
    weights = []
    for w in ours.weights:  # positive variances; gamma and beta anything
        value = rng.standard_normal(w.shape)
        weights.append((np.abs(value) + 0.5 if w.name == "moving_variance" else value)
                       .astype(np.float32))
    ours.set_weights(weights)
    y_ref, context = ours._forward_with_context(x, training)
    dy = rng.standard_normal(shape).astype(np.float32)
    dx, grads = ours._gradients(context, dy)
    y_k, dx_k, grads_k, frozen_k = keras_vjp(
        keras_layer("BatchNormalization", **config), x, weights, dy, training)
    n = x.size // x.shape[config["axis"]]
    _close(y_ref, y_k, n)
    _close(dx, dx_k, n)
    assert len(grads) == len(grads_k) == config["center"] + config["scale"]
    for g, g_k in zip(grads, grads_k, strict=True):
        _close(g, g_k, n)
    # the new moving statistics: Keras returns them from stateless_call; ours wait in the
    # context, and a direct call assigns them
    updates = context.saved["state_updates"]
    assert len(updates) == (2 if training else 0)
    frozen_now = [v.numpy() for v in ours.non_trainable_weights]
    for (variable, value), k_value in zip(updates, frozen_k, strict=False):
        assert variable in ours.non_trainable_weights
        _close(value, k_value, n)
    np.testing.assert_array_equal(frozen_now, weights[-2:])  # not assigned yet
    ours(x, training=training)
    for v, k_value in zip(ours.non_trainable_weights, frozen_k, strict=True):
        _close(v.numpy(), k_value, n)


@settings(max_examples=12, deadline=None)
@given(case=bn_cases())
def test_batch_normalization_matches_keras(case):
    _bn_parity(*case)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(case=bn_cases())
def test_batch_normalization_matches_keras_long_sweep(case):
    _bn_parity(*case, seed=3)


@pytest.mark.parametrize("training", [True, False])
def test_float64_matches_numpy_at_1e12(training):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5)) * 3 + 2
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, dtype="float64")
    layer.build(x.shape)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    mm, mv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    layer.set_weights([gamma, beta, mm, mv])
    dy = rng.standard_normal(x.shape)
    dx, (dgamma, dbeta) = layer.backward(x, dy, training=training)
    b = (slice(None), None)  # broadcast a per-channel vector over (4, 5)
    if training:
        mean, var = x.mean((0, 2)), x.var((0, 2))
    else:
        mean, var = mm, mv
    xhat = (x - mean[b]) / np.sqrt(var[b] + 0.01)
    np.testing.assert_allclose(layer._forward_with_context(x, training)[0],
                               xhat * gamma[b] + beta[b], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dgamma, (dy * xhat).sum((0, 2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dbeta, dy.sum((0, 2)), rtol=1e-12, atol=1e-12)
    g = gamma[b] / np.sqrt(var[b] + 0.01)
    if training:  # the textbook batch-norm input gradient
        n = 15
        want = g * (dy - dy.sum((0, 2))[b] / n - xhat * (dy * xhat).sum((0, 2))[b] / n)
    else:
        want = dy * g
    np.testing.assert_allclose(dx, want, rtol=1e-12, atol=1e-12)
    assert dx.dtype == np.float64
    layer(x, training=training)
    new_mm, new_mv = layer.get_weights()[2:]
    if training:
        np.testing.assert_allclose(new_mm, mm * 0.9 + mean * (1 - 0.9), rtol=1e-12)
        np.testing.assert_allclose(new_mv, mv * 0.9 + var * (1 - 0.9), rtol=1e-12)
    else:
        np.testing.assert_array_equal(new_mm, mm)
        np.testing.assert_array_equal(new_mv, mv)


def test_float64_gradient_matches_central_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    layer.set_weights([rng.standard_normal(3), rng.standard_normal(3), np.zeros(3), np.ones(3)])
    w = rng.standard_normal(x.shape)
    dx, _ = layer.backward(x, w, training=True)
    h = 1e-6
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        up = (layer._forward_with_context(x + step, True)[0] * w).sum()
        down = (layer._forward_with_context(x - step, True)[0] * w).sum()
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)


def test_weights_order_names_config_like_keras():
    config = dict(axis=1, momentum=0.9, epsilon=0.01, gamma_initializer="glorot_uniform",
                  beta_regularizer="l2", gamma_constraint="non_neg",
                  moving_variance_initializer="ones")
    ours, theirs = layers.BatchNormalization(**config), keras_layer("BatchNormalization",
                                                                    **config)
    ours.build((None, 3, 5))
    theirs.build((None, 3, 5))
    assert config_without_name(ours.get_config()) == config_without_name(theirs.get_config())
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == \
        ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in ours.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in ours.non_trainable_weights] == ["moving_mean", "moving_variance"]
    bare = layers.BatchNormalization(center=False, scale=False)
    bare.build((None, 2))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]
    assert bare.backward(np.ones((2, 2)), np.ones((2, 2)), training=True)[1] == []
    again = layers.deserialize(layers.serialize(ours))
    assert config_without_name(again.get_config()) == config_without_name(ours.get_config())


def test_frozen_layer_runs_in_inference_mode_and_keeps_its_statistics():
    x = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    layer = layers.BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    before = layer.get_weights()
    np.testing.assert_array_equal(layer(x, training=True), layer(x, training=False))
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert layer.backward(x, np.ones_like(x), training=True)[1] == []


@pytest.mark.parametrize("kwargs, error, match", [
    ({"axis": [1]}, TypeError, "axis"),
    ({"axis": 1.5}, TypeError, "axis"),
    ({"momentum": "high"}, TypeError, "momentum"),
    ({"epsilon": float("nan")}, ValueError, "epsilon"),
    ({"synchronized": True}, ValueError, "synchronized"),
    ({"renorm": True}, NotImplementedError, "renorm"),
    ({"beta_initializer": "nope"}, ValueError, "nope"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.BatchNormalization(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="out of bounds"):
        layers.BatchNormalization(axis=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.BatchNormalization(axis=-3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-zero size"):
        layers.BatchNormalization()(np.ones((2, 0)))
    layer = layers.BatchNormalization(axis=1)
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected axis 1"):
        layer(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="empty batch"):
        layer(np.ones((0, 3, 4)), training=True)
    assert layer(np.ones((0, 3, 4))).shape == (0, 3, 4)  # inference on no rows is fine
    with pytest.raises(ValueError, match="NaN or infinite"):
        layer.backward(np.ones((2, 3, 4)), np.full((2, 3, 4), np.inf), training=True)


def test_sequential_direct_call_updates_statistics_and_backward_does_not():
    x = np.random.default_rng(4).standard_normal((6, 2)).astype(np.float32)
    model = models.Sequential([layers.BatchNormalization(momentum=0.5, input_shape=(2,))])
    bn = model.layers[0]
    model.backward(x, np.ones_like(x), training=True)  # pure: statistics unchanged
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(2))
    model(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0) * 0.5, rtol=1e-6)
    before = bn.moving_mean.numpy()
    model.predict(x, verbose=0)
    model(x)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
