"""ops.pooling against the NumPy oracle (float64 at 1e-12), ties, both data formats, thread-count
bit-identity and argument errors. No Keras here: the Keras parity is tests/test_layers_pooling.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import ops
from tests.support import reference_pooling as ref

FORMATS = ["channels_last", "channels_first"]


def _to_first(x):
    return np.moveaxis(x, -1, 1)


def _to_last(x):
    return np.moveaxis(x, 1, -1)


@st.composite
def window_cases(draw, max_side=6):
    """A windowed pooling configuration: pools larger and smaller than strides, inputs smaller
    than the window under "same", batch and channels of 1."""
    rank = draw(st.integers(1, 3))
    pool = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = draw(st.one_of(st.none(),
                             st.tuples(*[st.integers(1, 4) for _ in range(rank)])))
    padding = draw(st.sampled_from(["valid", "same"]))
    side = max_side if rank < 3 else 4
    spatial = tuple(draw(st.integers(1, side)) for _ in range(rank))
    if padding == "valid":
        spatial = tuple(max(n, k) for n, k in zip(spatial, pool))
    batch = draw(st.integers(1, 2))
    chans = draw(st.sampled_from([1, 2, 3, 17]))
    return dict(rank=rank, pool=pool, strides=strides, padding=padding, spatial=spatial,
                batch=batch, chans=chans, fmt=draw(st.sampled_from(FORMATS)),
                ties=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


def _inputs(case, dtype):
    rng = np.random.default_rng(case["seed"])
    shape = (case["batch"], *case["spatial"], case["chans"])
    # ties: small integers, so windows hold equal maxima and overlapping windows share them
    x = rng.integers(0, 3, shape) if case["ties"] else rng.standard_normal(shape)
    return x.astype(dtype)


def _run_case(case, dtype):
    """(forward, gradient) of convkit and the oracle, all channels-last."""
    x = _inputs(case, dtype)
    kw = dict(pool_size=case["pool"], strides=case["strides"], padding=case["padding"])
    fmt = case["fmt"]
    xin = x if fmt == "channels_last" else _to_first(x)
    back = (lambda a: a) if fmt == "channels_last" else _to_last
    out = {}
    for mode in ("max", "avg"):
        want = ref.pool(x, mode=mode, **kw)
        dy = np.random.default_rng(1).standard_normal(want.shape).astype(dtype)
        dyin = dy if fmt == "channels_last" else _to_first(dy)
        want_dx = ref.pool_gradient(x, dy, mode=mode, **kw)
        if mode == "max":
            y, arg = ops.max_pool_with_argmax(xin, data_format=fmt, **kw)
            np.testing.assert_array_equal(y, ops.max_pool(xin, data_format=fmt, **kw))
            dx = ops.max_pool_gradient(dyin, arg, xin.shape, data_format=fmt, **kw)
        else:
            y = ops.average_pool(xin, data_format=fmt, **kw)
            dx = ops.average_pool_gradient(dyin, xin.shape, data_format=fmt, **kw)
        assert y.dtype == dtype and dx.dtype == dtype
        out[mode] = (back(y), want, back(dx), want_dx)
    return out


@settings(max_examples=60)
@given(case=window_cases())
def test_float64_matches_oracle(case):
    for y, want, dx, want_dx in _run_case(case, np.float64).values():
        np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-12)


@settings(max_examples=20)
@given(case=window_cases())
def test_float32_matches_oracle(case):
    for y, want, dx, want_dx in _run_case(case, np.float32).values():
        np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dx, want_dx, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@settings(max_examples=400)
@given(case=window_cases(max_side=9))
def test_float64_matches_oracle_sweep(case):
    test_float64_matches_oracle.hypothesis.inner_test(case)


def test_max_gradient_goes_to_the_first_maximum_of_each_window():
    # all equal: every window's gradient goes to its first real input; windows overlap
    x = np.ones((1, 5, 5, 1))
    dy = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y, arg = ops.max_pool_with_argmax(x, 3, 2, "same")
    dx = ops.max_pool_gradient(dy, arg, x.shape, 3, 2, "same")[0, :, :, 0]
    # "same" on 5 with 3/2 pads (1, 1): windows start at -1, 1, 3 -> first real 0, 1, 3
    want = np.zeros((5, 5))
    for i, r in enumerate((0, 1, 3)):
        for j, c in enumerate((0, 1, 3)):
            want[r, c] += dy[0, i, j, 0]
    np.testing.assert_array_equal(dx, want)
    np.testing.assert_array_equal(arg[0, :, :, 0], [[0, 1, 3], [5, 6, 8], [15, 16, 18]])


def test_average_same_divides_by_real_inputs():
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    # pool 3 stride 2 on 4: pads (0, 1); second window holds inputs 2, 3 only
    np.testing.assert_array_equal(ops.average_pool(x, 3, 2, "same")[0, :, 0], [2.0, 3.5])


def test_nan_propagates_through_max():
    x = np.array([[[1.0], [np.nan], [3.0], [0.0]]])
    np.testing.assert_array_equal(ops.max_pool(x, 2)[0, :, 0], [np.nan, 3.0])
    np.testing.assert_array_equal(ops.max_pool(x[:, ::-1], 2)[0, :, 0], [3.0, np.nan])
    assert np.isnan(ops.global_max_pool(x)[0, 0])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_oracle(fmt, rank, keepdims):
    rng = np.random.default_rng(rank)
    shape = (2, *(5, 4, 3)[:rank], 3)
    for ties in (False, True):
        x = rng.integers(0, 2, shape).astype(np.float64) if ties else rng.standard_normal(shape)
        xin = x if fmt == "channels_last" else _to_first(x)
        dy = rng.standard_normal((2, 3))
        for mode, op in (("max", ops.global_max_pool), ("avg", ops.global_average_pool)):
            y = op(xin, data_format=fmt, keepdims=keepdims)
            want = ref.global_pool(x, mode, keepdims=keepdims)
            if fmt == "channels_first" and keepdims:
                want = _to_first(want)
            np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
            dyk = dy.reshape(ops.pooling.global_output_shape(xin.shape, fmt, keepdims))
            if mode == "max":
                dx = ops.global_max_pool_gradient(dyk, xin, y, data_format=fmt,
                                                  keepdims=keepdims)
            else:
                dx = ops.global_average_pool_gradient(dyk, xin.shape, data_format=fmt,
                                                      keepdims=keepdims)
            want_dx = ref.global_pool_gradient(x, dy, mode)
            np.testing.assert_allclose(dx if fmt == "channels_last" else _to_last(dx),
                                       want_dx, rtol=1e-12, atol=1e-12)


def test_global_pooling_of_long_inputs_cuts_the_axis_into_pieces():
    # P * C well above one piece: several partial results, combined in order
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 70000, 3))
    np.testing.assert_allclose(ops.global_average_pool(x)[0], x.mean(axis=1)[0], rtol=1e-12)
    np.testing.assert_array_equal(ops.global_max_pool(x)[0], x.max(axis=1)[0])


# channel counts for every path of the window kernels: blocks of 4 vectors, single vectors
# and the one-at-a-time tail, on every ISA copy (83 = 64 + 16 + 3 float32 lanes on avx512,
# 4 x 8 + ... float64 lanes; 48 = three single vectors on avx512)
@pytest.mark.parametrize("fmt,chans,dtype", [("channels_last", 48, np.float32),
                                             ("channels_first", 48, np.float32),
                                             ("channels_last", 83, np.float32),
                                             ("channels_last", 83, np.float64)])
def test_bit_identical_for_one_two_three_threads(fmt, chans, dtype):
    # big enough that threads_for gives every call a team of 3
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 40, 36, chans)).astype(dtype)
    x[:, ::3] = np.round(x[:, ::3])  # some ties
    if fmt == "channels_first":
        x = np.ascontiguousarray(_to_first(x))
    kw = dict(pool_size=3, strides=2, padding="same", data_format=fmt)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            y, arg = ops.max_pool_with_argmax(x, **kw)
            dy = np.random.default_rng(8).standard_normal(y.shape).astype(dtype)
            a = ops.average_pool(x, **kw)
            gx = ops.global_average_pool(x, data_format=fmt)
            gm = ops.global_max_pool(x, data_format=fmt)
            results.append((y, arg, ops.max_pool_gradient(dy, arg, x.shape, **kw), a,
                            ops.average_pool_gradient(dy, x.shape, **kw), gx, gm,
                            ops.global_average_pool_gradient(gx, x.shape, data_format=fmt),
                            ops.global_max_pool_gradient(gm, x, gm, data_format=fmt)))
    for other in results[1:]:
        for r1, rn in zip(results[0], other, strict=True):
            assert r1.tobytes() == rn.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_channel_path_gives_the_same_bits(dtype):
    # a channel pooled alone (the one-at-a-time path) against the same channel inside a wide
    # array (4-vector blocks, single vectors, tail): bit for bit, forward, argmax, gradients;
    # NaN in every window of a few channels, ties, overlapping "same" windows
    rng = np.random.default_rng(11)
    x = rng.integers(-2, 3, (2, 9, 7, 83)).astype(dtype)
    x[0, 2, 3, ::5] = np.nan
    x[1, 4:, :, 40] = np.nan
    kw = dict(pool_size=3, strides=2, padding="same")
    y, arg = ops.max_pool_with_argmax(x, **kw)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dmax = ops.max_pool_gradient(dy, arg, x.shape, **kw)
    avg = ops.average_pool(x, **kw)
    davg = ops.average_pool_gradient(dy, x.shape, **kw)
    for c in range(x.shape[-1]):
        xc, dyc = x[..., c:c + 1], dy[..., c:c + 1]
        yc, argc = ops.max_pool_with_argmax(xc, **kw)
        for got, want in ((y, yc), (arg, argc), (avg, ops.average_pool(xc, **kw)),
                          (dmax, ops.max_pool_gradient(dyc, argc, xc.shape, **kw)),
                          (davg, ops.average_pool_gradient(dyc, xc.shape, **kw))):
            assert got[..., c:c + 1].tobytes() == want.tobytes()
    # NaN propagates in the vector paths too: the windows over the NaNs are NaN
    assert np.isnan(y[0, 1, 1, ::5]).all() and np.isnan(y[1, 2:, :, 40]).all()


def test_channels_first_is_the_transposed_channels_last():
    x = np.random.default_rng(2).standard_normal((2, 7, 6, 3))
    for op in (ops.max_pool, ops.average_pool):
        y = op(x, (3, 2), (2, 1), "same")
        np.testing.assert_array_equal(_to_first(y), op(_to_first(x), (3, 2), (2, 1), "same",
                                                       data_format="channels_first"))


def test_dtypes_integers_compute_in_float32():
    x = np.arange(8, dtype=np.int64).reshape(1, 8, 1)
    assert ops.max_pool(x, 2).dtype == np.float32
    assert ops.average_pool(x.astype(np.float64), 2).dtype == np.float64
    np.testing.assert_array_equal(ops.max_pool(x[:, ::-1], 2)[0, :, 0], [7, 5, 3, 1])


def test_empty_batch_and_zero_length_same_outputs():
    assert ops.max_pool(np.zeros((0, 4, 4, 2)), 2).shape == (0, 2, 2, 2)
    assert ops.average_pool(np.zeros((1, 0, 2)), 2, padding="same").shape == (1, 0, 2)
    dx = ops.average_pool_gradient(np.zeros((1, 0, 2)), (1, 0, 2), 2, padding="same")
    assert dx.shape == (1, 0, 2)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.max_pool(np.ones((1, 4)), 2), "3, 4 or 5 dimensions"),
    (lambda: ops.max_pool(np.ones((1, 4, 4, 4, 4, 1)), 2), "3, 4 or 5 dimensions"),
    (lambda: ops.max_pool(np.ones((1, 4, 1)), 0), "pool_size"),
    (lambda: ops.max_pool(np.ones((1, 4, 1)), -2), "pool_size"),
    (lambda: ops.max_pool(np.ones((1, 4, 1)), 2.0), "pool_size"),
    (lambda: ops.max_pool(np.ones((1, 4, 4, 1)), (2, 2, 2)), "pool_size"),
    (lambda: ops.average_pool(np.ones((1, 4, 1)), 2, strides=0), "strides"),
    (lambda: ops.average_pool(np.ones((1, 4, 1)), 2, padding="full"), "padding"),
    (lambda: ops.average_pool(np.ones((1, 4, 1)), 2, padding=1), "padding"),
    (lambda: ops.max_pool(np.ones((1, 4, 1)), 2, data_format="nchw"), "data_format"),
    (lambda: ops.max_pool(np.ones((1, 3, 1)), 4), "zero or negative"),
    (lambda: ops.global_max_pool(np.ones((1, 3))), "3, 4 or 5 dimensions"),
    (lambda: ops.global_average_pool(np.ones((1, 0, 2))), "zero-length"),
    (lambda: ops.average_pool_gradient(np.ones((1, 3, 1)), (1, 4, 1), 2), "pooled shape"),
    (lambda: ops.max_pool_gradient(np.ones((1, 2, 1)), np.zeros((1, 2, 1)), (1, 4, 1), 2),
     "int32"),
    (lambda: ops.global_average_pool_gradient(np.ones((1, 3)), (1, 4, 2)), "shape"),
])
def test_errors_are_value_errors_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call", [
    lambda: ops.max_pool(np.array([["a"]]), 2),
    lambda: ops.global_max_pool(np.ones((1, 4, 1)), keepdims="yes"),
    lambda: ops.average_pool_gradient(np.ones((1, 2, 1), dtype=np.int32), (1, 4, 1), 2),
    lambda: ops.max_pool(np.ones((1, 4, 1), dtype=complex), 2),
])
def test_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_non_contiguous_inputs():
    x = np.random.default_rng(4).standard_normal((2, 9, 8, 6))
    view = x[:, ::2, 1:, ::2]
    np.testing.assert_array_equal(ops.max_pool(view, 2, padding="same"),
                                  ops.max_pool(view.copy(), 2, padding="same"))
    np.testing.assert_allclose(ops.average_pool(view, 2), ref.pool(view, 2, mode="avg"),
                               rtol=1e-12)
