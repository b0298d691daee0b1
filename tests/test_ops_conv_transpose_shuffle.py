"""Strided transposed convolutions whose W phases become output channels of one job.

In channels_last the ``s`` output columns ``s*m .. s*m + s - 1`` are contiguous, so
``conv_transpose_5d`` can store every W phase from one job (``_width_merge``): a pixel shuffle
when ``kernel_w == strides_w``; for other kernels a merged kernel with zero taps where a phase
has none, taken when it needs fewer register-block taps (16 filters at stride 2: the
autoencoder's convT16/2). Explicit cases here, beside the random ones of
test_ops_conv_transpose.py: k == s in 1/2/3-D, mixed axes, k > s with and without crop, the
shapes that must fall back to one job per phase (an odd output width, channels_first, groups,
a merge that does not pay, a non-finite input), small sizes, relu, float64 against the oracle
at 1e-12 and float32 against Keras.
"""

import keras  # noqa: F401  (KERAS_BACKEND is set by conftest)
import numpy as np
import pytest

import convkit
from convkit import _kernels, ops
from convkit.ops import _direct
from convkit.ops.conv_transpose import _width_merge, pack_conv_transpose_kernel
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
    ((4, 5), (3, 3), (2, 2), "same", None, 3, 4, 2),       # k > s: merged, zero taps
    ((4, 5), (1, 1), (2, 2), "valid", None, 3, 4, 2),      # k < s: per phase
    ((6,), (2,), (2,), "valid", None, 2, 3, 1),            # valid 1-D k == s
    ((3, 8), (3, 3), (2, 2), "same", None, 5, 16, 2),      # the autoencoder's convT16/2
    ((3, 4), (3, 3), (2, 2), "valid", (1, 1), 2, 16, 1),   # k > s, a crop of 0, 10 columns
    ((2, 5), (5, 5), (2, 2), "same", None, 3, 6, 1),       # k = 5: crop 1 (odd residue)
    ((2, 4), (4, 4), (3, 3), "same", None, 2, 5, 2),       # stride 3, k = 4
    ((3, 5), (3, 3), (2, 2), "valid", None, 3, 4, 1),      # 11 columns: per phase
    ((1, 1), (3, 3), (2, 2), "same", None, 1, 1, 1),       # one pixel, merged
    ((3, 8), (3, 3), (1, 1), "same", None, 1, 16, 2),      # stride 1: 2-column blocks
    ((2, 6), (3, 3), (1, 1), "valid", None, 3, 8, 1),      # stride 1, 8 columns: 4-blocks
    ((2, 1), (3, 3), (1, 1), "valid", None, 2, 16, 1),     # stride 1, one input column
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


def _lanes(filters):
    """Lanes ``filters`` take in the loaded direct kernel's float64 register blocks."""
    _, _, kb = _direct._choose_tile(filters, np.dtype(np.float64), _direct._conv)
    return -(-filters // kb) * kb


def _cheapest_block(k_w, s_w, f, crop, out_w):
    """The rule, restated: the column block (s_w times 1, 2 or 4; 0 for the phases) with the
    fewest register-block taps per output column; a merged tap spans the input columns the
    block's output columns reach."""
    best, best_cost = 0, k_w * _lanes(f) / s_w
    for q in (1, 2, 4):
        block = q * s_w
        if block == 1 or out_w % block:
            continue
        reach = [(p + crop % s_w - t) // s_w for p in range(block) for t in range(k_w)
                 if (p + crop % s_w - t) % s_w == 0]
        cost = (max(reach) - min(reach) + 1) * _lanes(block * f) / block
        if cost < best_cost:
            best, best_cost = block, cost
    return best


@pytest.mark.parametrize("ks, s, f, crop, out_w, data_format, groups, expected", [
    ((2, 2), (2, 2), 4, 0, 10, "channels_last", 1, 2),     # the pixel shuffle, any ISA
    ((3, 2), (2, 2), 4, 0, 10, "channels_last", 1, 2),     # only W counts
    ((2, 2), (2, 2), 4, 0, 11, "channels_last", 1, 0),     # an output_padding column
    ((2, 2), (2, 2), 4, 0, 10, "channels_first", 1, 0),
    ((2, 2), (2, 2), 4, 0, 10, "channels_last", 2, 0),
    ((2, 1), (2, 1), 4, 0, 5, "channels_last", 1, 0),      # stride 1, k 1: nothing to gain
    ((2, 3), (2, 2), 4, 0, 11, "channels_last", 1, 0),     # a half column block
    # avx512 float64 blocks: 8 lanes (the slim tile) up to 8 filters, 16 for 9-16, 32 beyond
    ((2, 3), (2, 2), 4, 0, 10, "channels_last", 1, "avx512: 2"),   # 2 taps of 8 / 2 cols
    ((2, 3), (2, 2), 4, 0, 12, "channels_last", 1, "avx512: 2"),   # 3 taps of 16 / 4: more
    ((2, 3), (2, 2), 16, 0, 10, "channels_last", 1, "avx512: 0"),  # 2 of 32 > 3 of 16 / 2
    ((2, 2), (2, 2), 3, 1, 10, "channels_last", 1, "avx512: 0"),   # crop 1: no gain
    ((2, 3), (1, 1), 8, 1, 8, "channels_last", 1, "avx512: 0"),    # 8 filters fill 8 lanes
    ((2, 3), (1, 1), 16, 1, 8, "channels_last", 1, "avx512: 0"),   # 16 filters fill 16
])
def test_width_merge_is_chosen_where_it_pays(ks, s, f, crop, out_w, data_format, groups,
                                             expected):
    """float64 kernels, input width 5: the merge needs whole column blocks, channels_last,
    one group, and fewer register-block taps per output column than the phases; the block
    with the fewest is taken. Lane counts depend on the ISA copy: the cost cases follow the
    rule on every copy and, on avx512 (16-lane float64 blocks), the values noted."""
    packed = pack_conv_transpose_kernel(np.ones((*ks, f, 4)), s)
    x5 = np.ones((1, 1, 3, 5, 4))
    got = _width_merge(packed, groups, data_format, x5, crop, out_w)
    if isinstance(expected, int):
        assert got == expected
        return
    assert got == _cheapest_block(ks[-1], s[-1], f, crop, out_w)
    if _kernels.ISA == "avx512":
        assert got == int(expected.split(": ")[1])


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_width_merge_leaves_non_finite_inputs_to_the_phases(value):
    """A merged zero tap times an inf input would make a NaN the definition does not have:
    a non-finite input takes the per-phase jobs, whose non-finite outputs are the oracle's."""
    rng = np.random.default_rng(7)
    x = poison(rng.standard_normal((2, 3, 4, 5)), 3, value, count=2)
    k = rng.standard_normal((3, 3, 1, 5))  # one filter: merged blocks pay on every ISA
    packed = pack_conv_transpose_kernel(k, 2)
    assert _width_merge(packed, 1, "channels_last", np.ones((1, 1, 3, 4, 5)), 0, 8)
    assert not _width_merge(packed, 1, "channels_last", x[:, None], 0, 8)
    ours = ops.conv_transpose(x, k, 2, "same")
    with np.errstate(invalid="ignore"):
        expected = oracle(x, k, np.zeros(1), 2, "same", None, "channels_last")
    assert_same_nonfinite(ours, expected, rtol=1e-12, atol=1e-12 * np.sqrt(red(k)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ks", [((2, 9, 8, 7, 33), (2, 2, 2)), ((3, 13, 11, 24), (2, 2)),
                                       ((4, 29, 70), (2,)), ((3, 13, 11, 24), (3, 3))])
def test_bit_identical_across_thread_counts(dtype, shape, ks):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    f = 16 if ks == (3, 3) else 40  # 3x3: 16 filters take the merge with zero taps
    k = rng.standard_normal((*ks, f, shape[-1])).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
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
