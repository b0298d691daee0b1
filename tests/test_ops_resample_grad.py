"""convkit.ops.crop_gradient / zero_pad_gradient / upsample_gradient: the adjoints of the
resampling ops, against the NumPy oracle (the transpose of the forward matrix), the dot-product
identity, thread counts and bad arguments.

A kernel test: ``make test-debug`` runs it on the bounds-checked build (no Keras here).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import ops
from convkit.ops.resample import INTERPOLATIONS, tap_table, transposed_tap_table
from tests.support import reference_resample as ref
from tests.support.keras_oracle import reduction_rtol

FORMATS = ("channels_last", "channels_first")
MODES = [m for m in INTERPOLATIONS if m != "nearest"]
TAPS = {"nearest": 1, "bilinear": 2, "bicubic": 4, "lanczos3": 6, "lanczos5": 10}


def batched_shape(batch, spatial, chans, data_format):
    if data_format == "channels_first":
        return (batch, chans, *spatial)
    return (batch, *spatial, chans)


def spatial_of(shape, data_format):
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


@st.composite
def gradient_case(draw, max_side=5):
    """``(op, argument, data_format, interpolation, input shape)`` of one forward op."""
    op = draw(st.sampled_from(["crop", "zero_pad", "upsample"]))
    rank = draw(st.integers(1, 3))
    data_format = draw(st.sampled_from(FORMATS))
    side = max_side if rank < 3 else 3
    spatial = [draw(st.integers(1, side)) for _ in range(rank)]
    interpolation = "nearest"
    if op == "upsample":
        argument = tuple(draw(st.integers(1, 3)) for _ in range(rank))
        interpolation = draw(st.sampled_from(INTERPOLATIONS))
    else:
        argument = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3)))
                         for _ in range(rank))
        if op == "crop":  # leave at least one pixel
            spatial = [max(n, a + b + 1) for n, (a, b) in zip(spatial, argument)]
    shape = batched_shape(draw(st.integers(1, 2)), spatial, draw(st.integers(1, 3)),
                          data_format)
    return op, argument, data_format, interpolation, shape


def forward(op, x, argument, data_format, interpolation):
    if op == "upsample":
        return ops.upsample(x, argument, data_format, interpolation)
    return getattr(ops, op)(x, argument, data_format)


def gradient(op, dy, argument, data_format, interpolation):
    if op == "upsample":
        return ops.upsample_gradient(dy, argument, data_format, interpolation)
    return getattr(ops, f"{op}_gradient")(dy, argument, data_format)


def oracle(op, in_shape, dy, argument, data_format, interpolation):
    if op == "upsample":
        return ref.upsample_gradient(in_shape, dy, argument, data_format, interpolation)
    return getattr(ref, f"{op}_gradient")(in_shape, dy, argument, data_format)


def out_shape(op, shape, argument, data_format):
    spatial = spatial_of(shape, data_format)
    if op == "upsample":
        new = [n * f for n, f in zip(spatial, argument)]
    elif op == "crop":
        new = [n - a - b for n, (a, b) in zip(spatial, argument)]
    else:
        new = [n + a + b for n, (a, b) in zip(spatial, argument)]
    n, c = (shape[0], shape[1]) if data_format == "channels_first" else (shape[0], shape[-1])
    return batched_shape(n, new, c, data_format)


def reduction(op, argument, interpolation):
    """How many output gradients one input gradient sums, at most."""
    if op != "upsample":
        return 1
    return int(np.prod([f * TAPS[interpolation] for f in argument]))


# ----------------------------------------------------------------------------- oracle
@settings(max_examples=40)
@given(case=gradient_case(), seed=st.integers(0, 2**31 - 1))
def test_float64_matches_transposed_forward_matrix(case, seed):
    op, argument, data_format, interpolation, shape = case
    dy = np.random.default_rng(seed).standard_normal(out_shape(op, shape, argument,
                                                               data_format))
    got = gradient(op, dy, argument, data_format, interpolation)
    want = oracle(op, shape, dy, argument, data_format, interpolation)
    assert got.dtype == np.float64 and got.shape == shape and got.flags.c_contiguous
    if interpolation == "nearest":  # copies and sums of a few terms: at most a rounding apart
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14 * np.abs(want).max())
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


@settings(max_examples=25)
@given(case=gradient_case(), seed=st.integers(0, 2**31 - 1))
def test_float32_matches_oracle(case, seed):
    op, argument, data_format, interpolation, shape = case
    dy = np.random.default_rng(seed).standard_normal(
        out_shape(op, shape, argument, data_format)).astype(np.float32)
    got = gradient(op, dy, argument, data_format, interpolation)
    want = oracle(op, shape, dy, argument, data_format, interpolation)
    assert got.dtype == np.float32
    if op != "upsample":  # a window copy: exact
        np.testing.assert_array_equal(got, want.astype(np.float32))
        return
    rtol = reduction_rtol(reduction(op, argument, interpolation))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("shape, size", [((2, 9, 5), 3), ((2, 11, 7, 4), (2, 3)),
                                         ((1, 4, 5, 6, 3), (2, 1, 3)), ((3, 1, 1, 2), 4),
                                         ((1, 40, 3), 2)])
def test_dot_product_identity(interpolation, data_format, shape, size):
    # <upsample(x), dy> == <x, upsample_gradient(dy)> for the op's own forward pass
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    y = ops.upsample(x, size, data_format, interpolation)
    dy = rng.standard_normal(y.shape)
    dx = ops.upsample_gradient(dy, size, data_format, interpolation)
    left, right = np.vdot(y, dy), np.vdot(x, dx)
    assert abs(left - right) <= 1e-12 * np.sum(np.abs(y * dy))


@pytest.mark.parametrize("data_format", FORMATS)
def test_crop_and_zero_pad_are_each_others_adjoints(data_format):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(batched_shape(2, (6, 5, 4), 3, data_format))
    pairs = ((1, 2), (0, 3), (2, 0))
    dy = rng.standard_normal(ops.crop(x, pairs, data_format).shape)
    dx = ops.crop_gradient(dy, pairs, data_format)
    np.testing.assert_array_equal(dx, ops.zero_pad(dy, pairs, data_format))
    np.testing.assert_array_equal(ops.zero_pad_gradient(dx, pairs, data_format), dy)
    assert np.vdot(ops.crop(x, pairs, data_format), dy) == pytest.approx(np.vdot(x, dx),
                                                                         rel=1e-13)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n_in, factor", [(1, 2), (2, 3), (5, 2), (7, 4), (13, 3), (3, 1)])
def test_transposed_table_is_the_forward_matrix_transposed(mode, n_in, factor):
    def dense(table, n_rows, n_cols):
        m = np.zeros((n_rows, n_cols))
        for j, (s, w) in enumerate(zip(table.start, table.weights)):
            m[j, s:s + len(w)] += w
        return m

    forward = tap_table(n_in, factor, mode, np.float64)
    transposed = transposed_tap_table(n_in, factor, mode, np.float64)
    assert not transposed.start.flags.writeable and not transposed.weights.flags.writeable
    assert np.all(np.diff(transposed.start) >= 0)
    np.testing.assert_array_equal(dense(transposed, n_in, n_in * factor),
                                  dense(forward, n_in * factor, n_in).T)


def test_float16_computes_in_float32_and_rounds_back():
    rng = np.random.default_rng(3)
    dy = rng.standard_normal((2, 6, 8, 3)).astype(np.float16)
    for mode in INTERPOLATIONS:
        got = ops.upsample_gradient(dy, (2, 2), interpolation=mode)
        want = ops.upsample_gradient(dy.astype(np.float32), (2, 2), interpolation=mode)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want.astype(np.float16))
    assert ops.crop_gradient(dy, ((1, 1), (0, 2))).dtype == np.float16


def test_non_contiguous_output_gradient():
    rng = np.random.default_rng(4)
    dy = rng.standard_normal((2, 8, 12, 6))[:, ::2, ::3, 1:4]  # (2, 4, 4, 3), strided
    for mode in INTERPOLATIONS:
        np.testing.assert_array_equal(ops.upsample_gradient(dy, 2, interpolation=mode),
                                      ops.upsample_gradient(dy.copy(), 2, interpolation=mode))
    np.testing.assert_array_equal(ops.zero_pad_gradient(dy, ((1, 0), (0, 1))),
                                  dy[:, 1:, :-1])


def test_zero_length_input_axis_gets_an_empty_gradient():
    dy = np.ones((2, 3, 4))  # a length-0 steps axis padded by (1, 2)
    dx = ops.zero_pad_gradient(dy, [(1, 2)])
    assert dx.shape == (2, 0, 4)
    assert ops.upsample_gradient(np.ones((0, 4, 2)), 2).shape == (0, 2, 2)


# ----------------------------------------------------------------------------- threads
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "lanczos3"])
@pytest.mark.parametrize("data_format", FORMATS)
def test_bit_identical_for_1_2_3_threads(interpolation, data_format):
    rng = np.random.default_rng(5)
    dy = rng.standard_normal(batched_shape(3, (66, 50), 16, data_format)).astype(np.float32)
    ops_and_args = [(ops.upsample_gradient, dict(size=(3, 2), interpolation=interpolation)),
                    (ops.zero_pad_gradient, dict(padding=((2, 1), (0, 3)))),
                    (ops.crop_gradient, dict(cropping=((2, 1), (0, 3))))]
    for fn, kwargs in ops_and_args:
        results = []
        for n in (1, 2, 3):
            with convkit.num_threads(n):
                results.append(fn(dy, data_format=data_format, **kwargs))
        assert all(np.array_equal(results[0], r) for r in results[1:])
    # batch 1 of 1-D data: rows are cut along W, which must not change a bit either
    dy = rng.standard_normal((1, 3 * 40000, 2)).astype(np.float64)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.upsample_gradient(dy, 3, interpolation=interpolation))
    assert all(np.array_equal(results[0], r) for r in results[1:])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.upsample_gradient(np.ones((1, 5, 4, 2)), 2), ValueError, "multiple"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2)), (2, 2)), ValueError, "dimensions"),
    (lambda: ops.upsample_gradient(np.ones((1, 4)), 2), ValueError, "dimensions"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2), np.int32), 2), TypeError, "float"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2)), 0), ValueError, "size"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2)), "2"), ValueError, "size"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2)), 2, interpolation="area"),
     ValueError, "interpolation"),
    (lambda: ops.upsample_gradient(np.ones((1, 4, 2)), 2, data_format="nhwc"),
     ValueError, "data_format"),
    (lambda: ops.zero_pad_gradient(np.ones((1, 2, 2)), [(2, 1)]), ValueError, "shorter"),
    (lambda: ops.zero_pad_gradient(np.ones((1, 4, 2)), [(-1, 1)]), ValueError, "padding"),
    (lambda: ops.crop_gradient(np.ones((1, 4, 2)), [(1, 1), (1, 1)]), ValueError, "dimensions"),
    (lambda: ops.crop_gradient(np.ones((1, 4, 2), bool), [(1, 1)]), TypeError, "float"),
    (lambda: ops.crop_gradient(np.ones((1, 4, 2), complex), [(1, 1)]), TypeError,
     "output_gradient"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()
