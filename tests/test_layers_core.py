"""Dense, Activation, Flatten, Reshape and Dropout against Keras 3 (jax): outputs, gradients
(``jax.vjp`` through ``stateless_call``), configs, errors; float64 against NumPy at 1e-12."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convkit import activations, layers, models  # noqa: E402
from tests.support.keras_gradients import close as _close  # noqa: E402
from tests.support.keras_gradients import keras_vjp  # noqa: E402
from tests.support.keras_oracle import assert_close, config_without_name, keras_layer  # noqa: E402

# activations with Keras's defaults and values (glu halves the axis, sparsemax differs from
# Keras 3.15 on purpose, threshold needs arguments)
ACTIVATIONS = sorted(set(activations._BY_NAME) - {"threshold", "glu", "sparsemax"})


def _parity(ours, name, config, x, training=False, seed=0):
    """Same weights in both; compare outputs, input and weight gradients."""
    rng = np.random.default_rng(seed)
    y = ours(x)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, grads = ours.backward(x, dy, training=training)
    y_k, dx_k, grads_k, _ = keras_vjp(keras_layer(name, **config), x, weights, dy, training)
    return y, dx, grads, y_k, dx_k, grads_k


# ------------------------------------------------------------------------------ Dense
@st.composite
def dense_cases(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank - 1)) + \
        (draw(st.integers(1, 6)),)
    config = dict(units=draw(st.integers(1, 5)), use_bias=draw(st.booleans()),
                  activation=draw(st.sampled_from(ACTIVATIONS)))
    return config, shape


# each new shape makes jax compile: a few examples here, the slow sweep has more
@settings(max_examples=6, deadline=None)
@given(case=dense_cases())
def test_dense_matches_keras(case):
    _dense_parity(*case)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(case=dense_cases())
def test_dense_matches_keras_long_sweep(case):
    _dense_parity(*case)


def _dense_parity(config, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ours = layers.Dense(**config)
    _, dx, grads, y_k, dx_k, grads_k = _parity(ours, "Dense", config, x)
    n_in, rows = shape[-1], int(np.prod(shape[:-1]))
    # activations that cancel (tanh_shrink near 0) are as accurate as their input's scale
    _close(ours(x), y_k, n_in)
    _close(dx, dx_k, config["units"])
    assert len(grads) == len(grads_k) == (2 if config["use_bias"] else 1)
    for g, g_k in zip(grads, grads_k, strict=True):
        _close(g, g_k, rows)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *shape[1:-1],
                                                              config["units"])


def test_dense_float64_matches_numpy_at_1e12():
    rng = np.random.default_rng(2)
    layer = layers.Dense(3, activation="tanh", dtype="float64")
    x = rng.standard_normal((2, 4, 5))
    layer(x)
    kernel, bias = rng.standard_normal((5, 3)), rng.standard_normal(3)
    layer.set_weights([kernel, bias])
    z = np.einsum("abi,ij->abj", x, kernel) + bias
    np.testing.assert_allclose(layer(x), np.tanh(z), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal((2, 4, 3))
    dx, (dk, db) = layer.backward(x, dy)
    dz = dy * (1 - np.tanh(z) ** 2)
    assert dx.dtype == dk.dtype == db.dtype == np.float64
    np.testing.assert_allclose(dx, np.einsum("abj,ij->abi", dz, kernel), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dk, np.einsum("abi,abj->ij", x, dz), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, dz.sum((0, 1)), rtol=1e-12, atol=1e-12)


def test_dense_config_weights_and_serialisation_match_keras():
    config = dict(units=3, activation="relu", use_bias=True, kernel_initializer="he_normal",
                  bias_initializer="ones", kernel_regularizer="l2", bias_regularizer="l1",
                  kernel_constraint="max_norm", bias_constraint="non_neg")
    ours, theirs = layers.Dense(**config), keras_layer("Dense", **config)
    ours.build((None, 4))
    theirs.build((None, 4))
    assert config_without_name(ours.get_config()) == config_without_name(theirs.get_config())
    assert [w.path for w in ours.weights] == [f"{ours.name}/kernel", f"{ours.name}/bias"]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    again = layers.deserialize(layers.serialize(ours))
    assert isinstance(again, layers.Dense)
    assert config_without_name(again.get_config()) == config_without_name(ours.get_config())
    assert layers.get("Dense") is layers.Dense


@pytest.mark.parametrize("kwargs, error, match", [
    ({"units": 0}, ValueError, "units"),
    ({"units": -2}, ValueError, "units"),
    ({"units": 2.0}, ValueError, "units"),
    ({"units": True}, ValueError, "units"),
    ({"units": 2, "activation": "nope"}, ValueError, "activation function identifier"),
    ({"units": 2, "kernel_initializer": "nope"}, ValueError, "nope"),
    ({"units": 2, "lora_rank": 4}, NotImplementedError, "lora_rank"),
    ({"units": 2, "bogus": 1}, ValueError, "Unrecognized keyword"),
])
def test_dense_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.Dense(**kwargs)


def test_dense_bad_inputs():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="min_ndim=2"):
        layer(np.ones(3))
    with pytest.raises(ValueError, match="non-zero last input axis"):
        layers.Dense(2)(np.ones((2, 0)))
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match="expected axis -1"):
        layer(np.ones((1, 4)))
    with pytest.raises(TypeError):
        layer(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        layer.backward(np.ones((1, 3)), np.full((1, 2), np.nan))
    with pytest.raises(NotImplementedError, match="gradient"):
        layers.Dense(2, activation=lambda z: z * 2).backward(np.ones((1, 3)), np.ones((1, 2)))


# ------------------------------------------------------------------------------ Activation
@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(ACTIVATIONS), shape=st.lists(st.integers(1, 4), min_size=1,
                                                          max_size=4))
def test_activation_matches_keras(name, shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32) * 2
    ours = layers.Activation(name)
    _, dx, grads, y_k, dx_k, grads_k = _parity(ours, "Activation", {"activation": name}, x)
    assert grads == grads_k == []
    assert_close(ours(x), y_k, reduction_size=shape[-1])
    # dy is of unit scale: a derivative that cancels (softmax's y·(dy − Σ y·dy), near 0
    # when the terms agree) is only as accurate as those unit-scale terms
    _close(dx, dx_k, shape[-1], floor=1.0)
    assert ours.get_config()["activation"] == keras_layer("Activation",
                                                          activation=name).get_config()[
        "activation"]


def test_activation_callable_errors_and_float64():
    layer = layers.Activation(lambda v: v * 3, dtype="float64")
    assert layer(np.ones((2, 2))).dtype == np.float64
    with pytest.raises(NotImplementedError):
        layer.backward(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="activation function identifier"):
        layers.Activation("no_such_activation")
    with pytest.raises(ValueError, match="activation function identifier"):
        layers.Activation(3)
    x = np.random.default_rng(4).standard_normal((3, 5))
    sig = layers.Activation("sigmoid", dtype="float64")
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(sig(x), s, rtol=1e-12)
    np.testing.assert_allclose(sig.backward(x, np.ones_like(x))[0], s * (1 - s), rtol=1e-12)


# ------------------------------------------------------------------------------ Flatten
@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=5),
       data_format=st.sampled_from(["channels_last", "channels_first"]))
def test_flatten_matches_keras(shape, data_format):
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    ours = layers.Flatten(data_format=data_format)
    y, dx, _, y_k, dx_k, _ = _parity(ours, "Flatten", {"data_format": data_format}, x)
    np.testing.assert_array_equal(y, y_k)
    np.testing.assert_array_equal(dx, dx_k)
    assert ours.compute_output_shape(tuple(shape)) == y_k.shape
    assert config_without_name(ours.get_config()) == config_without_name(
        keras_layer("Flatten", data_format=data_format).get_config())


def test_flatten_float64_order_and_errors():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    layer = layers.Flatten(data_format="channels_first", dtype="float64")
    y = layer(x)
    np.testing.assert_array_equal(y, x.transpose(0, 2, 3, 1).reshape(2, 12))
    np.testing.assert_array_equal(layer.backward(x, y)[0], x)
    assert layers.Flatten().compute_output_shape((None, 3, None)) == (None, None)
    assert layers.Flatten()(np.zeros((0, 2, 3))).shape == (0, 6)
    with pytest.raises(ValueError, match="data_format"):
        layers.Flatten(data_format="channels_middle")
    with pytest.raises(ValueError, match="min_ndim=1"):
        layers.Flatten().compute_output_shape(())


# ------------------------------------------------------------------------------ Reshape
@st.composite
def reshape_cases(draw):
    dims = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    batch = draw(st.integers(1, 3))
    target = list(draw(st.permutations(dims)))
    if len(target) > 1 and draw(st.booleans()):  # merge two axes
        target = [target[0] * target[1], *target[2:]]
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return (batch, *dims), tuple(target)


@settings(max_examples=10, deadline=None)
@given(case=reshape_cases())
def test_reshape_matches_keras(case):
    shape, target = case
    x = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    ours = layers.Reshape(target)
    y, dx, _, y_k, dx_k, _ = _parity(ours, "Reshape", {"target_shape": target}, x)
    np.testing.assert_array_equal(y, y_k)
    np.testing.assert_array_equal(dx, dx_k)
    assert ours.compute_output_shape(shape) == y_k.shape
    assert config_without_name(ours.get_config()) == config_without_name(
        keras_layer("Reshape", target_shape=target).get_config())


@pytest.mark.parametrize("target, error, match", [
    ((-1, -1), ValueError, "at most one unknown"),
    ((-2, 3), ValueError, "non-negative integer"),
    ((2.5,), TypeError, "must be an int"),
    (5, TypeError, "tuple or list"),
])
def test_reshape_bad_target_shape(target, error, match):
    with pytest.raises(error, match=match):
        layers.Reshape(target)


def test_reshape_impossible_shapes_and_unknown_sizes():
    with pytest.raises(ValueError, match="total size of the tensor must be unchanged"):
        layers.Reshape((5,))(np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="cannot by divided"):
        layers.Reshape((-1, 5))(np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="cannot by divided"):
        layers.Reshape((0, -1))(np.ones((2, 2, 3)))
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((3, -1)).compute_output_shape((None, 2, 3)) == (None, 3, 2)
    x = np.arange(12.0).reshape(2, 6)
    layer = layers.Reshape((3, 2), dtype="float64")
    np.testing.assert_array_equal(layer(x), x.reshape(2, 3, 2))
    np.testing.assert_array_equal(layer.backward(x, x.reshape(2, 3, 2))[0], x)


# ------------------------------------------------------------------------------ Dropout
def test_dropout_rate_zero_and_inference_are_identity_like_keras():
    x = np.random.default_rng(7).standard_normal((3, 4, 5)).astype(np.float32)
    for rate, training in ((0.0, True), (0.5, False), (0.5, None)):
        layer = layers.Dropout(rate)
        y = layer(x, training=training)
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(layer.backward(x, x, training=bool(training))[0], x)
        np.testing.assert_array_equal(
            np.asarray(keras_layer("Dropout", rate=rate)(x, training=training)), x)


@pytest.mark.parametrize("noise_shape", [None, (None, 1, None), (1, 1, 40)])
def test_dropout_statistics_scaling_and_exact_backward(noise_shape):
    rate = 0.3
    layer = layers.Dropout(rate, noise_shape=noise_shape, seed=11)
    x = np.random.default_rng(8).uniform(1, 2, (50, 30, 40)).astype(np.float32)
    y, context = layer._forward_with_context(x, True)
    kept = y != 0
    # kept entries are x / (1 - rate) in float32, as Keras computes them
    np.testing.assert_array_equal(y[kept], x[kept] / np.float32(1 - rate))
    mask_size = int(np.prod([n if d is None else d for d, n in
                             zip(noise_shape or (None,) * 3, x.shape)]))
    # the kept fraction is within 5 binomial standard deviations of 1 - rate
    sd = np.sqrt(rate * (1 - rate) / mask_size)
    assert abs(kept.mean() - (1 - rate)) < 5 * sd + 1e-12
    if noise_shape is not None:  # broadcast axes share one draw
        for axis, d in enumerate(noise_shape):
            if d == 1:
                assert (kept == kept.take([0], axis=axis)).all()
    dy = np.random.default_rng(9).standard_normal(x.shape).astype(np.float32)
    dx, grads = layer._gradients(context, dy)
    assert grads == []
    np.testing.assert_array_equal(dx, np.where(kept, dy / np.float32(1 - rate), 0))
    # a seed repeats the masks; the generator moves on between calls
    again = layers.Dropout(rate, noise_shape=noise_shape, seed=11)
    np.testing.assert_array_equal(again(x, training=True), y)
    assert not np.array_equal(again(x, training=True), y)


def test_dropout_rate_one_config_and_errors():
    x = np.ones((2, 3), np.float32)
    layer = layers.Dropout(1.0)  # Keras 3.15 accepts rate=1: everything dropped
    np.testing.assert_array_equal(layer(x, training=True), np.zeros_like(x))
    np.testing.assert_array_equal(np.asarray(keras_layer("Dropout", rate=1.0)(x, training=True)),
                                  np.zeros_like(x))
    config = dict(rate=0.25, noise_shape=(None, 1), seed=3)
    assert config_without_name(layers.Dropout(**config).get_config()) == \
        config_without_name(keras_layer("Dropout", **config).get_config())
    for kwargs, error, match in [
            ({"rate": 1.5}, ValueError, "between 0 and 1"),
            ({"rate": -0.1}, ValueError, "between 0 and 1"),
            ({"rate": float("nan")}, ValueError, "between 0 and 1"),
            ({"rate": "0.5"}, TypeError, "rate"),
            ({"rate": 0.5, "noise_shape": "ab"}, ValueError, "noise_shape"),
            ({"rate": 0.5, "noise_shape": (0, 1)}, ValueError, "positive"),
            ({"rate": 0.5, "noise_shape": (1.5,)}, ValueError, "integers or None"),
            ({"rate": 0.5, "seed": -1}, ValueError, "seed")]:
        with pytest.raises(error, match=match):
            layers.Dropout(**kwargs)
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=(None, 1, 1))(x, training=True)
    with pytest.raises(ValueError, match="broadcast"):
        layers.Dropout(0.5, noise_shape=(2, 2))(x, training=True)
    with pytest.raises(TypeError, match="training"):
        layers.Dropout(0.5)(x, training="yes")


def test_unseeded_dropout_is_repeatable_after_set_random_seed():
    # Without a seed the masks come from convkit's global generator (as Keras's come from its
    # global seed), so set_random_seed makes a whole fit with dropout repeatable.
    from convkit import utils

    x = np.random.default_rng(2).standard_normal((64, 6, 6, 1)).astype(np.float32)
    y = np.arange(64) % 3

    def train():
        utils.set_random_seed(4)
        model = models.Sequential([layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                                   layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
        model.build((None, 6, 6, 1))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return history.history["loss"], model.get_weights()

    (loss_a, weights_a), (loss_b, weights_b) = train(), train()
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    utils.set_random_seed(4)
    first = layers.Dropout(0.5)(x, training=True)
    utils.set_random_seed(4)
    np.testing.assert_array_equal(layers.Dropout(0.5)(x, training=True), first)
    assert not np.array_equal(layers.Dropout(0.5)(x, training=True), first)


def test_dropout_float64_and_sequential_passes_training():
    x = np.ones((4, 100))
    model = models.Sequential([layers.Dropout(0.5, seed=1, dtype="float64")])
    np.testing.assert_array_equal(model(x), x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    y = model(x, training=True)
    assert y.dtype == np.float64 and set(np.unique(y)) == {0.0, 2.0}


def test_pickled_layers_compute_the_same_and_dropout_keeps_its_generator_position():
    import pickle

    x = np.random.default_rng(10).standard_normal((4, 6)).astype(np.float32)
    for layer in (layers.Dense(3, activation="relu"), layers.Activation("tanh"),
                  layers.Flatten(), layers.Reshape((3, 2))):
        y = layer(x)
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(layer))(x), y)
    drop = layers.Dropout(0.5, seed=5)
    drop(x, training=True)  # move the generator on
    copy = pickle.loads(pickle.dumps(drop))
    np.testing.assert_array_equal(copy(x, training=True), drop(x, training=True))
