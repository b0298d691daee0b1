"""convkit.ops.zero_pad / crop / upsample against the NumPy oracle, Keras 3 and edge cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import ops
from convkit.ops.resample import INTERPOLATIONS
from tests.support import reference_resample as ref

EXACT_DTYPES = ["bool", "int8", "uint8", "uint16", "int32", "int64", "uint64", "float16",
                "float32", "float64"]
MODES = [m for m in INTERPOLATIONS if m != "nearest"]
RADIUS = {"bilinear": 1, "bicubic": 2, "lanczos3": 3, "lanczos5": 5}


def make_array(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def batched_shape(batch, spatial, chans, data_format):
    if data_format == "channels_first":
        return (batch, chans, *spatial)
    return (batch, *spatial, chans)


def assert_new_contiguous(y, x):
    assert isinstance(y, np.ndarray)
    assert y.flags.c_contiguous
    assert not np.shares_memory(y, x)


# ---------------------------------------------------------------------------------------------
# hypothesis strategies

@st.composite
def layouts(draw, min_size=0, max_size=7):
    rank = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(min_size, max_size), min_size=rank,
                                  max_size=rank)))
    chans = draw(st.sampled_from([1, 2, 3, 4, 5, 16, 17]))
    batch = draw(st.integers(1, 3))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    seed = draw(st.integers(0, 2**31))
    return rank, spatial, chans, batch, data_format, seed


@st.composite
def pad_cases(draw):
    rank, spatial, chans, batch, data_format, seed = draw(layouts())
    pairs = [(draw(st.integers(0, 4)), draw(st.integers(0, 4))) for _ in range(rank)]
    return spatial, chans, batch, data_format, seed, pairs


@st.composite
def crop_cases(draw):
    rank, spatial, chans, batch, data_format, seed = draw(layouts(min_size=1, max_size=9))
    pairs = []
    for s in spatial:
        before = draw(st.integers(0, s - 1))
        pairs.append((before, draw(st.integers(0, s - 1 - before))))
    return spatial, chans, batch, data_format, seed, pairs


@st.composite
def upsample_cases(draw, min_size=0, max_size=6):
    rank, spatial, chans, batch, data_format, seed = draw(layouts(min_size, max_size))
    factors = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    return spatial, chans, batch, data_format, seed, factors


# ---------------------------------------------------------------------------------------------
# exact ops vs the oracle, every dtype

@given(case=pad_cases(), dtype=st.sampled_from(EXACT_DTYPES))
def test_zero_pad_matches_oracle(case, dtype):
    spatial, chans, batch, data_format, seed, pairs = case
    x = make_array(batched_shape(batch, spatial, chans, data_format), dtype, seed)
    y = ops.zero_pad(x, pairs, data_format=data_format)
    expected = ref.zero_pad(x, pairs, data_format)
    assert y.dtype == x.dtype and y.shape == expected.shape
    np.testing.assert_array_equal(y, expected, strict=True)
    assert_new_contiguous(y, x)


@given(case=crop_cases(), dtype=st.sampled_from(EXACT_DTYPES))
def test_crop_matches_oracle(case, dtype):
    spatial, chans, batch, data_format, seed, pairs = case
    x = make_array(batched_shape(batch, spatial, chans, data_format), dtype, seed)
    y = ops.crop(x, pairs, data_format=data_format)
    expected = ref.crop(x, pairs, data_format)
    np.testing.assert_array_equal(y, expected, strict=True)
    assert_new_contiguous(y, x)


@given(case=upsample_cases(), dtype=st.sampled_from(EXACT_DTYPES))
def test_upsample_nearest_matches_oracle(case, dtype):
    spatial, chans, batch, data_format, seed, factors = case
    x = make_array(batched_shape(batch, spatial, chans, data_format), dtype, seed)
    y = ops.upsample(x, factors, data_format=data_format)
    np.testing.assert_array_equal(y, ref.upsample_nearest(x, factors, data_format),
                                  strict=True)
    assert_new_contiguous(y, x)


def test_wide_pixels_use_block_copies():
    # C * itemsize = 64, 128 and 192 bytes take the 64-byte block path; 12 the generic one
    for chans, dtype in [(16, np.float32), (16, np.float64), (24, np.float64), (3, np.float32)]:
        x = make_array((2, 3, 5, chans), dtype, chans)
        np.testing.assert_array_equal(ops.upsample(x, (2, 3)), ref.upsample_nearest(x, (2, 3)))


@pytest.mark.parametrize("threads", [1, 2])
def test_outputs_beyond_the_caches_stream_exactly(threads):
    # crop and pad outputs of 16 MiB and more are written with streaming stores: rows of
    # 5-byte pixels start at every alignment, so the unaligned head and tail paths are exercised
    rng = np.random.default_rng(3)
    x = rng.integers(0, 255, (2, 700, 2801, 5), dtype=np.uint8)
    with convkit.num_threads(threads):
        y = ops.crop(x, ((1, 2), (3, 4)))
        np.testing.assert_array_equal(y, x[:, 1:-2, 3:-4], strict=True)
        f = rng.standard_normal((4, 300, 300, 16)).astype(np.float32)
        z = ops.zero_pad(f, ((1, 0), (2, 1)))
    assert y.nbytes >= 1 << 24 and z.nbytes >= 1 << 24
    np.testing.assert_array_equal(z, np.pad(f, ((0, 0), (1, 0), (2, 1), (0, 0))), strict=True)


def test_nearest_outputs_beyond_the_caches_are_exact_for_any_thread_count():
    # outputs of 16 MiB and more (the size the suite's memory cases write): 5-byte pixels (rows
    # at every alignment), 256-byte pixels (the block path), and a 3-D case repeating along D
    # and H; the same bytes for 1, 2 and 3 threads
    rng = np.random.default_rng(8)
    cases = [(rng.integers(0, 255, (2, 300, 1400, 5), dtype=np.uint8), (2, 2)),
             (rng.standard_normal((1, 128, 128, 64), dtype=np.float32), (2, 2)),
             (rng.standard_normal((1, 8, 64, 64, 16), dtype=np.float32), (2, 2, 2))]
    for x, factors in cases:
        want = ref.upsample_nearest(x, factors)
        assert want.nbytes >= 1 << 24
        for threads in (1, 2, 3):
            with convkit.num_threads(threads):
                np.testing.assert_array_equal(ops.upsample(x, factors), want, strict=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolated_outputs_beyond_the_caches_give_the_same_bits(dtype):
    # outputs of 16 MiB and more: the same bits as the first image alone (rows are computed
    # per image, whatever the size), for 1, 2 and 3 threads
    x = np.random.default_rng(10).standard_normal((4 if dtype == np.float32 else 2, 64, 64, 64))
    x = x.astype(dtype)
    small = ops.upsample(x[:1], 2, interpolation="bilinear")
    assert small.nbytes < 1 << 24
    for threads in (1, 2, 3):
        with convkit.num_threads(threads):
            y = ops.upsample(x, 2, interpolation="bilinear")
        assert y.nbytes >= 1 << 24
        np.testing.assert_array_equal(y[:1], small, strict=True)
        if threads == 1:
            first = y
        np.testing.assert_array_equal(y, first, strict=True)


# ---------------------------------------------------------------------------------------------
# interpolation vs the oracle (float32 and float64, any rank)

def _taps(factors, mode):
    return int(np.prod([1 if f == 1 else 2 * RADIUS[mode] for f in factors]))


@given(case=upsample_cases(min_size=1), mode=st.sampled_from(MODES))
def test_interpolation_matches_oracle_float64(case, mode):
    spatial, chans, batch, data_format, seed, factors = case
    x = make_array(batched_shape(batch, spatial, chans, data_format), np.float64, seed)
    y = ops.upsample(x, factors, data_format=data_format, interpolation=mode)
    assert y.dtype == np.float64
    expected = ref.upsample_interp(x, factors, mode, data_format)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-13 * _taps(factors, mode))
    assert_new_contiguous(y, x)


@given(case=upsample_cases(min_size=1), mode=st.sampled_from(MODES))
def test_interpolation_matches_oracle_float32(case, mode):
    spatial, chans, batch, data_format, seed, factors = case
    x = make_array(batched_shape(batch, spatial, chans, data_format), np.float32, seed)
    y = ops.upsample(x, factors, data_format=data_format, interpolation=mode)
    assert y.dtype == np.float32
    expected = ref.upsample_interp(x, factors, mode, data_format)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6 * _taps(factors, mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chans", [1, 3, 16])
def test_interpolation_long_rows_all_factors(mode, chans):
    # rows long enough for the kernel's by-phase W path (few channels) and its border pixels
    for factor in (1, 2, 3, 4, 5):
        for data_format in ("channels_first", "channels_last"):
            x = make_array(batched_shape(2, (3, 41), chans, data_format), np.float64, factor)
            y = ops.upsample(x, (2, factor), data_format, interpolation=mode)
            expected = ref.upsample_interp(x, (2, factor), mode, data_format)
            np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    x = make_array((1, 300, 1), np.float32, 0)                   # 1-D, channels_first-like
    np.testing.assert_allclose(ops.upsample(x, 3, interpolation=mode),
                               ref.upsample_interp(x, (3,), mode), rtol=1e-5, atol=1e-5)


RAMP_EXPECTED = {
    "bilinear": [1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4],
    "bicubic": [0.91176, 1.16788, 1.70992, 2.25, 2.75, 3.29008, 3.83212, 4.08824],
    "lanczos3": [0.90749, 1.14246, 1.6756, 2.27874, 2.72126, 3.3244, 3.85755, 4.09251],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", sorted(RAMP_EXPECTED))
def test_ramp_parity_numbers(mode, dtype):
    x = np.arange(1, 5, dtype=dtype).reshape(1, 4, 1)
    y = ops.upsample(x, 2, interpolation=mode)[0, :, 0]
    np.testing.assert_allclose(y, RAMP_EXPECTED[mode], atol=1e-5)
    # the same along H and along W of a 2-D image
    img = x.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(ops.upsample(img, (2, 1), interpolation=mode)[0, :, 0, 0],
                               RAMP_EXPECTED[mode], atol=1e-5)


def test_ramp_times_three_bilinear():
    y = ops.upsample(np.arange(1.0, 5.0).reshape(1, 4, 1), 3, interpolation="bilinear")
    expected = np.interp((np.arange(12) + 0.5) / 3 - 0.5, np.arange(4), np.arange(1.0, 5.0))
    np.testing.assert_allclose(y[0, :, 0], expected, atol=1e-12)
    np.testing.assert_allclose(y[0, :4, 0], [1, 1, 4 / 3, 5 / 3], atol=1e-12)


def test_impulse_bicubic():
    x = np.array([0, 0, 1, 0, 0], dtype=np.float32).reshape(1, 5, 1)
    y = ops.upsample(x, 2, interpolation="bicubic")[0, :, 0]
    np.testing.assert_allclose(y, [0, -0.0219, -0.0687, 0.22656, 0.86719, 0.86719, 0.22656,
                                   -0.0687, -0.0219, 0], atol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_size_one_axis_is_constant(mode):
    x = np.array([[[[2.5, -1.0]]]], dtype=np.float32)   # (1, 1, 1, 2)
    y = ops.upsample(x, (3, 4), interpolation=mode)
    assert y.shape == (1, 3, 4, 2)
    np.testing.assert_array_equal(y[..., 0], 2.5)
    np.testing.assert_array_equal(y[..., 1], -1.0)


def test_factor_one_axis_is_untouched():
    x = make_array((2, 5, 6, 3), np.float64, 7)
    y = ops.upsample(x, (1, 2), interpolation="lanczos5")
    np.testing.assert_array_equal(y[:, :, ::2].shape, x.shape)
    np.testing.assert_allclose(y, ref.upsample_interp(x, (1, 2), "lanczos5"), rtol=1e-12,
                               atol=1e-13)
    z = ops.upsample(x, (1, 1), interpolation="bicubic")
    np.testing.assert_array_equal(z, x)


def test_float16_computes_in_float32():
    x = make_array((1, 4, 5, 3), np.float16, 3)
    y = ops.upsample(x, 2, interpolation="bicubic")
    assert y.dtype == np.float16
    y32 = ops.upsample(x.astype(np.float32), 2, interpolation="bicubic")
    np.testing.assert_array_equal(y, y32.astype(np.float16))


# ---------------------------------------------------------------------------------------------
# Keras 3 layers (jax backend), float32

import keras  # noqa: E402  (the test extra installs it; KERAS_BACKEND set above)

_ORACLE_SETTINGS = settings(max_examples=12)


def _to_cf(x):  # channels_last -> channels_first
    return np.moveaxis(x, -1, 1)


def _keras_call(layer_cls, arg, x, data_format, has_data_format=True, **kw):
    """Run a Keras layer; layers without ``data_format`` get channels_first via transposes."""
    if has_data_format:
        return np.asarray(layer_cls(arg, data_format=data_format, **kw)(x))
    if data_format == "channels_first":
        return _to_cf(np.asarray(layer_cls(arg, **kw)(np.moveaxis(x, 1, -1))))
    return np.asarray(layer_cls(arg, **kw)(x))


@_ORACLE_SETTINGS
@given(case=pad_cases())
def test_zero_pad_matches_keras(case):
    spatial, chans, batch, data_format, seed, pairs = case
    rank = len(spatial)
    x = make_array(batched_shape(batch, spatial, chans, data_format), np.float32, seed)
    layer = {1: keras.layers.ZeroPadding1D, 2: keras.layers.ZeroPadding2D,
             3: keras.layers.ZeroPadding3D}[rank]
    arg = tuple(pairs[0]) if rank == 1 else tuple(tuple(p) for p in pairs)
    expected = _keras_call(layer, arg, x, data_format)
    np.testing.assert_array_equal(ops.zero_pad(x, pairs, data_format), expected)


@_ORACLE_SETTINGS
@given(case=crop_cases())
def test_crop_matches_keras(case):
    spatial, chans, batch, data_format, seed, pairs = case
    rank = len(spatial)
    x = make_array(batched_shape(batch, spatial, chans, data_format), np.float32, seed)
    layer = {1: keras.layers.Cropping1D, 2: keras.layers.Cropping2D,
             3: keras.layers.Cropping3D}[rank]
    arg = tuple(pairs[0]) if rank == 1 else tuple(tuple(p) for p in pairs)
    expected = _keras_call(layer, arg, x, data_format, has_data_format=rank > 1)
    np.testing.assert_array_equal(ops.crop(x, pairs, data_format), expected)


@_ORACLE_SETTINGS
@given(case=upsample_cases(min_size=1))
def test_upsample_nearest_matches_keras(case):
    spatial, chans, batch, data_format, seed, factors = case
    rank = len(spatial)
    x = make_array(batched_shape(batch, spatial, chans, data_format), np.float32, seed)
    layer = {1: keras.layers.UpSampling1D, 2: keras.layers.UpSampling2D,
             3: keras.layers.UpSampling3D}[rank]
    arg = factors[0] if rank == 1 else factors
    expected = _keras_call(layer, arg, x, data_format, has_data_format=rank > 1)
    np.testing.assert_array_equal(ops.upsample(x, factors, data_format), expected)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("mode", INTERPOLATIONS)
def test_upsampling2d_interpolation_matches_keras(mode, data_format):
    cases = [((2, 5, 7, 3), (2, 3)), ((1, 1, 6, 2), (3, 1)), ((1, 9, 4, 1), (4, 2)),
             ((3, 2, 2, 16), (1, 1)), ((1, 3, 1, 2), (2, 5))]
    for i, (shape, size) in enumerate(cases):
        x = make_array(shape, np.float32, i)
        if data_format == "channels_first":
            x = np.ascontiguousarray(_to_cf(x))
        layer = keras.layers.UpSampling2D(size, data_format=data_format, interpolation=mode)
        expected = np.asarray(layer(x))
        y = ops.upsample(x, size, data_format=data_format, interpolation=mode)
        taps = 1 if mode == "nearest" else _taps(size, mode)
        np.testing.assert_allclose(y, expected, rtol=1e-5 * taps, atol=1e-6 * taps)


@pytest.mark.parametrize("mode", MODES)
def test_1d_and_3d_interpolation_match_jax_resize(mode):
    import jax.image as jax_image
    method = {"bilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
    for shape, size in [((2, 7, 3), (3,)), ((1, 3, 4, 5, 2), (2, 1, 3))]:
        x = make_array(shape, np.float32, 1)
        out_shape = (shape[0], *[s * f for s, f in zip(shape[1:-1], size, strict=True)],
                     shape[-1])
        expected = np.asarray(jax_image.resize(x, out_shape, method=method, antialias=False))
        y = ops.upsample(x, size, interpolation=mode)
        taps = _taps(size, mode)
        np.testing.assert_allclose(y, expected, rtol=1e-5 * taps, atol=1e-6 * taps)


# ---------------------------------------------------------------------------------------------
# bad arguments: every error names the argument

@pytest.mark.parametrize("padding, match", [
    ([(1, 1)], "inputs"),                       # rank 1 for 4-D input
    ([(1, -1), (0, 0)], "padding"),
    ([(1.5, 1), (0, 0)], "padding"),
    ([(1, 1), "ab"], "padding"),
    ([(1, 1, 1), (0, 0)], "padding"),
    (1, "padding"),
    ("same", "padding"),
    ([(0, 0)] * 4, "padding"),
])
def test_zero_pad_bad_padding(padding, match):
    with pytest.raises(ValueError, match=match):
        ops.zero_pad(np.zeros((1, 3, 3, 1)), padding)


def test_crop_too_large_names_axis_size_and_cropping():
    x = np.zeros((2, 4, 6, 3))
    with pytest.raises(ValueError, match=r"cropping.*axis W has length 6.*\(3, 3\)"):
        ops.crop(x, [(1, 1), (3, 3)])
    with pytest.raises(ValueError, match=r"axis H has length 4"):
        ops.crop(x, [(4, 0), (0, 0)])
    with pytest.raises(ValueError, match="axis W has length 3"):  # channels_first: (4, 6, 3)
        ops.crop(x, [(0, 0), (2, 1)], data_format="channels_first")
    with pytest.raises(ValueError, match="cropping"):
        ops.crop(x, [(-1, 0), (0, 0)])
    with pytest.raises(ValueError, match="inputs"):
        ops.crop(x, [(1, 0)])


def test_crop_zero_after_keeps_the_end_and_length_one():
    x = np.arange(10).reshape(1, 10, 1)
    np.testing.assert_array_equal(ops.crop(x, [(3, 0)])[0, :, 0], np.arange(3, 10))
    np.testing.assert_array_equal(ops.crop(x, [(4, 5)])[0, :, 0], [4])


@pytest.mark.parametrize("size, exc, match", [
    (0, ValueError, "size"),
    ((2, 0), ValueError, "size"),
    ((2, -1), ValueError, "size"),
    ((2.0, 2), ValueError, "size"),
    (2.0, ValueError, "size"),
    (None, ValueError, "size"),
    ("22", ValueError, "size"),
    ((2, 2, 2), ValueError, "size"),
])
def test_upsample_bad_size(size, exc, match):
    with pytest.raises(exc, match=match):
        ops.upsample(np.zeros((1, 3, 3, 1)), size)


def test_upsample_bad_interpolation_message():
    msg = ("Invalid value for argument `interpolation`. Expected of one ('bilinear', "
           "'nearest', 'lanczos3', 'lanczos5', 'bicubic'). Received: interpolation=area")
    with pytest.raises(ValueError) as info:
        ops.upsample(np.zeros((1, 3, 3, 1)), 2, interpolation="area")
    assert str(info.value) == msg
    with pytest.raises(ValueError, match="interpolation"):
        ops.upsample(np.zeros((1, 3, 3, 1)), 2, interpolation=None)
    y = ops.upsample(np.ones((1, 2, 2, 1)), 2, interpolation="BiLinear")  # lower-cased
    np.testing.assert_array_equal(y, 1.0)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_interpolation_rejects_integer_input(dtype):
    with pytest.raises(TypeError, match="inputs"):
        ops.upsample(np.zeros((1, 3, 3, 1), dtype=dtype), 2, interpolation="bilinear")
    ops.upsample(np.zeros((1, 3, 3, 1), dtype=dtype), 2)  # nearest is fine


@pytest.mark.parametrize("bad", [np.zeros((1, 2, 2, 1), complex), np.array([[["a"]]]),
                                 np.array([[[object()]]], dtype=object)])
def test_non_numeric_inputs_are_type_errors(bad):
    for call in (lambda: ops.zero_pad(bad, [(1, 1)] * (bad.ndim - 2)),
                 lambda: ops.crop(bad, [(0, 0)] * (bad.ndim - 2)),
                 lambda: ops.upsample(bad, 2)):
        with pytest.raises(TypeError, match="inputs"):
            call()


def test_wrong_rank_and_data_format():
    with pytest.raises(ValueError, match="inputs"):
        ops.upsample(np.zeros((3, 3)), 2)
    with pytest.raises(ValueError, match="inputs"):
        ops.upsample(np.zeros((1,) * 6), 2)
    with pytest.raises(ValueError, match="inputs"):
        ops.upsample(np.zeros((1, 3, 3, 1)), (2,))
    with pytest.raises(ValueError, match="data_format"):
        ops.zero_pad(np.zeros((1, 3, 1)), [(1, 1)], data_format="channels_middle")


def test_data_format_none_follows_config():
    x = np.arange(6.0).reshape(1, 2, 3)
    try:
        convkit.config.set_image_data_format("channels_first")
        assert ops.zero_pad(x, [(1, 0)]).shape == (1, 2, 4)
        assert ops.upsample(x, 2).shape == (1, 2, 6)
        assert ops.crop(x, [(1, 0)]).shape == (1, 2, 2)
    finally:
        convkit.config.set_image_data_format("channels_last")
    assert ops.zero_pad(x, [(1, 0)]).shape == (1, 3, 3)
    assert ops.zero_pad(x, [(1, 0)], data_format="CHANNELS_FIRST").shape == (1, 2, 4)


# ---------------------------------------------------------------------------------------------
# awkward inputs: non-contiguous, read-only, zero-size, NaN, lists

def _all_ops(x, data_format="channels_last"):
    return [
        ops.zero_pad(x, [(1, 2), (0, 1)], data_format),
        ops.crop(x, [(1, 0), (0, 1)], data_format),
        ops.upsample(x, (2, 3), data_format),
        ops.upsample(x, (2, 3), data_format, interpolation="bicubic"),
    ]


def _all_refs(x, data_format="channels_last"):
    return [
        ref.zero_pad(x, [(1, 2), (0, 1)], data_format),
        ref.crop(x, [(1, 0), (0, 1)], data_format),
        ref.upsample_nearest(x, (2, 3), data_format),
        ref.upsample_interp(x, (2, 3), "bicubic", data_format),
    ]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_non_contiguous_and_read_only_inputs(data_format):
    base = make_array((2, 8, 5, 6), np.float64, 11)
    views = [base[:, ::2], base[:, :, :, ::2], base.transpose(0, 2, 1, 3), base[..., 1:4]]
    for x in views:
        assert not x.flags.c_contiguous
        for y, expected in zip(_all_ops(x, data_format), _all_refs(x, data_format),
                               strict=True):
            np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-13)
            assert_new_contiguous(y, base)
    ro = np.array(base)
    ro.setflags(write=False)
    for y, expected in zip(_all_ops(ro, data_format), _all_refs(ro, data_format), strict=True):
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-13)
        assert_new_contiguous(y, ro)


def test_unaligned_input():
    raw = np.zeros(4 * 2 * 6 * 5 * 3 + 1, np.uint8)[1:]
    x = raw.view(np.float32).reshape(2, 6, 5, 3)
    assert not x.flags.aligned
    x[...] = make_array(x.shape, np.float32, 2)
    for y, expected in zip(_all_ops(x), _all_refs(x), strict=True):
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_odd_address_small_pixels():
    # int8 x 4 channels = 4-byte pixels at an odd address: aligned for int8, not for words
    for chans, factors in [(4, (2, 3)), (2, (2, 2)), (8, (3, 1))]:
        raw = np.arange(2 * 5 * 7 * chans + 1, dtype=np.int8)[1:]
        x = raw.reshape(2, 5, 7, chans)
        assert x.ctypes.data % 2 == 1
        np.testing.assert_array_equal(ops.upsample(x, factors), ref.upsample_nearest(x, factors))
        np.testing.assert_array_equal(ops.zero_pad(x, [(1, 0), (2, 1)]),
                                      ref.zero_pad(x, [(1, 0), (2, 1)]))


def test_nested_lists_are_accepted():
    y = ops.zero_pad([[[1, 2], [3, 4]]], [(1, 0)])
    np.testing.assert_array_equal(y, [[[0, 0], [1, 2], [3, 4]]])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_size_batch_and_channels(data_format):
    for batch, chans in [(0, 3), (2, 0), (0, 0)]:
        x = np.zeros(batched_shape(batch, (4, 5), chans, data_format), np.float32)
        for y, expected in zip(_all_ops(x, data_format), _all_refs(x, data_format),
                               strict=True):
            assert y.shape == expected.shape
            assert y.flags.c_contiguous


def test_zero_size_spatial_axes():
    x = np.zeros((2, 0, 3, 4), np.int16)
    y = ops.zero_pad(x, [(1, 1), (2, 0)])
    np.testing.assert_array_equal(y, np.zeros((2, 2, 5, 4), np.int16), strict=True)
    assert ops.upsample(x, 3).shape == (2, 0, 9, 4)
    assert ops.upsample(x.astype(np.float32), 3, interpolation="bilinear").shape == (2, 0, 9, 4)
    with pytest.raises(ValueError, match="cropping"):
        ops.crop(x, [(0, 0), (0, 0)])


def test_identity_amounts_still_copy():
    x = make_array((2, 3, 4, 5), np.int32, 0)
    for y in (ops.zero_pad(x, [(0, 0), (0, 0)]), ops.crop(x, [(0, 0), (0, 0)]),
              ops.upsample(x, 1)):
        np.testing.assert_array_equal(y, x)
        assert_new_contiguous(y, x)


def test_nan_propagation():
    x = np.zeros((1, 21, 21, 2), np.float32)
    x[0, 10, 10, 0] = np.nan
    for y in (ops.zero_pad(x, [(1, 1), (1, 1)]), ops.crop(x, [(1, 1), (1, 1)])):
        assert np.isnan(y).sum() == 1 and not np.isnan(y[..., 1]).any()
    y = ops.upsample(x, 2)
    assert np.isnan(y[0, 20:22, 20:22, 0]).all() and np.isnan(y).sum() == 4
    u = (np.arange(42) + 0.5) / 2 - 0.5
    for mode in MODES:
        r = RADIUS[mode]
        y = ops.upsample(x, 2, interpolation=mode)
        nan = np.isnan(y[0, :, :, 0])
        assert not np.isnan(y[..., 1]).any()
        # an output is NaN when the NaN sample is one of its 2r taps (floor(u)-r+1 .. floor(u)+r)
        lo = np.floor(u) - r + 1
        hit = (lo <= 10) & (10 <= lo + 2 * r - 1)
        assert hit[np.abs(u - 10) < r].all()
        interior = (lo >= 0) & (lo + 2 * r - 1 <= 20)   # windows not shifted by the border
        expected = np.outer(hit, hit)
        inner = np.outer(interior, interior)
        np.testing.assert_array_equal(nan[inner], expected[inner])
        assert nan[np.outer(np.abs(u - 10) < r, np.abs(u - 10) < r)].all()


# ---------------------------------------------------------------------------------------------
# threads: identical bits for 1 and 2 threads (above the parallel threshold)

@pytest.mark.parametrize("shape, data_format", [
    ((3, 40, 36, 16), "channels_last"),
    ((1, 70000, 2), "channels_last"),         # 1-D, batch 1: rows cut along W
    ((2, 5, 6, 30, 40), "channels_first"),
])
def test_bit_identical_for_1_and_2_threads(shape, data_format):
    x = make_array(shape, np.float32, 5)
    rank = len(shape) - 2
    pairs = [(2, 1)] * rank
    crops = [(1, 2)] * rank
    sizes = (2,) * rank

    def run():
        out = [ops.zero_pad(x, pairs, data_format), ops.crop(x, crops, data_format),
               ops.upsample(x, sizes, data_format)]
        out += [ops.upsample(x, sizes, data_format, interpolation=m) for m in MODES]
        return out

    with convkit.num_threads(1):
        single = run()
    with convkit.num_threads(2):
        double = run()
    for a, b in zip(single, double, strict=True):
        assert a.tobytes() == b.tobytes()


def test_thread_count_comes_from_threads_for(monkeypatch):
    # the op decides whether a call is worth a team (convkit._threads.threads_for, from the
    # bytes it reads and writes); the kernel keeps no threshold of its own
    from convkit.ops import _resample_layout, interpolation
    from convkit.ops import resample as resample_module

    seen = []

    def spy(work, n_threads=None):
        seen.append(work)
        return 3

    # each module that calls a kernel asks threads_for itself: nearest upsample here, the
    # window copy of zero_pad/crop in _resample_layout, the interpolating modes in interpolation
    for module in (resample_module, _resample_layout, interpolation):
        monkeypatch.setattr(module, "threads_for", spy)
    x = np.arange(2 * 5 * 6 * 3, dtype=np.float32).reshape(2, 5, 6, 3)
    up = ops.upsample(x, 2)
    pad = ops.zero_pad(x, [(1, 0), (2, 1)])
    cut = ops.crop(x, [(1, 1), (0, 2)])
    lin = ops.upsample(x, (2, 3), interpolation="bilinear")
    assert seen == [x.nbytes + up.nbytes, x.nbytes + pad.nbytes, 2 * cut.nbytes,
                    x.nbytes + lin.nbytes]
    np.testing.assert_array_equal(up, np.repeat(np.repeat(x, 2, 1), 2, 2))
    np.testing.assert_array_equal(pad[:, 1:, 2:-1], x)
    np.testing.assert_array_equal(cut, x[:, 1:-1, :-2])


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("n_in, factor", [(1, 2), (3, 3), (7, 2), (12, 5), (30, 4)])
def test_tap_table_periodic_range(method, n_in, factor):
    # one builder gives starts, weights and the periodic range the by-phase path needs:
    # inside it, output factor*q + p starts at q + off_p with the weights of phase p, bit
    # for bit; just outside it, some output of the pixel was shifted
    from convkit.ops.resample import tap_table

    t = tap_table(n_in, factor, method, np.float32)
    assert not t.start.flags.writeable and not t.weights.flags.writeable
    assert 0 <= t.q_lo <= t.q_hi <= n_in or t.q_hi <= t.q_lo
    start = t.start.reshape(n_in, factor)
    weights = t.weights.reshape(n_in, factor, -1)
    for q in range(t.q_lo, t.q_hi):
        assert np.array_equal(start[q] - q, start[t.q_lo] - t.q_lo)
        assert np.array_equal(weights[q], weights[t.q_lo])
    if t.q_hi > t.q_lo:
        for q in (t.q_lo - 1, t.q_hi):
            if 0 <= q < n_in:
                assert not np.array_equal(start[q] - q, start[t.q_lo] - t.q_lo)


def test_kernel_refuses_unsafe_tap_tables():
    from convkit import _kernels
    from convkit.ops.resample import tap_table

    k = _kernels.load("_resample")
    src = np.zeros((1, 1, 1, 8, 2), np.float32)
    dst = np.empty((1, 1, 1, 16, 2), np.float32)
    one = tap_table(1, 1, "bilinear", np.float32)
    w = tap_table(8, 2, "bilinear", np.float32)
    args = (src, dst, one.start, one.weights, one.start, one.weights)
    k.resample(*args, w.start, w.weights, 2, w.q_lo, w.q_hi, 1)   # the built table is fine
    outside = w.start.copy()
    outside[-1] = 7   # 2 taps from pixel 7 read pixel 8
    with pytest.raises(ValueError, match="outside the input"):
        k.resample(*args, outside, w.weights, 2, w.q_lo, w.q_hi, 1)
    not_periodic = w.start.copy()
    not_periodic[2 * w.q_lo + 1] -= 1
    with pytest.raises(ValueError, match="not periodic"):
        k.resample(*args, not_periodic, w.weights, 2, w.q_lo, w.q_hi, 1)
    with pytest.raises(ValueError, match="phase range"):
        k.resample(*args, w.start, w.weights, 2, 0, 9, 1)
