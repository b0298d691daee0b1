"""Few-filter forward convolutions with blocks of output columns merged into output channels
(ops/_conv_column_merge.py, docs/design/kernels.md §5).

The merged job only adds exact zero products to each sum, in the order the plain job sums its
products, so a finite result must equal the plain job's bit for bit; inf/NaN kernels keep the
plain path and an inf/NaN input falls back to it, so non-finite values land where Keras puts
them."""

import itertools

import keras
import numpy as np
import pytest

import convkit
from convkit import ops
from convkit.ops import _conv_column_merge, _conv_plans, _direct
from convkit.ops._geometry import conv_geometry
from convkit.ops.conv import PackedConvKernel
from tests.support import reference_conv
from tests.support.keras_oracle import assert_close


def _packed(k, merge=True):
    return PackedConvKernel(k, column_merge=merge)


def _block(k, spatial, strides=1, padding="same", dilation=1, data_format="channels_last",
           groups=1, **kw):
    pk = PackedConvKernel(k, **kw)
    geometry = conv_geometry(spatial, k.shape[:-2], strides, padding, dilation, who="conv")
    return _conv_column_merge.column_block(pk, groups, geometry, data_format)


def _has_empty_lanes(filters, char):
    _, _, kb = _direct._choose_tile(filters, np.dtype(char), _direct._conv)
    return filters % kb != 0


def test_the_cost_rule_merges_few_filters_of_wide_kernels_only():
    z = np.zeros
    assert _block(z((3, 3, 16, 1), np.float32), (64, 64)) > 1   # the autoencoder's conv16->1
    assert _block(z((3, 3, 16, 1), np.float32), (64, 64), strides=2) > 1
    # 4 float32 or 2 float64 filters merge where they leave lanes of their block empty
    # (AVX-512, AVX2), not where they fill it (SSE2's 4- and 2-lane blocks)
    assert (_block(z((3, 3, 16, 4), np.float32), (64, 64)) > 1) == _has_empty_lanes(4, "f")
    assert (_block(z((3, 3, 8, 2)), (9, 9)) > 1) == _has_empty_lanes(2, "d")
    # 1x1 kernels: a block of b columns has b taps, the same lanes per column as plain
    assert _block(z((1, 1, 64, 2), np.float32), (256, 256)) == 0
    assert _block(z((3, 3, 1, 32), np.float32), (28, 28)) == 0  # full blocks already
    # what the merge needs: one group, no W dilation, channels_last, a finite kernel
    assert _block(z((3, 3, 4, 2), np.float32), (9, 9), groups=2) == 0
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), dilation=(1, 2)) == 0
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), data_format="channels_first") == 0
    assert _block(np.full((3, 3, 4, 1), np.inf, np.float32), (9, 9)) == 0
    assert _block(z((3, 3, 4, 1), np.float32), (9, 1)) == 0    # one output column
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), tile="slim") == 0
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), column_merge=False) == 0
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), column_merge=5) == 5
    assert _block(z((3, 3, 4, 1), np.float32), (9, 9), column_merge=40) == 9


def test_the_merged_kernel_puts_each_columns_taps_at_its_offset():
    rng = np.random.default_rng(1)
    k = rng.standard_normal((2, 3, 4, 2, 3))  # (KD, KH, KW, C, F)
    merge = _conv_column_merge.ColumnMerge(k, block=3, s_w=2, module=None)
    assert merge.taps_w == (3 - 1) * 2 + 4
    assert merge.merged.fg == 3 * 3 and merge.tail.tile == merge.merged.tile


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("strides", [1, 2, (2, 1), (1, 3)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_many_widths_equal_the_oracle_and_the_plain_job(dtype, strides, padding):
    # widths giving whole blocks, tails of every length, a single block and fewer columns
    # than one block; 1 to 4 filters; bias and relu; batch 1 and 2
    rng = np.random.default_rng(2)
    for w, f, ks in itertools.product((3, 4, 7, 16, 17, 23, 34), (1, 2, 3, 4),
                                      ((3, 3), (1, 3), (2, 5))):
        if padding == "valid" and w < ks[1]:
            continue
        n = 1 + w % 2
        x = rng.standard_normal((n, 5, w, 3)).astype(dtype)
        k = rng.standard_normal((*ks, 3, f)).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        kw = dict(strides=strides, padding=padding, algorithm="direct")
        merged = ops.conv(x, _packed(k), bias=b, activation="relu", **kw)
        plain = ops.conv(x, _packed(k, False), bias=b, activation="relu", **kw)
        np.testing.assert_array_equal(merged, plain)
        want = np.maximum(reference_conv.conv(x, k, strides, padding, bias=b), 0)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(merged, want, rtol=tol, atol=tol * 10)


def test_one_pixel_widths_batch_one_and_1d_3d():
    rng = np.random.default_rng(3)
    for xshape, kshape, padding in (
            ((1, 1, 1, 2), (3, 3, 2, 1), "same"),
            ((1, 4, 1, 2), (3, 3, 2, 2), "same"),
            ((1, 3, 2, 1), (3, 3, 1, 1), "same"),
            ((1, 40, 3), (5, 3, 2), "same"),           # Conv1D: W is the only axis
            ((1, 19, 1), (3, 1, 1), "causal"),
            ((2, 3, 4, 21, 2), (2, 3, 3, 2, 1), "same")):
        x = rng.standard_normal(xshape)
        k = rng.standard_normal(kshape)
        got = ops.conv(x, _packed(k), padding=padding, algorithm="direct")
        np.testing.assert_array_equal(
            got, ops.conv(x, _packed(k, False), padding=padding, algorithm="direct"))
        np.testing.assert_allclose(got, reference_conv.conv(x, k, padding=padding),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block", [2, 5, 16, 32])
def test_forced_blocks_equal_the_plain_job(block):
    # any block is exact; the rule only decides speed
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 37, 5)).astype(np.float32)
    for f, strides in ((1, 1), (3, 2), (6, 1)):
        k = rng.standard_normal((3, 3, 5, f)).astype(np.float32)
        b = rng.standard_normal(f).astype(np.float32)
        kw = dict(strides=strides, padding="same", bias=b, algorithm="direct")
        merged = _packed(k, block)
        np.testing.assert_array_equal(ops.conv(x, merged, **kw),
                                      ops.conv(x, _packed(k, False), **kw))


def test_keras_float32():
    rng = np.random.default_rng(5)
    for xshape, kshape, strides, padding in (((2, 20, 33, 16), (3, 3, 16, 1), 1, "same"),
                                             ((1, 17, 18, 8), (3, 3, 8, 4), 2, "same"),
                                             ((3, 9, 30, 4), (2, 5, 4, 2), 1, "valid")):
        x = rng.standard_normal(xshape).astype(np.float32)
        k = rng.standard_normal(kshape).astype(np.float32)
        ours = ops.conv(x, k, strides=strides, padding=padding)
        want = np.asarray(keras.ops.conv(x, k, strides=strides, padding=padding))
        assert_close(ours, want, int(np.prod(kshape[:-1])), np.float32)


def test_bit_identical_for_1_2_3_threads():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 32, 45, 16)).astype(np.float32)
    k = ops.pack_conv_kernel(rng.standard_normal((3, 3, 16, 1)).astype(np.float32))
    outs = []
    for threads in (1, 2, 3):
        with convkit.num_threads(threads):
            outs.append(ops.conv(x, k, padding="same", algorithm="direct"))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_kernels_and_inputs_put_nans_where_keras_does(bad):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 6, 20, 2))
    k = rng.standard_normal((3, 3, 2, 1))
    # a non-finite weight meets the padding: the plain path with explicit padding
    kb = k.copy()
    kb[0, 0, 0, 0] = bad
    got = ops.conv(x, kb, padding="same", algorithm="direct")
    with np.errstate(invalid="ignore"):
        want = reference_conv.conv(x, kb, padding="same")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # a non-finite input: a merged zero tap would make NaNs in neighbouring columns, so the
    # result is computed again by the plain job, remembered plan or not
    xb = x.copy()
    xb[0, 2, 7, 1] = bad
    with np.errstate(invalid="ignore"):
        want = reference_conv.conv(xb, k, padding="same")
    packed = _packed(k)
    for _ in range(2):
        got = ops.conv(xb, packed, padding="same", algorithm="direct")
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # and a finite input after it runs merged again
    np.testing.assert_array_equal(ops.conv(x, packed, padding="same", algorithm="direct"),
                                  ops.conv(x, _packed(k, False), padding="same",
                                           algorithm="direct"))


def test_a_remembered_merged_call_reads_the_bias_of_each_call():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 7, 29, 3)).astype(np.float32)
    k = _packed(rng.standard_normal((3, 3, 3, 2)).astype(np.float32))
    key = _conv_plans.plan_key(x, k, 1, "same", None, 1, None, None, "direct")
    first = ops.conv(x, k, padding="same", algorithm="direct")
    plan = _conv_plans.remembered(key)
    assert plan is not None and plan.block > 1
    bias = rng.standard_normal(2).astype(np.float32)
    with_bias = ops.conv(x, k, padding="same", algorithm="direct", bias=bias)
    np.testing.assert_array_equal(ops.conv(x, k, padding="same", algorithm="direct"), first)
    np.testing.assert_allclose(with_bias, first + bias, rtol=1e-6, atol=1e-6)
