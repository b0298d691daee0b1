"""Transposed convolutions with few filters: one 1x1 conv to every tap's products (the
columns) and the overlap-add kernel (``_overlap_add.pyx``), chosen by ``_columns_pay``.

Against the float64 oracle at 1e-12 and Keras in float32, in 1/2/3-D, both formats, k < s,
k == s, k > s, dilation, output_padding, batch 1, one channel, relu, inf/NaN weights, thread
counts 1/2/3, and the kernel's own argument checks.
"""

import sys

import keras  # noqa: F401  (KERAS_BACKEND is set by conftest)
import numpy as np
import pytest

import convkit
from convkit import _kernels, ops
from convkit.ops.conv_transpose import _columns_pay, pack_conv_transpose_kernel
from tests.support import reference_conv as ref
from tests.support.nonfinite import assert_same_nonfinite, poison

ct_module = sys.modules["convkit.ops.conv_transpose"]  # the module (the package exports the op)

# (spatial, kernel, strides, dilation, padding, output_padding, channels, filters, batch)
CASES = [
    ((5,), (4,), (2,), (1,), "same", None, 3, 1, 2),
    ((6,), (5,), (3,), (2,), "valid", (1,), 2, 3, 1),                # dilation, op
    ((7, 6), (4, 4), (2, 2), (1, 1), "same", None, 5, 3, 2),        # DCGAN to RGB
    ((4, 5), (3, 3), (2, 2), (1, 1), "valid", (1, 0), 4, 2, 1),
    ((3, 4), (2, 3), (2, 2), (1, 1), "same", None, 1, 3, 1),        # one channel, k == s in H
    ((5, 4), (3, 3), (1, 1), (2, 1), "same", None, 3, 3, 2),        # stride 1, dilation
    ((4, 3), (2, 2), (3, 3), (1, 1), "valid", (2, 1), 2, 3, 1),     # k < s: gaps get the bias
    ((1, 1), (4, 4), (2, 2), (1, 1), "same", None, 2, 3, 1),        # one pixel
    ((2, 3, 2), (3, 2, 3), (2, 2, 1), (1, 1, 1), "same", None, 3, 2, 2),
    ((2, 2, 2), (2, 2, 2), (2, 2, 2), (1, 1, 1), "valid", (1, 0, 1), 2, 1, 1),
]


def arrays(spatial, ks, c, f, batch, dtype, data_format, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (batch, *spatial, c)).astype(dtype)
    k = rng.uniform(-1, 1, (*ks, f, c)).astype(dtype)
    b = rng.uniform(-1, 1, f).astype(dtype)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    return x, k, b


def with_bias(y, b, rank, data_format):
    return y + (b if data_format == "channels_last" else b.reshape(-1, *(1,) * rank))


def red(k):
    return int(np.prod(k.shape[:-2])) * k.shape[-1]


@pytest.fixture(autouse=True)
def columns_path(monkeypatch):
    """Every call here takes the columns path, whatever the ISA copy's register blocks
    (which decide where ``_columns_pay`` draws the line; its own test is below)."""
    monkeypatch.setattr(ct_module, "_columns_pay", lambda packed, groups, s3: groups == 1)


@pytest.mark.parametrize("ks, s, f, groups, expected", [
    ((4, 4), (2, 2), 1, 1, True),     # 1 of >= 4 lanes on every ISA copy
    ((4, 4), (2, 2), 64, 1, False),   # full register blocks: the phase kernels
    ((4, 4), (2, 2), 3, 3, False),    # groups: phases
    ((1, 1), (2, 2), 3, 1, False),    # one tap: the phase job already is a 1x1 conv
    ((9, 9), (1, 1), 3, 1, False),    # 81 taps at stride 1: columns 81x the output
])
def test_columns_are_chosen_for_few_filters_only(ks, s, f, groups, expected):
    packed = pack_conv_transpose_kernel(np.ones((*ks, f, 6), np.float32), s)
    assert _columns_pay(packed, groups, (1, *s)) is expected


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES)
def test_float64_matches_oracle_with_relu(case, data_format):
    spatial, ks, s, d, padding, op, c, f, batch = case
    x, k, b = arrays(spatial, ks, c, f, batch, np.float64, data_format)
    ours = ops.conv_transpose(x, k, s, padding, op, data_format, d, bias=b,
                              activation="relu")
    expected = with_bias(ref.conv_transpose(x, k, s, padding, op, data_format, d), b,
                         len(spatial), data_format)
    assert ours.shape == expected.shape and ours.dtype == np.float64
    assert ours.flags.c_contiguous
    np.testing.assert_allclose(ours, np.maximum(expected, 0), rtol=1e-12,
                               atol=1e-12 * np.sqrt(red(k)))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES)
def test_float32_matches_keras(case, data_format):
    spatial, ks, s, d, padding, op, c, f, batch = case
    x, k, b = arrays(spatial, ks, c, f, batch, np.float32, data_format, seed=1)
    ours = ops.conv_transpose(x, k, s, padding, op, data_format, d, bias=b)
    expected = with_bias(np.asarray(keras.ops.conv_transpose(x, k, s, padding, op,
                                                             data_format, d)),
                         b, len(spatial), data_format)
    assert ours.shape == expected.shape and ours.dtype == np.float32
    scale = 1e-5 * np.sqrt(red(k))
    np.testing.assert_allclose(ours, expected, rtol=scale, atol=scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ks, f", [((3, 11, 13, 24), (4, 4), 3),
                                          ((2, 5, 6, 7, 9), (3, 3, 3), 2),
                                          ((5, 37, 16), (5,), 1)])
def test_bit_identical_across_thread_counts(dtype, shape, ks, f):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((*ks, f, shape[-1])).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv_transpose(x, k, 2, "same", bias=b))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_nonfinite_inputs_reach_the_outputs_of_their_products(value, data_format):
    """An inf/NaN input pixel reaches exactly the outputs its taps write (only products of
    real inputs are summed), as in the scatter-defined oracle."""
    rng = np.random.default_rng(9)
    x, k, b = arrays((5, 4), (4, 4), 3, 3, 1, np.float64, data_format)
    x = x.copy()
    x[(0, 2, 1, 0) if data_format == "channels_last" else (0, 0, 2, 1)] = value
    k = poison(k, int(rng.integers(1 << 30)), 0.0, 1)  # a zero weight: 0 * inf stays NaN
    expected = with_bias(ref.conv_transpose(x, k, 2, "same", None, data_format), b, 2,
                         data_format)
    assert_same_nonfinite(ops.conv_transpose(x, k, 2, "same", None, data_format, bias=b),
                          expected, rtol=1e-12, atol=1e-12)


def test_kernel_checks_its_arguments():
    ov = _kernels.load("_overlap_add")
    g = np.array([1, 1, 2, 2, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 0, 0, 0, 1, 4, 4, 16, 16, 4, 1, 1],
                 dtype=np.intp)
    cols, bias, out = np.ones(16), np.zeros(1), np.empty(16)
    ov.overlap_add(cols, bias, out, g, 0, 1)
    np.testing.assert_array_equal(out.reshape(4, 4), np.ones((4, 4)))
    with pytest.raises(ValueError, match="25 entries"):
        ov.overlap_add(cols, bias, out, g[:-1], 0, 1)
    bad = g.copy()
    bad[7] = 0
    with pytest.raises(ValueError, match="F = 0"):
        ov.overlap_add(cols, bias, out, bad, 0, 1)
    with pytest.raises(ValueError, match="cols size"):
        ov.overlap_add(cols[:-1], bias, out, g, 0, 1)
    with pytest.raises(ValueError, match="bias"):
        ov.overlap_add(cols, np.zeros(2), out, g, 0, 1)
    with pytest.raises(ValueError, match="too small"):
        ov.overlap_add(cols, bias, out[:-1], g, 0, 1)
    with pytest.raises(ValueError, match="relu"):
        ov.overlap_add(cols, bias, out, g, 2, 1)
