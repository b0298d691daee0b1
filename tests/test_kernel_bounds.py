"""Kernels at the edges of their arrays: inputs that end exactly where their buffer ends.

Every compiled op reads an input view that starts at each item offset from a 64-byte boundary
and ends on the last byte of its allocation, over small shapes that put borders, tails and
partial tiles everywhere; results must match the NumPy oracles.

In the normal suite this checks the offsets and shapes. ``make test-asan`` runs the same file on
kernels built with AddressSanitizer, where a read or write one byte outside an array aborts
the run: the check that no kernel leaves its arrays. The module imports no Keras (Keras on jax
does not start under the sanitizer's runtime).
"""

import itertools

import numpy as np
import pytest

import convkit
from convkit import _kernels, ops
from convkit.ops.conv import PackedConvKernel
from convkit.ops.resample import crop, upsample, zero_pad
from tests.support import (
    reference_conv,
    reference_conv_grad,
    reference_depthwise,
    reference_pooling,
    reference_resample,
)
from tests.support.offset_views import ending_views


def _close(y, expected, dtype):
    tol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_and_separable(dtype):
    # channels one and several vectors wide (the aligned row path) and with a tail; rows of
    # 1, 2, 3 and 9 pixels; the row-kernel sizes and a generic one; strides 1 and 2
    rng = np.random.default_rng(0)
    for c, ks, w, stride, pad in itertools.product(
            (16, 32, 19), ((3, 3), (1, 3), (5, 5), (1, 5), (2, 3)), (1, 2, 3, 9), (1, 2),
            ("same", "valid")):
        if pad == "valid" and (w < ks[1] or 4 < ks[0]):
            continue
        x = rng.standard_normal((2, 4, w, c)).astype(dtype)
        dk = rng.standard_normal((*ks, c, 1)).astype(dtype)
        pk = rng.standard_normal((1, 1, c, 5)).astype(dtype)
        kw = dict(strides=stride, padding=pad)
        want_dw = reference_depthwise.depthwise_conv(x, dk, **kw)
        want_sep = reference_depthwise.separable_conv(x, dk, pk, **kw)
        for view in ending_views(x):
            _close(ops.depthwise_conv(view, dk, **kw), want_dw, dtype)
            _close(ops.separable_conv(view, dk, pk, **kw), want_sep, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_row_pairs(dtype):
    # 3x3 stride-1 rows of 10 pixels or more run in pairs (_depthwise_pairs.pxi): odd and
    # even row counts, edge rows, one vector of channels and a tail, every start offset
    rng = np.random.default_rng(12)
    for c, h, w, pad in itertools.product((16, 19), (2, 3, 5), (10, 13), ("same", "valid")):
        x = rng.standard_normal((2, h, w, c)).astype(dtype)
        dk = rng.standard_normal((3, 3, c, 1)).astype(dtype)
        b = rng.standard_normal(c).astype(dtype)
        if pad == "valid" and h < 3:
            continue
        want = reference_depthwise.depthwise_conv(x, dk, padding=pad, bias=b)
        for view in ending_views(x):
            _close(ops.depthwise_conv(view, dk, padding=pad, bias=b), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_channels_first(dtype):
    # the channel-block kernel reads and writes NCHW planes itself: 1-pixel images, windows
    # larger than the input, one channel and channel tails, strides 1 and 2
    # (the channels_last cases above take it too, for their short rows)
    rng = np.random.default_rng(7)
    for c, hw, ks, stride in itertools.product(
            (1, 19), ((1, 1), (2, 3), (5, 9)), ((3, 3), (5, 5), (1, 3)), (1, 2)):
        x = rng.standard_normal((2, *hw, c)).astype(dtype)
        dk = rng.standard_normal((*ks, c, 1)).astype(dtype)
        kw = dict(strides=stride, padding="same")
        want = np.moveaxis(reference_depthwise.depthwise_conv(x, dk, **kw), -1, 1)
        for view in ending_views(np.moveaxis(x, -1, 1)):
            _close(ops.depthwise_conv(view, dk, data_format="channels_first", **kw), want,
                   dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_planes(dtype):
    # the plane kernel (channels_first rows of 10 pixels or more): its padded band buffer, the
    # partial last vector of a row, flat vectors running past the band (10-12 pixels), stride
    # phases, a depth multiplier, one channel; then the kernel itself on 1-pixel images
    rng = np.random.default_rng(11)
    for c, hw, ks, stride, m in itertools.product(
            (1, 3), ((1, 10), (2, 11), (5, 17), (3, 33)), ((3, 3), (5, 5), (1, 3)), (1, 2),
            (1, 2)):
        x = rng.standard_normal((2, *hw, c)).astype(dtype)
        dk = rng.standard_normal((*ks, c, m)).astype(dtype)
        kw = dict(strides=stride, padding="same")
        want = np.moveaxis(reference_depthwise.depthwise_conv(x, dk, **kw), -1, 1)
        for view in ending_views(np.moveaxis(x, -1, 1)):
            _close(ops.depthwise_conv(view, dk, data_format="channels_first", **kw), want,
                   dtype)
    dw = _kernels.load("_depthwise")
    fn = dw.depthwise_planes_f32 if dtype == np.float32 else dw.depthwise_planes_f64
    for hw, ks, pad in (((1, 1), (3, 3), (1, 1)), ((1, 1), (1, 1), (0, 0)),
                        ((2, 1), (5, 5), (2, 2)), ((1, 3), (3, 3), (1, 1))):
        x = rng.standard_normal((1, 2, *hw)).astype(dtype)
        dk = rng.standard_normal((*ks, 2, 1)).astype(dtype)
        want = np.moveaxis(reference_depthwise.depthwise_conv(
            np.moveaxis(x, 1, -1), dk, padding="same"), -1, 1)
        w = ops.depthwise.pack_depthwise_kernel(dk).weights
        for view in ending_views(x):
            y = np.empty(want.shape, dtype)
            fn(view, w, np.empty(0, dtype), y, ks, (1, 1), (1, 1), pad, 0, 2)
            _close(y, want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depth_multiplier(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 7, 8)).astype(dtype)
    dk = rng.standard_normal((3, 3, 8, 3)).astype(dtype)
    want = reference_depthwise.depthwise_conv(x, dk, padding="same")
    for view in ending_views(x):
        _close(ops.depthwise_conv(view, dk, padding="same"), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv(dtype):
    # ranks 1-3; borders on every side; channel counts below, at and past a tile's width;
    # groups; stride and dilation; inputs narrower than the kernel under "same"
    rng = np.random.default_rng(2)
    cases = [
        ((1, 9, 3), (3, 3, 8), dict(padding="causal")),
        ((2, 5, 4), (4, 4, 37), dict(padding="same", strides=2)),
        ((1, 6, 7, 3), (3, 3, 3, 16), dict(padding="same")),
        ((2, 5, 5, 8), (3, 3, 4, 6), dict(padding="same")),   # groups 2
        ((1, 7, 6, 2), (3, 2, 2, 70), dict(padding="valid", dilation_rate=2)),
        ((1, 2, 2, 5), (5, 5, 5, 9), dict(padding="same")),
        ((1, 3, 4, 5, 2), (3, 3, 3, 2, 33), dict(padding="same")),
        # 8+ output rows: columns touching the W padding are tiled down the rows, reading
        # only their in-range taps (merged kernel rows, then tap by tap under W dilation)
        ((2, 8, 6, 4), (2, 5, 4, 40), dict(padding="same", strides=(1, 2))),
        ((1, 9, 5, 3), (3, 3, 3, 16), dict(padding="same", dilation_rate=(1, 2))),
    ]
    for xshape, kshape, kw in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        b = rng.standard_normal(kshape[-1]).astype(dtype)
        want = reference_conv.conv(x, k, bias=b, **kw)
        for view in ending_views(x):
            _close(ops.conv(view, k, bias=b, **kw), want, dtype)
            first = np.moveaxis(view, -1, 1)   # channels_first input and output
            got = ops.conv(np.ascontiguousarray(first), k, bias=b, data_format="channels_first",
                           **kw)
            _close(np.moveaxis(got, 1, -1), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_group_tiles(dtype):
    # the group tiles (several whole groups of one vector of filters per register tile):
    # 1-pixel images, one input channel per group, batch 1, windows larger than the input,
    # strides, partial tiles; channels_last and channels_first outputs
    conv_module = _kernels.load("_conv")
    char = "d" if dtype == np.float64 else "f"
    rng = np.random.default_rng(21)
    for tile in ("small", "tiny"):
        gp = conv_module.tile_groups()[tile]
        fg = conv_module.tile_info()[(char, tile)][1] // gp
        for n, spatial, cg, ks, kw in (
                (1, (1, 1), 1, (3, 3), dict(padding="same")),
                (2, (1, 1), 3, (1, 1), dict(padding="valid")),
                (1, (2, 2), 1, (5, 5), dict(padding="same")),
                (1, (5, 4), 2, (3, 3), dict(padding="same", strides=2)),
                (3, (4, 7), 1, (2, 3), dict(padding="valid", dilation_rate=(1, 2))),
                (1, (1,), 2, (3,), dict(padding="causal")),
                (2, (9, 10), 1, (3, 3), dict(padding="same")),  # edge columns down the rows
        ):
            groups = 2 * gp
            x = rng.standard_normal((n, *spatial, groups * cg)).astype(dtype)
            k = rng.standard_normal((*ks, cg, groups * fg)).astype(dtype)
            b = rng.standard_normal(groups * fg).astype(dtype)
            assert ops.pack_conv_kernel(k).packed(groups).tile == tile
            want = reference_conv.conv(x, k, bias=b, **kw)
            for view in ending_views(x):
                _close(ops.conv(view, k, bias=b, algorithm="direct", **kw), want, dtype)
                first = np.ascontiguousarray(np.moveaxis(view, -1, 1))
                got = ops.conv(first, k, bias=b, data_format="channels_first",
                               algorithm="direct", **kw)
                _close(np.moveaxis(got, 1, -1), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_slim_tile(dtype):
    # the slim tile (one vector of filters, more pixels): 1-pixel images, one input channel,
    # one filter, batch 1, windows larger than the input, strides, a partial last tile and a
    # partial block, groups; channels_last and channels_first outputs, 1 and 2 threads
    conv_module = _kernels.load("_conv")
    char = "d" if dtype == np.float64 else "f"
    wb, kb = conv_module.tile_info()[(char, "slim")]
    rng = np.random.default_rng(22)
    for n, spatial, c, f, groups, ks, kw in (
            (1, (1, 1), 1, 1, 1, (3, 3), dict(padding="same")),
            (2, (1, 1), 3, kb, 1, (1, 1), dict(padding="valid")),
            (1, (2, 2), 1, kb + 1, 1, (5, 5), dict(padding="same")),
            (1, (wb + 1, 3), 2, 2, 1, (1, 1), dict(padding="same", strides=2)),
            (3, (4, 7), 2 * 3, 2 * kb, 2, (2, 3), dict(padding="valid", dilation_rate=(1, 2))),
            (1, (1,), 2, 3, 1, (3,), dict(padding="causal")),
            (2, (9, 10), 4, kb - 1, 1, (3, 3), dict(padding="same")),  # edge columns
    ):
        x = rng.standard_normal((n, *spatial, c)).astype(dtype)
        k = rng.standard_normal((*ks, c // groups, f)).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        packed = PackedConvKernel(k, tile="slim")
        want = reference_conv.conv(x, k, bias=b, **kw)
        for threads in (1, 2):
            with convkit.num_threads(threads):
                for view in ending_views(x):
                    _close(ops.conv(view, packed, bias=b, algorithm="direct", **kw), want, dtype)
                    first = np.ascontiguousarray(np.moveaxis(view, -1, 1))
                    got = ops.conv(first, packed, bias=b, data_format="channels_first",
                                   algorithm="direct", **kw)
                    _close(np.moveaxis(got, 1, -1), want, dtype)
        assert packed.packed(groups).tile == "slim"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_column_merge(dtype):
    # few filters with blocks of output columns as output channels (ops/_conv_column_merge):
    # 1-pixel images, one input channel, batch 1, windows wider than the input, a tail job
    # of 1 column, a block wider than the row, strides 2; the merged taps of the last block
    # reach past the row's end (they must read zeros, never the next row)
    rng = np.random.default_rng(23)
    for n, spatial, c, f, ks, block, kw in (
            (1, (1, 1), 1, 1, (3, 3), 4, dict(padding="same")),
            (1, (1, 2), 1, 1, (1, 5), 16, dict(padding="same")),
            (2, (3, 9), 1, 2, (3, 3), 4, dict(padding="same")),       # tail of 1
            (1, (2, 13), 3, 3, (2, 5), 5, dict(padding="same", strides=2)),
            (1, (4, 7), 2, 1, (3, 7), 2, dict(padding="valid")),      # one output column
            (2, (5, 33), 4, 4, (3, 3), 32, dict(padding="valid")),
    ):
        x = rng.standard_normal((n, *spatial, c)).astype(dtype)
        k = rng.standard_normal((*ks, c, f)).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        packed = PackedConvKernel(k, column_merge=block)
        want = reference_conv.conv(x, k, bias=b, **kw)
        for threads in (1, 2):
            with convkit.num_threads(threads):
                for view in ending_views(x):
                    _close(ops.conv(view, packed, bias=b, algorithm="direct", **kw), want,
                           dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_conv(dtype):
    # the Winograd kernel: 1x1 and 2x2 images under "same" (every tile mostly outside the
    # image), sizes not divisible by the 4x4 tile, one channel, a channel tail past a vector,
    # filters past a register block, groups, batch 1, "valid"; both output layouts; bias, relu
    rng = np.random.default_rng(7)
    cases = [
        ((1, 1, 1, 1), (3, 3, 1, 1), "same"),
        ((2, 2, 2, 3), (3, 3, 3, 5), "same"),
        ((1, 5, 7, 19), (3, 3, 19, 70), "same"),
        ((2, 9, 6, 8), (3, 3, 4, 6), "same"),      # groups 2
        ((1, 3, 3, 17), (3, 3, 17, 33), "valid"),  # a single 1x1 output
        ((1, 10, 11, 2), (3, 3, 2, 3), "valid"),
    ]
    for xshape, kshape, padding in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        b = rng.standard_normal(kshape[-1]).astype(dtype)
        want = np.maximum(reference_conv.conv(x, k, bias=b, padding=padding), 0)
        kw = dict(bias=b, padding=padding, activation="relu", algorithm="winograd")
        for view in ending_views(x):
            _close(ops.conv(view, k, **kw), want, dtype)
            got = ops.conv(np.ascontiguousarray(np.moveaxis(view, -1, 1)), k,
                           data_format="channels_first", **kw)
            _close(np.moveaxis(got, 1, -1), want, dtype)
    # enough work for two threads (threads_for), several tile blocks per image
    x = rng.standard_normal((2, 13, 14, 32)).astype(dtype)
    k = rng.standard_normal((3, 3, 32, 40)).astype(dtype)
    want = reference_conv.conv(x, k, padding="same")
    with convkit.num_threads(2):
        for view in ending_views(x):
            _close(ops.conv(view, k, padding="same", algorithm="winograd"), want, dtype)
    # the input gradient through it: padding 2 ("valid", its full correlation) and 1
    for xshape, kshape, padding in [((1, 3, 3, 2), (3, 3, 2, 5), "valid"),
                                    ((2, 1, 2, 3), (3, 3, 3, 4), "same"),
                                    ((1, 7, 5, 8), (3, 3, 4, 6), "valid")]:   # groups 2
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        dy = rng.standard_normal(reference_conv.conv(x, k, padding=padding).shape).astype(dtype)
        want_dx, _ = reference_conv_grad.conv_gradients(x, k, dy, padding=padding)
        for dyv in ending_views(dy):
            _close(ops.conv_input_gradient(dyv, k, x.shape, padding=padding,
                                           algorithm="winograd"), want_dx, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_conv3d(dtype):
    # the Winograd kernel's 3x3x3 depth taps: one voxel, depth 1 and 2 (taps outside the
    # input), sizes not divisible by the 4x4 tile, one channel, a channel tail, groups, batch
    # 1, "valid" (one output slice); both output layouts; bias, relu; then the input gradient
    # (depth padding 2 for "valid")
    rng = np.random.default_rng(8)
    cases = [
        ((1, 1, 1, 1, 1), (3, 3, 3, 1, 1), "same"),
        ((2, 2, 3, 2, 3), (3, 3, 3, 3, 5), "same"),
        ((1, 1, 5, 6, 19), (3, 3, 3, 19, 33), "same"),
        ((2, 4, 6, 5, 8), (3, 3, 3, 4, 6), "same"),       # groups 2
        ((1, 3, 3, 3, 17), (3, 3, 3, 17, 20), "valid"),   # a single 1x1x1 output
        ((1, 5, 7, 6, 2), (3, 3, 3, 2, 3), "valid"),
    ]
    for xshape, kshape, padding in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        b = rng.standard_normal(kshape[-1]).astype(dtype)
        want = np.maximum(reference_conv.conv(x, k, bias=b, padding=padding), 0)
        kw = dict(bias=b, padding=padding, activation="relu", algorithm="winograd")
        for view in ending_views(x):
            _close(ops.conv(view, k, **kw), want, dtype)
            got = ops.conv(np.ascontiguousarray(np.moveaxis(view, -1, 1)), k,
                           data_format="channels_first", **kw)
            _close(np.moveaxis(got, 1, -1), want, dtype)
    # enough work for two threads: several depth chunks and tile blocks per image
    x = rng.standard_normal((1, 9, 13, 10, 16)).astype(dtype)
    k = rng.standard_normal((3, 3, 3, 16, 24)).astype(dtype)
    want = reference_conv.conv(x, k, padding="same")
    with convkit.num_threads(2):
        for view in ending_views(x):
            _close(ops.conv(view, k, padding="same", algorithm="winograd"), want, dtype)
    for xshape, kshape, padding in [((1, 3, 3, 3, 2), (3, 3, 3, 2, 5), "valid"),
                                    ((2, 1, 1, 2, 3), (3, 3, 3, 3, 4), "same"),
                                    ((1, 4, 7, 5, 8), (3, 3, 3, 4, 6), "valid")]:  # groups 2
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        dy = rng.standard_normal(reference_conv.conv(x, k, padding=padding).shape).astype(dtype)
        want_dx, _ = reference_conv_grad.conv_gradients(x, k, dy, padding=padding)
        for dyv in ending_views(dy):
            _close(ops.conv_input_gradient(dyv, k, x.shape, padding=padding,
                                           algorithm="winograd"), want_dx, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose(dtype):
    rng = np.random.default_rng(3)
    cases = [
        ((2, 5, 3), (3, 6, 3), dict(strides=2, padding="same")),
        ((1, 4, 3, 4), (3, 3, 5, 4), dict(strides=2, padding="valid", output_padding=1)),
        ((1, 3, 3, 2), (2, 2, 17, 2), dict(strides=3, padding="same")),
        ((1, 2, 3, 2, 3), (3, 3, 3, 4, 3), dict(strides=2, padding="same")),
        ((1, 8, 4, 3), (3, 3, 5, 3), dict(strides=2, padding="same")),  # 8 rows per phase
        # k == s: W taps shuffled into the output channels of one job per phase
        ((1, 3, 3, 2), (2, 2, 40, 2), dict(strides=2, padding="same")),
        ((1, 1, 2, 3, 4), (2, 2, 2, 5, 4), dict(strides=2, padding="valid")),
        ((2, 1, 1, 1), (2, 2, 40, 1), dict(strides=2, padding="same")),  # one pixel, one channel
        # few filters: columns + overlap-add, with tails, gaps and a one-pixel image
        ((2, 5, 3), (4, 3, 3), dict(strides=2, padding="same")),
        ((1, 1, 1, 2), (4, 4, 3, 2), dict(strides=2, padding="same")),
        ((1, 4, 3, 1), (2, 2, 1, 1), dict(strides=3, padding="valid", output_padding=2)),
        ((1, 2, 3, 2, 3), (3, 2, 3, 2, 3), dict(strides=2, padding="same")),
    ]
    for xshape, kshape, kw in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        want = reference_conv.conv_transpose(x, k, **kw)
        for view in ending_views(x):
            _close(ops.conv_transpose(view, k, **kw), want, dtype)
            if kshape[-2] < 8:  # few filters: the overlap-add rows split over two threads
                with convkit.num_threads(2):
                    _close(ops.conv_transpose(view, k, **kw), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_gradients(dtype):
    # the weight-gradient kernel reads x and the output gradient in place (one group whose
    # filters fill the wide block exactly) or packed; sizes 1, kernels larger than the input
    # under "same", strides larger than the input, groups, causal, channel tails
    rng = np.random.default_rng(6)
    info = _kernels.load("_conv_grad").tile_info()
    kb = info[("d" if dtype == np.float64 else "f", "wide")][1]
    mid = info[("d" if dtype == np.float64 else "f", "mid")][1]
    cases = [
        ((1, 1, 1), (1, 1, 1), dict(padding="valid")),
        ((1, 1, 1, 1), (3, 3, 1, kb), dict(padding="same")),
        ((2, 2, 3, 3), (5, 4, 3, 2), dict(padding="same")),
        ((1, 3, 2, 4), (2, 2, 2, 6), dict(padding="same", strides=5)),   # groups 2
        ((1, 9, 7), (3, 7, kb), dict(padding="causal", dilation_rate=2)),
        ((2, 5, 4, 13), (2, 3, 13, 3), dict(padding="valid", strides=(4, 1))),
        ((1, 2, 3, 2, 3), (3, 3, 3, 3, kb + 1), dict(padding="same", strides=2)),
        ((1, 3, 2, 16), (2, 2, 8, 4), dict(padding="same")),  # 8 rows: the short tile
        ((1, 1, 1, 1), (3, 3, 1, 5), dict(padding="same")),   # 9 folded rows, one pixel
        ((1, 2, 3, 13), (3, 3, 13, mid), dict(padding="same")),    # the mid tile (avx512),
        ((1, 1, 1, 2, 2), (3, 3, 3, 2, mid), dict(padding="same")),  # tails, folded 3-D
    ]
    for xshape, kshape, kw in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        dy = rng.standard_normal(reference_conv.conv(x, k, **kw).shape).astype(dtype)
        want_dx, want_dk = reference_conv_grad.conv_gradients(x, k, dy, **kw)
        for xv, dyv in zip(ending_views(x), ending_views(dy), strict=False):
            _close(ops.conv_kernel_gradient(xv, dyv, kshape[:-2], groups=xshape[-1] // kshape[-2],
                                            **kw), want_dk, dtype)
            _close(ops.conv_input_gradient(dyv, k, x.shape, **kw), want_dx, dtype)
    # transposed: kernel larger than the input, strides larger than the input
    for xshape, kshape, kw in [((1, 1, 2), (4, 3, 2), dict(strides=3, padding="same")),
                               ((2, 2, 3, 3), (3, 3, kb, 3), dict(strides=4, padding="valid",
                                                                  output_padding=2))]:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        dy = rng.standard_normal(reference_conv.conv_transpose(x, k, **kw).shape).astype(dtype)
        want_dx, want_dk = reference_conv_grad.conv_transpose_gradients(x, k, dy, **kw)
        for xv, dyv in zip(ending_views(x), ending_views(dy), strict=False):
            _close(ops.conv_transpose_kernel_gradient(xv, dyv, kshape[:-2], **kw), want_dk,
                   dtype)
            _close(ops.conv_transpose_input_gradient(dyv, k, x.shape, **kw), want_dx, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resample(dtype):
    rng = np.random.default_rng(4)
    for shape in [(1, 5, 3), (2, 3, 4, 5), (1, 2, 3, 2, 3)]:
        x = rng.standard_normal(shape).astype(dtype)
        rank = x.ndim - 2
        pads = ((1, 2),) * rank
        crops = ((1, 0),) * rank
        want = [reference_resample.zero_pad(x, pads), reference_resample.crop(x, crops),
                reference_resample.upsample(x, (2,) * rank),
                reference_resample.upsample(x, (3,) * rank, interpolation="bilinear")
                if rank == 2 else None]
        for view in ending_views(x):
            _close(zero_pad(view, pads), want[0], dtype)
            _close(crop(view, crops), want[1], dtype)
            _close(upsample(view, (2,) * rank), want[2], dtype)
            if rank == 2:
                _close(upsample(view, 3, interpolation="bilinear"), want[3], dtype)


def test_large_upsampling_outputs_stay_inside():
    # outputs of 16 MiB and more: one input row cut along W into pieces for two threads
    # (pieces at odd byte offsets, 6-byte pixels), repeated along H, and the same with 64-byte
    # pixels (the block path); batch 1 with one channel, channels_first; and bilinear
    rng = np.random.default_rng(9)
    with convkit.num_threads(2):
        x = rng.integers(0, 255, (1, 1, 1_400_001, 6), dtype=np.uint8)
        y = upsample(x, (3, 2))
        assert y.nbytes >= 1 << 24
        np.testing.assert_array_equal(y, np.repeat(np.repeat(x, 3, axis=1), 2, axis=2))
        f = rng.standard_normal((1, 1, 1024, 1025)).astype(np.float32)
        z = upsample(f, (2, 2), data_format="channels_first")
        assert z.nbytes >= 1 << 24
        np.testing.assert_array_equal(z, np.repeat(np.repeat(f, 2, axis=2), 2, axis=3))
        w = rng.standard_normal((1, 1, 70_001, 16)).astype(np.float32)
        v = upsample(w, (3, 2))
        assert v.nbytes >= 1 << 24
        np.testing.assert_array_equal(v, np.repeat(np.repeat(w, 3, axis=1), 2, axis=2))
        g = rng.standard_normal((1, 64, 1024, 16)).astype(np.float32)
        b = upsample(g, 2, interpolation="bilinear")
        assert b.nbytes >= 1 << 24
        _close(b, reference_resample.upsample(g, (2, 2), interpolation="bilinear"), np.float32)


def test_two_threads_stay_inside():
    # the parallel paths split rows and channel blocks differently: the same views, 2 threads
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 9, 70, 32)).astype(np.float32)
    dk = rng.standard_normal((3, 3, 32, 1)).astype(np.float32)
    k = rng.standard_normal((3, 3, 32, 40)).astype(np.float32)
    want_dw = reference_depthwise.depthwise_conv(x, dk, padding="same")
    want = reference_conv.conv(x, k, padding="same")
    dy = rng.standard_normal(want.shape).astype(np.float32)
    _, want_dk = reference_conv_grad.conv_gradients(x, k, dy, padding="same")
    with convkit.num_threads(2):
        for view in ending_views(x):
            _close(ops.depthwise_conv(view, dk, padding="same"), want_dw, np.float32)
            _close(ops.conv(view, k, padding="same"), want, np.float32)
            np.testing.assert_allclose(ops.conv_kernel_gradient(view, dy, 3, padding="same"),
                                       want_dk, rtol=1e-3, atol=1e-3 * np.abs(want_dk).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resample_gradients(dtype):
    # the adjoints of zero_pad/crop/upsample: 1-pixel images, one channel, batch 1, a tail of
    # channels past a vector, windows (lanczos5) wider than the input, every rank; one and two
    # threads (rows cut along W when there are few of them)
    rng = np.random.default_rng(6)
    cases = [((1, 1, 1), 2, "nearest"), ((1, 1, 1), 3, "lanczos5"), ((2, 5, 3), 3, "bicubic"),
             ((1, 1, 1, 1), (2, 3), "bilinear"), ((1, 3, 2, 19), (3, 2), "lanczos3"),
             ((2, 4, 3, 1), (1, 4), "lanczos5"), ((1, 2, 1, 3, 17), (2, 3, 1), "nearest"),
             ((1, 1, 2, 2, 1), 2, "bicubic"), ((1, 9, 2), 2, "nearest")]
    for n_threads in (1, 2):
        with convkit.num_threads(n_threads):
            for shape, size, mode in cases:
                rank = len(shape) - 2
                factors = (size,) * rank if isinstance(size, int) else size
                pairs = ((1, 0), (0, 2), (1, 1))[:rank]
                y = upsample(np.zeros(shape, dtype), size, interpolation=mode)
                dy = rng.standard_normal(y.shape).astype(dtype)
                want = reference_resample.upsample_gradient(shape, dy, factors,
                                                            interpolation=mode)
                dp = rng.standard_normal(zero_pad(np.zeros(shape), pairs).shape).astype(dtype)
                want_pad = reference_resample.zero_pad_gradient(shape, dp, pairs)
                # crop's adjoint, back from a crop of dp to dp's shape
                cropped = reference_resample.crop(dp, pairs)
                want_crop = reference_resample.crop_gradient(dp.shape, cropped, pairs)
                for view in ending_views(dy):
                    _close(ops.upsample_gradient(view, size, interpolation=mode), want, dtype)
                for view in ending_views(dp):
                    _close(ops.zero_pad_gradient(view, pairs), want_pad, dtype)
                for view in ending_views(cropped):
                    _close(ops.crop_gradient(view, pairs), want_crop, dtype)


def test_resample_gradients_two_threads_stay_inside():
    # large enough for a team: 2-D rows split across threads, and batch-1 1-D data whose single
    # row is cut along W; nearest against block sums, interpolation by the dot-product identity
    rng = np.random.default_rng(7)
    with convkit.num_threads(2):
        for shape, size in [((2, 24, 40, 8), (2, 3)), ((1, 12000, 3), 3)]:
            x = rng.standard_normal(shape).astype(np.float32)
            rank = x.ndim - 2
            factors = (size,) * rank if isinstance(size, int) else size
            dy = rng.standard_normal(upsample(x, size).shape).astype(np.float32)
            blocks = dy.reshape(shape[0], *(v for n, f in zip(shape[1:-1], factors)
                                            for v in (n, f)), shape[-1])
            want = blocks.sum(axis=tuple(range(2, 2 * rank + 1, 2)), dtype=np.float64)
            # <upsample(x), dy> and its scale, per mode
            dots = {}
            for mode in ("bilinear", "lanczos5"):
                y = upsample(x, size, interpolation=mode).astype(np.float64)
                dots[mode] = (np.vdot(y, dy), np.sum(np.abs(y * dy)))
            for view in ending_views(dy):
                _close(ops.upsample_gradient(view, size), want, np.float32)
                for mode, (left, scale) in dots.items():
                    right = np.vdot(x, ops.upsample_gradient(view, size, interpolation=mode)
                                    .astype(np.float64))
                    assert abs(left - right) <= 1e-6 * scale
# pooling: 1-pixel images, one channel, batch 1, windows larger than the input ("same"),
# pools larger and smaller than strides; every operand (inputs, output gradients, argmax)
# ends on its allocation's last byte
POOL_CASES = [((1, 1, 1), 3, 1, "same"), ((1, 1, 1, 1), (2, 3), (1, 2), "same"),
              ((2, 5, 3), 2, 3, "valid"), ((1, 4, 3, 2), 3, 2, "same"),
              ((1, 3, 5, 4), (2, 4), 1, "same"), ((2, 2, 3, 2, 3), 2, (1, 2, 1), "same"),
              ((1, 3, 3, 3, 1), (3, 1, 2), 2, "valid")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling(dtype):
    rng = np.random.default_rng(6)
    for shape, pool, strides, padding in POOL_CASES:
        x = rng.integers(0, 3, shape).astype(dtype)  # ties everywhere
        want_max = reference_pooling.pool(x, pool, strides, padding, "max")
        want_avg = reference_pooling.pool(x, pool, strides, padding, "avg")
        dy = rng.standard_normal(want_max.shape).astype(dtype)
        want_dmax = reference_pooling.pool_gradient(x, dy, pool, strides, padding, "max")
        want_davg = reference_pooling.pool_gradient(x, dy, pool, strides, padding, "avg")
        _, arg = ops.max_pool_with_argmax(x, pool, strides, padding)
        for view in ending_views(x):
            _close(ops.max_pool(view, pool, strides, padding), want_max, dtype)
            _close(ops.average_pool(view, pool, strides, padding), want_avg, dtype)
            _close(ops.global_max_pool(view), reference_pooling.global_pool(x, "max"), dtype)
            _close(ops.global_average_pool(view), reference_pooling.global_pool(x, "avg"),
                   dtype)
        for dyv, argv in zip(ending_views(dy), ending_views(arg)):
            _close(ops.max_pool_gradient(dyv, argv, x.shape, pool, strides, padding),
                   want_dmax, dtype)
            _close(ops.average_pool_gradient(dyv, x.shape, pool, strides, padding),
                   want_davg, dtype)


# the window kernels' channel paths (4-vector blocks, single vectors, the tail: 83 channels
# cover all three on every ISA copy) at the array edges: 1-pixel images, batch 1, windows
# larger than the input, odd and even "same" splits, pools larger and smaller than strides
POOL_CHANNEL_CASES = [((1, 1, 1, 83), 3, 2, "same"), ((1, 2, 3, 83), (3, 4), 1, "same"),
                      ((2, 4, 5, 83), 2, 2, "same"), ((1, 5, 4, 83), 3, 2, "same"),
                      ((1, 3, 2, 20), (2, 1), (1, 3), "valid"), ((1, 6, 83), 4, 3, "same"),
                      ((1, 2, 3, 2, 83), 2, 1, "same")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_channel_blocks(dtype):
    rng = np.random.default_rng(8)
    for shape, pool, strides, padding in POOL_CHANNEL_CASES:
        x = rng.integers(0, 3, shape).astype(dtype)  # ties everywhere
        x.reshape(-1)[::7] = np.nan  # NaN in some windows of every channel block
        want_max = reference_pooling.pool(x, pool, strides, padding, "max")
        want_avg = reference_pooling.pool(x, pool, strides, padding, "avg")
        dy = rng.standard_normal(want_max.shape).astype(dtype)
        want_dmax = reference_pooling.pool_gradient(x, dy, pool, strides, padding, "max")
        want_davg = reference_pooling.pool_gradient(x, dy, pool, strides, padding, "avg")
        _, arg = ops.max_pool_with_argmax(x, pool, strides, padding)
        for view in ending_views(x):
            np.testing.assert_array_equal(ops.max_pool(view, pool, strides, padding),
                                          want_max)
            _close(ops.average_pool(view, pool, strides, padding), want_avg, dtype)
        for dyv, argv in zip(ending_views(dy), ending_views(arg)):
            _close(ops.max_pool_gradient(dyv, argv, x.shape, pool, strides, padding),
                   want_dmax, dtype)
            _close(ops.average_pool_gradient(dyv, x.shape, pool, strides, padding),
                   want_davg, dtype)


def test_pooling_two_threads_stay_inside():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 60, 50, 33)).astype(np.float32)  # enough work for a team
    want = reference_pooling.pool(x, 3, 2, "same", "max")
    want_avg = reference_pooling.pool(x, (2, 3), (3, 1), "same", "avg")
    long = rng.standard_normal((1, 3000, 33)).astype(np.float32)
    with convkit.num_threads(2):
        for view in ending_views(x):
            _close(ops.max_pool(view, 3, 2, "same"), want, np.float32)
            _close(ops.average_pool(view, (2, 3), (3, 1), "same"), want_avg, np.float32)
        for view in ending_views(long):
            _close(ops.global_average_pool(view), long.mean(axis=1), np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_window_offsets(dtype):
    # the layers' routing of max pooling (one-byte window offsets, maxima optional) on the
    # array-edge cases of both tables: inputs, output gradients and offsets each end on their
    # allocation's last byte
    pooling = ops.pooling
    rng = np.random.default_rng(9)
    for shape, pool, strides, padding in POOL_CASES + POOL_CHANNEL_CASES:
        x = rng.integers(0, 3, shape).astype(dtype)  # ties everywhere
        want_max = reference_pooling.pool(x, pool, strides, padding, "max")
        dy = rng.standard_normal(want_max.shape).astype(dtype)
        want_dmax = reference_pooling.pool_gradient(x, dy, pool, strides, padding, "max")
        for view in ending_views(x):
            y, routing = pooling.max_pool_routing(view, pool, strides, padding)
            _close(y, want_max, dtype)
            assert pooling.max_pool_routing(view, pool, strides, padding, outputs=False)[0] \
                is None
        for dyv, offsets in zip(ending_views(dy), ending_views(routing.offsets)):
            routing.offsets = offsets
            _close(pooling.max_pool_routing_gradient(dyv, routing), want_dmax, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_gradients(dtype):
    # 1-pixel images, one channel, batch 1, windows larger than the input under "same",
    # strides larger than the input, depth multipliers, rows longer than one input-gradient
    # task (W_CHUNK = 256 pixels), strides and dilations together
    rng = np.random.default_rng(7)
    cases = [
        ((1, 1, 1), (1, 1, 1), dict(padding="valid")),
        ((1, 1, 1, 1), (3, 3, 1, 2), dict(padding="same")),
        ((1, 2, 3, 1), (5, 4, 1, 3), dict(padding="same", dilation_rate=2)),
        ((2, 3, 2, 5), (2, 2, 5, 1), dict(padding="same", strides=5)),
        ((1, 300, 3), (3, 3, 2), dict(padding="same", strides=2, dilation_rate=3)),
        ((2, 5, 7, 19), (3, 2, 19, 1), dict(padding="valid", strides=(2, 3), dilation_rate=2)),
        ((1, 2, 3, 2, 3), (3, 3, 3, 3, 2), dict(padding="same", strides=2)),
    ]
    for xshape, kshape, kw in cases:
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        dy = rng.standard_normal(reference_depthwise.depthwise_conv(x, k, **kw).shape)
        dy = dy.astype(dtype)
        want_dx, want_dk = reference_depthwise.depthwise_gradients(x, k, dy, **kw)
        for xv, dyv in zip(ending_views(x), ending_views(dy), strict=False):
            _close(ops.depthwise_kernel_gradient(xv, dyv, kshape[:-2], **kw), want_dk, dtype)
            _close(ops.depthwise_input_gradient(dyv, k, x.shape, **kw), want_dx, dtype)
    with convkit.num_threads(2):  # the parallel split: several row tasks and chunks
        x = rng.standard_normal((2, 40, 60, 8)).astype(dtype)
        k = rng.standard_normal((3, 3, 8, 2)).astype(dtype)
        dy = rng.standard_normal((2, 40, 60, 16)).astype(dtype)
        want_dx, want_dk = reference_depthwise.depthwise_gradients(x, k, dy, padding="same")
        for xv, dyv in zip(ending_views(x), ending_views(dy), strict=False):
            np.testing.assert_allclose(
                ops.depthwise_kernel_gradient(xv, dyv, 3, padding="same"), want_dk,
                rtol=1e-3, atol=1e-3 * np.abs(want_dk).max())
            np.testing.assert_allclose(
                ops.depthwise_input_gradient(dyv, k, x.shape, padding="same"), want_dx,
                rtol=1e-4, atol=1e-4 * np.abs(want_dx).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_training_kernels(dtype):
    # the training passes of the depthwise and separable layers: the input gradient as a
    # flipped convolution (stride 1, one multiplier), the weight gradient with its bias sums,
    # the whole-array pointwise kernel and the pointwise weight gradient, over 1-pixel images,
    # one channel, batch 1, windows larger than the input, and channel counts that leave
    # partial register tiles (C*M and filters not multiples of the vector or tile sizes)
    from convkit.ops import depthwise_grad
    rng = np.random.default_rng(11)
    cases = [
        ((1, 1, 1, 1), (1, 1, 1, 1), 1, dict(padding="valid")),
        ((1, 1, 1, 1), (3, 3, 1, 1), 3, dict(padding="same")),
        ((1, 2, 3, 5), (5, 4, 5, 1), 17, dict(padding="same", dilation_rate=2)),
        ((2, 4, 3, 7), (3, 3, 7, 2), 35, dict(padding="same", strides=2)),
        ((1, 9, 13), (3, 13, 1), 19, dict(padding="valid")),
        ((1, 2, 3, 2, 3), (3, 3, 3, 3, 1), 2, dict(padding="same")),
    ]
    for xshape, kshape, filters, kw in cases:
        rank = len(kshape) - 2
        x = rng.standard_normal(xshape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        p = rng.standard_normal((1,) * rank + (kshape[-2] * kshape[-1], filters)).astype(dtype)
        bias = rng.standard_normal(filters).astype(dtype)
        dy = rng.standard_normal(reference_depthwise.depthwise_conv(x, k, **kw).shape)
        dy = dy.astype(dtype)
        dys = rng.standard_normal(reference_depthwise.separable_conv(x, k, p, **kw).shape)
        dys = dys.astype(dtype)
        want_dx, want_dk = reference_depthwise.depthwise_gradients(x, k, dy, **kw)
        want_db = dy.reshape(-1, dy.shape[-1]).sum(axis=0)
        want_y = reference_depthwise.separable_conv(x, k, p, **kw, bias=bias,
                                                    activation="relu")
        want_s = reference_depthwise.separable_gradients(x, k, p, dys, **kw)
        want_sb = dys.reshape(-1, dys.shape[-1]).sum(axis=0)
        for xv, dyv, dysv in zip(ending_views(x), ending_views(dy), ending_views(dys),
                                 strict=False):
            dx, dk, db = depthwise_grad.depthwise_gradients(xv, k, dyv, bias=True, **kw)
            _close(dx, want_dx, dtype)
            _close(dk, want_dk, dtype)
            _close(db, want_db, dtype)
            y, u5 = depthwise_grad.separable_forward_keeping_intermediate(
                xv, k, p, **kw, bias=bias, activation="relu")
            _close(y, want_y, dtype)
            got = depthwise_grad.separable_gradients_from_intermediate(xv, k, p, dysv, u5,
                                                                       bias=True, **kw)
            for g, w in zip(got, (*want_s, want_sb), strict=True):
                _close(g, w, dtype)
