"""Pooling layers against Keras 3 on jax: forward and ``jax.vjp`` gradients (ties included),
configs, shapes, errors, aliases, (de)serialisation and ``.keras`` files both ways."""

import json
from types import SimpleNamespace

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convkit import layers, models
from tests.support.keras_oracle import assert_close, config_without_name, keras
from tests.support.saving_cases import assert_same_outputs

WINDOW = ["MaxPooling", "AveragePooling"]
GLOBAL = ["GlobalMaxPooling", "GlobalAveragePooling"]
FORMATS = ["channels_last", "channels_first"]


def keras_forward_backward(klayer, x, dy):
    """``(y, dx)`` of a weightless Keras layer on jax, the gradient through ``jax.vjp``."""
    klayer.build(x.shape)

    def forward(inputs):
        return klayer.stateless_call([], [], inputs)[0]

    y, vjp = jax.vjp(forward, x)
    (dx,) = vjp(dy)
    return np.asarray(y), np.asarray(dx)


@st.composite
def window_layer_cases(draw):
    rank = draw(st.integers(1, 3))
    pool = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3) for _ in range(rank)])))
    padding = draw(st.sampled_from(["valid", "same"]))
    spatial = tuple(draw(st.integers(1, 4 if rank == 3 else 7)) for _ in range(rank))
    if padding == "valid":
        spatial = tuple(max(n, k) for n, k in zip(spatial, pool))
    fmt = draw(st.sampled_from(FORMATS))
    batch, chans = draw(st.integers(1, 2)), draw(st.sampled_from([1, 3]))
    shape = (batch, *spatial, chans) if fmt == "channels_last" else (batch, chans, *spatial)
    return dict(name=f"{draw(st.sampled_from(WINDOW))}{rank}D", shape=shape,
                config=dict(pool_size=pool, strides=strides, padding=padding, data_format=fmt),
                dtype=draw(st.sampled_from(["float32", "float64"])),
                ties=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def _check_against_keras(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    x = (rng.integers(0, 3, case["shape"]) if case["ties"]
         else rng.standard_normal(case["shape"])).astype(dtype)
    layer = getattr(layers, case["name"])(dtype=dtype, **case["config"])
    klayer = getattr(keras.layers, case["name"])(dtype=dtype, **case["config"])
    y = layer(x)
    dy = rng.standard_normal(y.shape).astype(dtype)
    with jax.enable_x64(dtype == "float64"):
        ky, kdx = keras_forward_backward(klayer, x, dy)
    assert y.dtype == dtype and ky.dtype == dtype
    window = int(np.prod(case["config"]["pool_size"]))
    assert_close(y, ky, window, dtype)
    dx, weight_grads = layer.backward(x, dy)
    assert weight_grads == [] and dx.dtype == dtype
    # max: exact routing; average: a sum of up to window-many shares per input
    assert_close(dx, kdx, window, dtype)
    assert layer.compute_output_shape(x.shape) == tuple(klayer.compute_output_shape(x.shape))


@settings(max_examples=25)
@given(case=window_layer_cases())
def test_window_pooling_matches_keras(case):
    _check_against_keras(case)


@pytest.mark.slow
@settings(max_examples=300)
@given(case=window_layer_cases())
def test_window_pooling_matches_keras_sweep(case):
    _check_against_keras(case)


@pytest.mark.parametrize("name", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_inputs_full_of_ties_route_like_jax(name, fmt):
    # every value equal, overlapping windows of every kind: the gradients must match exactly
    x = np.ones((1, 7, 6, 2) if fmt == "channels_last" else (1, 2, 7, 6), np.float64)
    for pool, strides, padding in (((3, 3), (1, 1), "same"), ((3, 2), (2, 1), "same"),
                                   ((2, 2), (1, 1), "valid"), ((4, 4), (2, 3), "same")):
        config = dict(pool_size=pool, strides=strides, padding=padding, data_format=fmt)
        layer = getattr(layers, name)(dtype="float64", **config)
        y = layer(x)
        dy = np.random.default_rng(0).standard_normal(y.shape)
        with jax.enable_x64(True):
            ky, kdx = keras_forward_backward(
                getattr(keras.layers, name)(dtype="float64", **config), x, dy)
        np.testing.assert_array_equal(y, ky)
        np.testing.assert_allclose(layer.backward(x, dy)[0], kdx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", GLOBAL)
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_keras(kind, rank, fmt, keepdims):
    name = f"{kind}{rank}D"
    rng = np.random.default_rng(rank)
    spatial = (4, 3, 2)[:rank]
    shape = (2, *spatial, 3) if fmt == "channels_last" else (2, 3, *spatial)
    for dtype in ("float32", "float64"):
        for ties in (False, True):
            x = (rng.integers(0, 2, shape) if ties else rng.standard_normal(shape)).astype(dtype)
            config = dict(data_format=fmt, keepdims=keepdims)
            layer = getattr(layers, name)(dtype=dtype, **config)
            klayer = getattr(keras.layers, name)(dtype=dtype, **config)
            y = layer(x)
            dy = rng.standard_normal(y.shape).astype(dtype)
            with jax.enable_x64(dtype == "float64"):
                ky, kdx = keras_forward_backward(klayer, x, dy)
            # Keras's mean picks its compute dtype from the global x64 flag, not the scoped
            # one, so under enable_x64 it still sums in float32: float32 tolerance there
            # (test_ops_pooling checks float64 against the NumPy oracle at 1e-12)
            tol_dtype = "float32" if kind == "GlobalAveragePooling" else dtype
            assert_close(y, ky, int(np.prod(spatial)), tol_dtype)
            assert_close(layer.backward(x, dy)[0], kdx, int(np.prod(spatial)), tol_dtype)
            assert layer.compute_output_shape(shape) == \
                tuple(klayer.compute_output_shape(shape))


ALL_NAMES = [f"{kind}{rank}D" for kind in WINDOW + GLOBAL for rank in (1, 2, 3)]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_default_config_matches_keras(name):
    args = (2,) if name.startswith("AveragePooling") else ()  # its pool_size is required
    ours = getattr(layers, name)(*args).get_config()
    theirs = getattr(keras.layers, name)(*args).get_config()
    assert json.dumps(config_without_name(ours)) == json.dumps(config_without_name(theirs))
    rebuilt = getattr(layers, name).from_config(ours)
    assert rebuilt.get_config() == ours
    assert type(layers.deserialize(layers.serialize(rebuilt))) is getattr(layers, name)
    assert layers.get(name) is getattr(layers, name)


@pytest.mark.parametrize("name, kwargs", [
    ("MaxPooling2D", dict(pool_size=(3, 2), strides=1, padding="same",
                          data_format="channels_first")),
    ("AveragePooling1D", dict(pool_size=3, strides=(2,), padding="valid")),
    ("MaxPooling3D", dict(pool_size=2, strides=(1, 2, 3))),
    ("GlobalAveragePooling2D", dict(keepdims=True, data_format="channels_first")),
])
def test_config_with_arguments_matches_keras(name, kwargs):
    ours = getattr(layers, name)(name="p", **kwargs).get_config()
    theirs = getattr(keras.layers, name)(name="p", **kwargs).get_config()
    assert json.dumps(ours) == json.dumps(theirs)


def test_aliases_are_the_keras_aliases():
    for short, long in (("MaxPool", "MaxPooling"), ("AvgPool", "AveragePooling"),
                        ("GlobalMaxPool", "GlobalMaxPooling"),
                        ("GlobalAvgPool", "GlobalAveragePooling")):
        for rank in (1, 2, 3):
            assert getattr(layers, f"{short}{rank}D") is getattr(layers, f"{long}{rank}D")
            assert getattr(keras.layers, f"{short}{rank}D") is \
                getattr(keras.layers, f"{long}{rank}D")
            assert f"{short}{rank}D" in layers.__all__


def test_padding_is_lower_cased_and_strides_default_to_pool_size():
    layer = layers.MaxPool2D((3, 2), padding="SAME")
    assert layer.padding == "same" and layer.strides == (3, 2)
    assert layers.AvgPool1D(np.int64(3)).pool_size == (3,)


@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.MaxPooling2D(0), ValueError, "pool_size"),
    (lambda: layers.MaxPooling2D(-1), ValueError, "pool_size"),
    (lambda: layers.MaxPooling2D((2, 0)), ValueError, "pool_size"),
    (lambda: layers.MaxPooling2D(2.0), ValueError, "pool_size"),
    (lambda: layers.AveragePooling1D((2, 2)), ValueError, "pool_size"),
    (lambda: layers.AveragePooling3D(2, strides=0), ValueError, "strides"),
    (lambda: layers.AveragePooling2D(2, strides=(1, -1)), ValueError, "strides"),
    (lambda: layers.MaxPooling1D(padding="full"), ValueError, "padding"),
    (lambda: layers.MaxPooling1D(padding=None), ValueError, "padding"),
    (lambda: layers.MaxPooling1D(data_format="NHWC"), ValueError, "data_format"),
    (lambda: layers.GlobalMaxPooling2D(data_format="x"), ValueError, "data_format"),
    (lambda: layers.GlobalAveragePooling1D(keepdims=1), TypeError, "keepdims"),
    (lambda: layers.MaxPooling2D(2, bogus=1), ValueError, "Unrecognized"),
    (lambda: layers.AveragePooling2D(), TypeError, "pool_size"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_wrong_rank_is_a_value_error(name):
    args = (1,) if name.startswith("AveragePooling") else ()
    layer = getattr(layers, name)(*args)
    rank = int(name[-2])
    for ndim in (rank + 1, rank + 3):
        with pytest.raises(ValueError, match=f"expected ndim={rank + 2}"):
            layer(np.ones((1,) * ndim))
        with pytest.raises(ValueError, match=f"expected ndim={rank + 2}"):
            layer.compute_output_shape((1,) * ndim)


def test_window_larger_than_input_valid_is_a_value_error_same_is_not():
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(5)(np.ones((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(5).compute_output_shape((None, 4, 4, 1))
    assert layers.AveragePooling2D(5, padding="same")(np.ones((1, 4, 4, 1))).shape == (1, 1, 1, 1)
    assert layers.MaxPooling2D(5).compute_output_shape((None, None, 6, 1)) == (None, None, 1, 1)


def test_backward_contract_errors_and_training_is_ignored():
    layer = layers.MaxPooling1D(2)
    x = np.arange(8.0).reshape(1, 4, 2)
    with pytest.raises(ValueError, match="shape of the layer's output"):
        layer.backward(x, np.ones((1, 3, 2)))
    with pytest.raises(ValueError, match="finite"):
        layer.backward(x, np.full((1, 2, 2), np.nan))
    with pytest.raises(TypeError, match="floating"):
        layer.backward(x, np.ones((1, 2, 2), dtype=np.int32))
    dx1, _ = layer.backward(x, np.ones((1, 2, 2)), training=True)
    dx2, _ = layer.backward(x, np.ones((1, 2, 2)), training=False)
    np.testing.assert_array_equal(dx1, dx2)
    np.testing.assert_array_equal(layer(x, training=True), layer(x, training=False))
    assert layer.weights == [] and layer.count_params() == 0


def test_global_average_pooling1d_takes_no_mask():
    # Keras averages over unmasked steps; convkit has no masking, so it refuses the argument
    with pytest.raises(TypeError):
        layers.GlobalAveragePooling1D()(np.ones((1, 3, 2)), mask=np.ones((1, 3), bool))


def test_channel_count_may_change_between_calls():
    layer = layers.AveragePooling2D(2)
    assert layer(np.ones((1, 4, 4, 3))).shape == (1, 2, 2, 3)
    assert layer(np.ones((2, 6, 4, 5))).shape == (2, 3, 2, 5)


def _pooling_model(fmt):
    shape = (8, 8, 2) if fmt == "channels_last" else (2, 8, 8)
    return models.Sequential([
        layers.Conv2D(4, 3, padding="same", data_format=fmt, input_shape=shape, name="c"),
        layers.MaxPool2D(2, data_format=fmt, name="mp"),
        layers.AveragePooling2D(3, strides=1, padding="same", data_format=fmt, name="ap"),
        layers.GlobalMaxPooling2D(data_format=fmt, keepdims=True, name="gmp"),
        layers.GlobalAvgPool2D(data_format=fmt, name="gap"),
    ], name="pool_model")


@pytest.mark.parametrize("fmt", FORMATS)
def test_model_with_pooling_layers_goes_both_ways_through_keras_files(tmp_path, fmt):
    model = _pooling_model(fmt)
    x = np.random.default_rng(0).standard_normal((2, *model.layers[0].input_shape[1:]))
    x = x.astype(np.float32)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ck.keras")
    k_model = keras.models.load_model(tmp_path / "ck.keras")
    assert json.loads(json.dumps(k_model.get_config())) == \
        json.loads(json.dumps(model.get_config()))
    assert_same_outputs(k_model(x), expected)
    k_model.save(tmp_path / "k.keras")
    loaded = models.load_model(tmp_path / "k.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == \
        ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",
         "GlobalAveragePooling2D"]
    assert_same_outputs(loaded.predict(x, verbose=0), np.asarray(k_model(x)))


def test_model_backward_through_pooling_matches_keras():
    # the training contract end to end: conv -> max pool -> average pool -> global pooling,
    # gradients for the inputs and the conv weights against jax.vjp of the same Keras model
    def build(lib):
        return lib.Sequential([
            lib.layers.Conv2D(3, 3, padding="same", input_shape=(9, 8, 2), name="c"),
            lib.layers.MaxPool2D(3, 2, padding="same", name="mp"),
            lib.layers.AvgPool2D(2, strides=1, name="ap"),
            lib.layers.GlobalMaxPooling2D(name="g")], name="m")

    model = build(SimpleNamespace(Sequential=models.Sequential, layers=layers))
    kmodel = build(keras)
    kmodel.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 8, 2)).astype(np.float32)
    dy = rng.standard_normal((2, 3)).astype(np.float32)
    dx, grads = model.backward(x, dy)
    trainable = [v.value for v in kmodel.trainable_variables]

    def forward(tv, inputs):
        return kmodel.stateless_call(tv, [], inputs)[0]

    ky, vjp = jax.vjp(forward, trainable, x)
    kgrads, kdx = vjp(dy)
    assert_close(model.predict(x, verbose=0), ky, 18)
    assert_close(dx, kdx, 18)
    for g, kg in zip(grads, kgrads, strict=True):
        assert_close(g, kg, 18 * 8)



@pytest.mark.parametrize("name,kwargs,shape", [
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 3)),
    ("AveragePooling1D", dict(pool_size=2, data_format="channels_first"), (1, 2, 5)),
    ("GlobalAveragePooling2D", dict(keepdims=True), (2, 4, 5, 3)),
    ("GlobalAveragePooling3D", dict(), (1, 2, 3, 4, 2))])
def test_average_backward_needs_no_forward_pass(name, kwargs, shape, monkeypatch):
    # an average's gradient depends on the input's shape only: backward(x, dy) skips the
    # forward pass, and gives the gradient a training step's context gives
    rng = np.random.default_rng(5)
    layer = getattr(layers, name)(**kwargs)
    x = rng.standard_normal(shape).astype(np.float32)
    y, context = layer._forward_with_context(layer._prepare_inputs(x), False)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    want, _ = layer._gradients(context, dy)

    def no_forward(*args, **kwargs):
        raise AssertionError("backward ran the forward pass")
    monkeypatch.setattr(layer, "call", no_forward)
    got, grads = layer.backward(x, dy)
    assert grads == [] and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="shape of the layer's output"):
        layer.backward(x, dy[..., None])
    with pytest.raises(ValueError, match="NaN or infinite"):
        layer.backward(x, np.full_like(dy, np.nan))


def test_average_backward_still_refuses_an_impossible_window():
    layer = layers.AveragePooling2D(3)
    with pytest.raises(ValueError, match="zero or negative"):
        layer.backward(np.ones((1, 2, 2, 1), np.float32), np.ones((1, 1, 1, 1), np.float32))
