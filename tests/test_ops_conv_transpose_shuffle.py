"""Strided transposed convolutions whose W taps become output channels (a pixel shuffle).

``kernel_w == strides_w`` in channels_last: each input column owns its own ``s`` output
columns, so ``conv_transpose_5d`` stores all W taps of a phase from one job
(``_shuffles_width``). Explicit cases here, beside the random ones of
test_ops_conv_transpose.py: k == s in 1/2/3-D, mixed axes, the shapes that must fall back to
one job per phase (output_padding, crop, channels_first, groups, k != s), small sizes, relu,
float64 against the oracle at 1e-12 and float32 against Keras.
"""

import keras  # noqa: F401  (KERAS_BACKEND is set by conftest)
import numpy as np
import pytest

import convkit
from convkit import ops
from convkit.ops.conv_transpose import _shuffles_width, pack_conv_transpose_kernel
from tests.support import reference_conv as ref
from tests.support.nonfinite import assert_same_nonfinite, poison

# (spatial, kernel, strides, padding, output_padding, channels, filters, batch)
CASES = [
    ((5,), (2,), (2,), "same", None, 3, 4, 2),             # 1-D k == s
    ((7,), (3,), (3,), "valid", None, 2, 5, 1),            # 1-D k == s == 3
    ((4, 5), (2, 2), (2, 2), "same", None, 6, 7, 2),       # 2-D k == s
    ((3, 4), (4, 2), (2, 2), "same", None, 3, 5, 1),       # H overlaps, W shuffles
    ((3, 3), (1, 3), (2, 3), "valid", None, 2, 3, 2),      # H k < s, W k == s
    ((2, 3, 4), (2, 2, 2), (2, 2, 2), "same", None, 4, 6, 2),  # 3-D U-Net up-conv, small
    ((2, 2, 3), (3, 1, 2), (2, 1, 2), "valid", None, 2, 3, 1),  # 3-D mixed
    ((1, 1), (2, 2), (2, 2), "same", None, 1, 1, 1),       # one pixel, one channel
    ((1, 1, 1), (2, 2, 2), (2, 2, 2), "valid", None, 1, 70, 1),  # one voxel, 70 filters
    ((4, 5), (2, 2), (2, 2), "valid", (1, 1), 3, 4, 1),    # output_padding: per phase
    ((4, 5), (2, 2), (2, 2), "same", (1, 0), 3, 4, 1),     # W tail-free, H padded
    ((4, 5), (3, 3), (2, 2), "same", None, 3, 4, 2),       # k > s: per phase
    ((4, 5), (1, 1), (2, 2), "valid", None, 3, 4, 2),      # k < s: per phase
    ((6,), (2,), (2,), "valid", None, 2, 3, 1),            # valid 1-D k == s
]


def arrays(spatial, ks, c, f, batch, dtype, data_format, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (batch, *spatial, c)).astype(dtype)
    k = rng.uniform(-1, 1, (*ks, f, c)).astype(dtype)
    b = rng.uniform(-1, 1, f).astype(dtype)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    return x, k, b


def oracle(x, k, b, strides, padding, op, data_format):
    y = ref.conv_transpose(x.astype(np.float64), k.astype(np.float64), strides, padding, op,
                           data_format)
    rank = k.ndim - 2
    shape = (-1,) if data_format == "channels_last" else (-1, *(1,) * rank)
    return y + b.astype(np.float64).reshape(shape)


def red(k):
    return int(np.prod(k.shape[:-2])) * k.shape[-1]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES)
def test_float64_matches_oracle_with_relu(case, data_format):
    spatial, ks, s, padding, op, c, f, batch = case
    x, k, b = arrays(spatial, ks, c, f, batch, np.float64, data_format)
    ours = ops.conv_transpose(x, k, s, padding, op, data_format, bias=b, activation="relu")
    expected = np.maximum(oracle(x, k, b, s, padding, op, data_format), 0)
    assert ours.shape == expected.shape and ours.dtype == np.float64
    assert ours.flags.c_contiguous
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12 * np.sqrt(red(k)))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES)
def test_float32_matches_keras(case, data_format):
    spatial, ks, s, padding, op, c, f, batch = case
    x, k, b = arrays(spatial, ks, c, f, batch, np.float32, data_format, seed=1)
    ours = ops.conv_transpose(x, k, s, padding, op, data_format, bias=b)
    expected = np.asarray(keras.ops.conv_transpose(x, k, s, padding, op, data_format))
    expected = expected + (b if data_format == "channels_last"
                           else b.reshape(-1, *(1,) * len(spatial)))
    assert ours.shape == expected.shape and ours.dtype == np.float32
    scale = 1e-5 * np.sqrt(red(k))
    np.testing.assert_allclose(ours, expected, rtol=scale, atol=scale)


@pytest.mark.parametrize("ks, s, out_w, data_format, groups, expected", [
    ((2, 2), (2, 2), 10, "channels_last", 1, True),
    ((3, 2), (2, 2), 10, "channels_last", 1, True),    # only W needs k == s
    ((2, 2), (2, 2), 11, "channels_last", 1, False),   # an output_padding column
    ((2, 2), (2, 2), 10, "channels_first", 1, False),
    ((2, 2), (2, 2), 10, "channels_last", 2, False),
    ((2, 3), (2, 2), 11, "channels_last", 1, False),   # W taps overlap
    ((2, 1), (2, 1), 5, "channels_last", 1, False),    # stride 1 along W: nothing to merge
])
def test_width_shuffle_is_chosen_only_where_it_is_exact(ks, s, out_w, data_format, groups,
                                                         expected):
    """Input width 5, no crop: the shuffle needs k_w == s_w > 1, exactly 5*s_w output
    columns, channels_last and one group."""
    packed = pack_conv_transpose_kernel(np.ones((*ks, 4, 4)), s)
    assert _shuffles_width(packed, groups, data_format, 5, 0, out_w) is expected


def test_width_shuffle_refuses_a_cropped_width():
    packed = pack_conv_transpose_kernel(np.ones((2, 2, 3, 3)), 2)
    assert _shuffles_width(packed, 1, "channels_last", 5, 0, 10)
    assert not _shuffles_width(packed, 1, "channels_last", 5, 1, 9)
    assert not _shuffles_width(packed, 1, "channels_last", 5, 0, 9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ks", [((2, 9, 8, 7, 33), (2, 2, 2)), ((3, 13, 11, 24), (2, 2)),
                                       ((4, 29, 70), (2,))])
def test_bit_identical_across_thread_counts(dtype, shape, ks):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((*ks, 40, shape[-1])).astype(dtype)
    b = rng.standard_normal(40).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv_transpose(x, k, 2, "same", bias=b, activation="relu"))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])


def test_packed_kernel_serves_shuffled_and_per_phase_calls():
    """One packed kernel caches both packings: the shuffled one (no output_padding) and the
    per-phase one (output_padding); each call matches the oracle."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 5))
    k = rng.standard_normal((2, 2, 6, 5))
    packed = ops.pack_conv_transpose_kernel(k, 2)
    zero = np.zeros(6)
    for op in (None, 1, None):
        ours = ops.conv_transpose(x, packed, 2, "valid", op)
        np.testing.assert_allclose(ours, oracle(x, k, zero, 2, "valid", op, "channels_last"),
                                   rtol=1e-12, atol=1e-12 * np.sqrt(red(k)))


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_nonfinite_weights_reach_only_their_own_block(value):
    """k == s: an inf/NaN weight of tap t reaches only the outputs of tap t (each input
    pixel's own block), as in the scatter-defined oracle."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (1, 3, 4, 2)).astype(np.float32)
    k = poison(rng.uniform(-1, 1, (2, 2, 3, 2)).astype(np.float32), 7, value, 2)
    b = np.zeros(3, np.float32)
    expected = oracle(x, k, b, 2, "same", None, "channels_last")
    assert_same_nonfinite(ops.conv_transpose(x, k, 2, "same"), expected, rtol=1e-5,
                          atol=1e-5)
