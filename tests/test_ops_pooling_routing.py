"""Max pooling routed by window offsets (ops.pooling.max_pool_routing, the layers' path):
the same maxima as max_pool and the same gradient bits as max_pool_gradient from the int32
argmax, for every rank, format, padding split, tie and NaN; bit-identical for 1, 2 and 3
threads; windows past 256 taps fall back to the argmax; bad routings are refused."""

import numpy as np
import pytest

import convkit
from convkit.ops import pooling
from tests.support import reference_pooling

# (input shape channels_last, pool, strides, padding): ranks 1-3, pools larger and smaller
# than strides, odd and even "same" splits, windows larger than the input, one channel,
# batch 1, channel counts that use the 4-vector blocks, single vectors and the scalar tail
CASES = [((2, 9, 5), 3, 2, "same"), ((1, 1, 1), 3, 1, "same"), ((1, 7, 6, 37), (3, 2), 2, "same"),
         ((2, 8, 8, 64), 2, 2, "same"), ((1, 9, 9, 70), 3, 2, "same"),
         ((3, 5, 4, 1), (2, 4), 1, "same"), ((1, 6, 5, 16), 4, 3, "valid"),
         ((1, 3, 5, 4, 19), (2, 2, 3), (1, 1, 2), "same"), ((2, 2, 3, 2, 3), 2, (1, 2, 1), "same")]


def _inputs(rng, shape, dtype, nan=False):
    x = rng.integers(-2, 2, shape).astype(dtype)  # ties in every window
    if nan:
        x.reshape(-1)[::11] = np.nan
    return x


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_routing_matches_argmax_bits(dtype, data_format):
    rng = np.random.default_rng(21)
    for shape, pool, strides, padding in CASES:
        for nan in (False, True):
            x = _inputs(rng, shape, dtype, nan)
            if data_format == "channels_first":
                x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
            args = (pool, strides, padding, data_format)
            y, argmax = pooling.max_pool_with_argmax(x, *args)
            y2, routing = pooling.max_pool_routing(x, *args)
            none, routing2 = pooling.max_pool_routing(x, *args, outputs=False)
            assert none is None and routing.offsets.dtype == np.uint8
            np.testing.assert_array_equal(y2, y)
            np.testing.assert_array_equal(routing2.offsets, routing.offsets)
            dy = rng.standard_normal(y.shape).astype(dtype)
            want = pooling.max_pool_gradient(dy, argmax, x.shape, *args)
            got = pooling.max_pool_routing_gradient(dy, routing2)
            assert got.dtype == dtype and got.shape == x.shape
            np.testing.assert_array_equal(got, want)
            if not nan:  # and the numbers are max pooling's gradient (first maximum on ties)
                xl = x if data_format == "channels_last" else np.moveaxis(x, 1, -1)
                dyl = dy if data_format == "channels_last" else np.moveaxis(dy, 1, -1)
                ref = reference_pooling.pool_gradient(xl, dyl, pool, strides, padding, "max")
                if data_format == "channels_first":
                    ref = np.moveaxis(ref, -1, 1)
                np.testing.assert_allclose(got, ref, rtol=1e-6 if dtype == np.float32 else 1e-12,
                                           atol=1e-6 if dtype == np.float32 else 1e-12)


def test_offsets_are_window_positions():
    # one 4x4 image, 2x2 windows with stride 1 under "same" (the last row and column of
    # windows are clipped): the offset is (row in window) * 2 + (column in window)
    x = np.array([[0, 5, 1, 1], [2, 0, 7, 1], [1, 1, 1, 9], [3, 1, 1, 1]], np.float32)
    _, routing = pooling.max_pool_routing(x.reshape(1, 4, 4, 1), 2, 1, "same",
                                          "channels_last", outputs=False)
    offsets = routing.offsets.reshape(4, 4)
    np.testing.assert_array_equal(offsets, [[1, 3, 2, 0], [0, 1, 3, 2], [2, 0, 1, 0],
                                            [0, 0, 0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_routing_bits_do_not_depend_on_threads(dtype):
    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 40, 36, 35)).astype(dtype)  # enough work for a team
    results = []
    for threads in (1, 2, 3):
        with convkit.num_threads(threads):
            y, routing = pooling.max_pool_routing(x, 3, 2, "same", "channels_last")
            dy = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
            results.append((y, routing.offsets,
                            pooling.max_pool_routing_gradient(dy, routing)))
    for y, offsets, dx in results[1:]:
        np.testing.assert_array_equal(y, results[0][0])
        np.testing.assert_array_equal(offsets, results[0][1])
        np.testing.assert_array_equal(dx, results[0][2])


def test_windows_past_256_taps_use_the_argmax():
    rng = np.random.default_rng(23)
    x = rng.standard_normal((1, 20, 19, 3)).astype(np.float32)
    args = ((17, 16), (3, 2), "same", "channels_last")  # 272 taps
    y, routing = pooling.max_pool_routing(x, *args, outputs=False)
    assert y is None and routing.offsets is None and routing.argmax.dtype == np.int32
    _, argmax = pooling.max_pool_with_argmax(x, *args)
    dy = rng.standard_normal(argmax.shape).astype(np.float32)
    np.testing.assert_array_equal(pooling.max_pool_routing_gradient(dy, routing),
                                  pooling.max_pool_gradient(dy, argmax, x.shape, *args))


def test_bad_routing_and_gradient_are_refused():
    x = np.ones((1, 4, 4, 2), np.float32)
    y, routing = pooling.max_pool_routing(x, 2, None, "valid", "channels_last")
    with pytest.raises(TypeError, match="routing"):
        pooling.max_pool_routing_gradient(np.ones_like(y), np.zeros(y.shape, np.uint8))
    with pytest.raises(ValueError, match="output_gradient"):
        pooling.max_pool_routing_gradient(np.ones((1, 3, 3, 2), np.float32), routing)
    with pytest.raises(TypeError, match="floating"):
        pooling.max_pool_routing_gradient(np.ones(y.shape, np.int32), routing)
    with pytest.raises(ValueError, match="pool_size"):
        pooling.max_pool_routing(x, 0, None, "valid", "channels_last")
    with pytest.raises(ValueError, match="dimensions"):
        pooling.max_pool_routing(np.ones((4, 4), np.float32), 2)


def test_kernel_refuses_offsets_it_cannot_hold():
    x5 = np.ones((1, 1, 20, 20, 1), np.float32)
    taps = np.empty((1, 1, 2, 2, 1), np.uint8)
    with pytest.raises(ValueError, match="256 taps"):
        pooling._pool.max_pool_taps(x5, None, taps, 1, 17, 16, 1, 3, 2, 0, 8, 7, 1)
    with pytest.raises(ValueError, match="256 taps"):
        pooling._pool.max_pool_taps_grad(np.ones((1, 1, 2, 2, 1), np.float32), taps,
                                          np.empty_like(x5), 1, 17, 16, 1, 3, 2, 0, 8, 7, 1)
    with pytest.raises(ValueError, match="shape"):
        pooling._pool.max_pool_taps(x5, np.empty((1, 1, 3, 2, 1), np.float32), taps,
                                    1, 2, 2, 1, 10, 10, 0, 0, 0, 1)
