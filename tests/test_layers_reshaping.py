"""Cropping, ZeroPadding and UpSampling layers against Keras 3: outputs, shapes, configs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convkit import layers
from tests.support.keras_oracle import assert_close, config_without_name, keras_layer, run_keras

FORMATS = ("channels_last", "channels_first")


def _input(rng, rank, data_format, batch, channels, spatial, dtype=np.float32):
    shape = (batch, *spatial, channels) if data_format == "channels_last" else \
        (batch, channels, *spatial)
    if rank == 1 and data_format == "channels_first":
        shape = (batch, channels, *spatial)
    return rng.standard_normal(shape).astype(dtype)


def _pairs_arg(draw, rank, max_amount=3):
    form = draw(st.sampled_from(["int", "symmetric", "pairs"]))
    if form == "int":
        return draw(st.integers(0, max_amount))
    if form == "symmetric":
        return tuple(draw(st.integers(0, max_amount)) for _ in range(rank))
    return tuple((draw(st.integers(0, max_amount)), draw(st.integers(0, max_amount)))
                 for _ in range(rank))


@st.composite
def reshaping_case(draw):
    kind = draw(st.sampled_from(["Cropping", "ZeroPadding", "UpSampling"]))
    rank = draw(st.integers(1, 3))
    data_format = draw(st.sampled_from(FORMATS))
    kwargs = {}
    if kind == "Cropping":
        if rank == 1:
            kwargs["cropping"] = draw(st.one_of(
                st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3))))
        else:
            kwargs["cropping"] = _pairs_arg(draw, rank)
    elif kind == "ZeroPadding":
        if rank == 1:
            kwargs["padding"] = draw(st.one_of(
                st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3))))
        else:
            kwargs["padding"] = _pairs_arg(draw, rank)
    else:
        if rank == 1:
            kwargs["size"] = draw(st.integers(1, 3))
        else:
            kwargs["size"] = draw(st.one_of(st.integers(1, 3),
                                            st.tuples(*[st.integers(1, 3)] * rank)))
        if rank == 2:
            kwargs["interpolation"] = draw(st.sampled_from(
                ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"]))
    if rank > 1 or kind == "ZeroPadding":
        kwargs["data_format"] = data_format
    else:
        data_format = "channels_last"
    batch = draw(st.integers(1, 2))
    channels = draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(rank))
    if kind == "Cropping":  # keep the result non-empty: Keras and convkit both refuse that
        crop = kwargs["cropping"]
        pairs = layers.Cropping1D(crop).cropping if rank == 1 else None
        amounts = [sum(pairs)] if rank == 1 else \
            [sum(p) for p in getattr(layers, f"Cropping{rank}D")(crop).cropping]
        spatial = tuple(max(n, a + 1) for n, a in zip(spatial, amounts))
    return kind, rank, kwargs, data_format, batch, channels, spatial


@given(reshaping_case(), st.integers(0, 2**31 - 1))
def test_matches_keras(case, seed):
    kind, rank, kwargs, data_format, batch, channels, spatial = case
    name = f"{kind}{rank}D"
    x = _input(np.random.default_rng(seed), rank, data_format, batch, channels, spatial)
    ours = getattr(layers, name)(**kwargs)
    theirs = keras_layer(name, **kwargs)
    expected = run_keras(theirs, x)
    got = ours(x)
    assert got.dtype == np.float32
    assert got.flags.c_contiguous and not np.shares_memory(got, x)
    if kwargs.get("interpolation", "nearest") == "nearest":
        np.testing.assert_array_equal(got, expected)
    else:
        assert_close(got, expected, reduction_size=100)
    in_shape = (None, *x.shape[1:])
    assert tuple(ours.compute_output_shape(in_shape)) == \
        tuple(theirs.compute_output_shape(in_shape))
    assert config_without_name(ours.get_config()) == config_without_name(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    np.testing.assert_array_equal(clone(x), got)


def test_seed_example_output_shape():
    from convkit.models import Sequential

    model = Sequential()
    model.add(layers.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
    assert model.output_shape == (None, 24, 20, 3)


def test_defaults():
    assert layers.Cropping2D().cropping == ((0, 0), (0, 0))
    assert layers.Cropping3D().cropping == ((1, 1), (1, 1), (1, 1))
    assert layers.Cropping1D().cropping == (1, 1)
    assert layers.ZeroPadding1D().padding == (1, 1)
    assert layers.ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert layers.ZeroPadding3D().padding == ((1, 1), (1, 1), (1, 1))
    assert layers.UpSampling1D().size == 2
    assert layers.UpSampling2D().size == (2, 2)
    assert layers.UpSampling2D().interpolation == "nearest"
    assert layers.UpSampling3D().size == (2, 2, 2)
    x = np.arange(2 * 5 * 5 * 1, dtype=np.float32).reshape(2, 5, 5, 1)
    np.testing.assert_array_equal(layers.Cropping2D()(x), x)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.int64, np.int8])
@pytest.mark.parametrize("name,kwargs", [
    ("Cropping2D", {"cropping": 1}), ("ZeroPadding2D", {"padding": 2}),
    ("UpSampling2D", {"size": (2, 3)}), ("ZeroPadding1D", {"padding": (0, 2)}),
    ("Cropping3D", {}), ("UpSampling3D", {"size": 2}), ("UpSampling1D", {"size": 3}),
])
def test_integer_dtypes_kept_like_keras(dtype, name, kwargs):
    rank = int(name[-2])
    rng = np.random.default_rng(0)
    x = (rng.integers(0, 2 if dtype is np.bool_ else 100, size=(2, *(4,) * rank, 3))
         .astype(dtype))
    got = getattr(layers, name)(**kwargs)(x)
    expected = run_keras(keras_layer(name, **kwargs), x)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_floats_cast_to_layer_dtype(dtype):
    x = np.ones((1, 3, 3, 2), dtype=dtype)
    assert layers.ZeroPadding2D()(x).dtype == np.float32
    assert layers.ZeroPadding2D(dtype="float64")(x).dtype == np.float64


def test_ramp_and_impulse_examples():
    ramp = np.arange(1.0, 5.0).reshape(1, 1, 4, 1)
    up = layers.UpSampling2D((1, 2), interpolation="bilinear", dtype="float64")(ramp)[0, 0, :, 0]
    np.testing.assert_allclose(up, [1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4], atol=1e-12)
    up3 = layers.UpSampling2D((1, 3), interpolation="bilinear", dtype="float64")(ramp)
    np.testing.assert_allclose(up3[0, 0, :3, 0], [1, 1, 4 / 3], atol=1e-12)
    bicubic = layers.UpSampling2D((1, 2), interpolation="bicubic", dtype="float64")(ramp)
    np.testing.assert_allclose(bicubic[0, 0, :, 0], [0.91176, 1.16788, 1.70992, 2.25, 2.75,
                                                      3.29008, 3.83212, 4.08824], atol=1e-5)
    lanczos = layers.UpSampling2D((1, 2), interpolation="lanczos3", dtype="float64")(ramp)
    np.testing.assert_allclose(lanczos[0, 0, :, 0], [0.90749, 1.14246, 1.6756, 2.27874,
                                                      2.72126, 3.3244, 3.85755, 4.09251],
                               atol=1e-5)
    impulse = np.array([0, 0, 1, 0, 0], dtype=np.float64).reshape(1, 1, 5, 1)
    got = layers.UpSampling2D((1, 2), interpolation="bicubic", dtype="float64")(impulse)
    np.testing.assert_allclose(got[0, 0, :, 0], [0, -0.0219, -0.0687, 0.22656, 0.86719,
                                                 0.86719, 0.22656, -0.0687, -0.0219, 0],
                               atol=1e-4)
    nearest = layers.UpSampling1D(2)(np.array([[[1.0], [2.0]]]))
    np.testing.assert_array_equal(nearest[0, :, 0], [1, 1, 2, 2])


def test_size_one_axis_upsamples_to_constant():
    x = np.full((1, 1, 1, 2), 3.5, np.float32)
    for mode in ("bilinear", "bicubic", "lanczos3", "lanczos5"):
        np.testing.assert_allclose(layers.UpSampling2D(3, interpolation=mode)(x), 3.5,
                                   rtol=1e-6)


def test_zero_after_crop_keeps_the_end():
    x = np.arange(6.0).reshape(1, 6, 1)
    np.testing.assert_array_equal(layers.Cropping1D((2, 0))(x)[0, :, 0], [2, 3, 4, 5])


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Cropping2D(-1), "cannot be negative"),
    (lambda: layers.Cropping2D((1, 2, 3)), "should have two elements"),
    (lambda: layers.Cropping3D((1, 2)), "should have 3 elements"),
    (lambda: layers.Cropping2D(None), "`cropping` should be either an int"),
    (lambda: layers.Cropping2D(1.5), "`cropping` should be either an int"),
    (lambda: layers.Cropping2D(((1, -1), 0)), "1st entry of cropping"),
    (lambda: layers.Cropping1D(-1), "`cropping` argument must be a tuple of 2 integers"),
    (lambda: layers.ZeroPadding2D(-1), "cannot be negative"),
    (lambda: layers.ZeroPadding3D(-2), "cannot be negative"),
    (lambda: layers.ZeroPadding2D((1, (2, -1))), "2nd entry of padding"),
    (lambda: layers.ZeroPadding2D((1.0, 1)), "1st entry of padding"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), "should have two elements"),
    (lambda: layers.UpSampling1D(0), "should be a positive integer"),
    (lambda: layers.UpSampling2D((2, 0)), "must be a tuple of 2 integers"),
    (lambda: layers.UpSampling2D(2.0), "must be a tuple of 2 integers"),
    (lambda: layers.UpSampling2D("22"), "must be a tuple of 2 integers"),
    (lambda: layers.UpSampling2D(interpolation="area"), "Received: interpolation=area"),
    (lambda: layers.UpSampling2D(interpolation=None), "interpolation"),
    (lambda: layers.UpSampling3D(interpolation="bilinear"), "Unrecognized keyword"),
    (lambda: layers.Cropping1D(data_format="channels_last"), "Unrecognized keyword"),
    (lambda: layers.ZeroPadding2D(data_format="NCHW"), "`data_format` argument must be"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("value", [np.int64(2), 2.0, True, (2,)])
def test_upsampling1d_size_must_be_python_int(value):
    with pytest.raises(TypeError, match="Expected an integer value for `size`"):
        layers.UpSampling1D(value)


def test_numpy_integers_accepted_and_converted():
    layer = layers.ZeroPadding2D((np.int64(1), np.int32(2)))
    assert layer.padding == ((1, 1), (2, 2))
    assert all(type(v) is int for pair in layer.get_config()["padding"] for v in pair)


def test_data_format_is_frozen_at_construction():
    import convkit

    convkit.config.set_image_data_format("channels_first")
    try:
        layer = layers.ZeroPadding2D(1)
    finally:
        convkit.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert layer(np.ones((1, 2, 3, 3))).shape == (1, 2, 5, 5)


@pytest.mark.parametrize("layer,x,match", [
    (layers.Cropping2D(2), np.ones((1, 4, 8, 1)), "should be smaller than"),
    (layers.Cropping1D((2, 2)), np.ones((1, 4, 1)), "must be smaller than the input length"),
    (layers.ZeroPadding2D(), np.ones((4, 4, 1)), "expected ndim=4, found ndim=3"),
    (layers.UpSampling3D(), np.ones((1, 4, 4, 1)), "expected ndim=5, found ndim=4"),
])
def test_call_errors(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer(x)


def test_compute_output_shape_checks_cropping():
    with pytest.raises(ValueError, match="should be smaller than"):
        layers.Cropping2D(((2, 2), (0, 0))).compute_output_shape((None, 4, 9, 3))
    assert layers.Cropping2D(((2, 1), (0, 0))).compute_output_shape((None, 4, None, 3)) == \
        (None, 1, None, 3)


@pytest.mark.parametrize("bad", [np.array([[["a"]]]), np.ones((1, 2, 2, 1), complex),
                                 np.array([[[[object()]]]])])
def test_non_numeric_inputs_are_type_errors(bad):
    with pytest.raises(TypeError):
        layers.ZeroPadding2D()(bad)


def test_non_numeric_upsampling_interpolation_on_ints_is_type_error():
    with pytest.raises(TypeError, match="needs floating inputs"):
        layers.UpSampling2D(interpolation="bilinear")(np.ones((1, 2, 2, 1), np.int32))


def test_non_contiguous_read_only_and_nan_inputs():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    strided = base[:, ::2, 1:]
    strided.flags.writeable = False
    expected = np.pad(np.ascontiguousarray(strided), ((0, 0), (1, 1), (2, 2), (0, 0)))
    np.testing.assert_array_equal(layers.ZeroPadding2D((1, 2))(strided), expected)
    nan = np.ones((1, 3, 3, 1), np.float32)
    nan[0, 1, 1, 0] = np.nan
    assert np.isnan(layers.UpSampling2D(2)(nan)).sum() == 4
    assert np.isnan(layers.UpSampling2D(2, interpolation="bilinear")(nan)).any()
