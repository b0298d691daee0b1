"""The direct kernel's "slim" tile: one vector of filters for more pixels.

Layers with few filters (MobileNetV2's 16-filter projections, a 2-class segmentation head,
CIFAR ResNets' 16) or 16 filters per group (ResNeXt-50's layer3) filled the narrow block
(32 floats with AVX-512) half or mostly with zero lanes. ``ops/_direct.py`` picks the slim
tile by a cost model of the shape (padded lanes times a per-tile cost); every one-group tile
sums each output in the same order, so any of them gives the same bits
(``docs/design/kernels.md`` §5).
"""

import numpy as np
import pytest

import convkit
from convkit import _kernels, ops
from convkit.ops import _direct
from convkit.ops.conv import PackedConvKernel
from tests.support import reference_conv
from tests.support.keras_oracle import assert_close

_conv = _kernels.load("_conv")
DTYPES = (np.float32, np.float64)
ONE_GROUP_TILES = ("wide", "narrow", "slim")


def _kb(tile, dtype):
    return _conv.tile_info()[("d" if np.dtype(dtype) == np.float64 else "f", tile)][1]


def _chosen(fg, dtype, groups=1):
    return _direct._choose_tile(fg, np.dtype(dtype), _conv, groups)[0]


def _data(rng, n, spatial, c, f, kernel, groups, dtype, data_format):
    x = rng.standard_normal((n, *spatial, c)).astype(dtype)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    k = rng.standard_normal((*kernel, c // groups, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, k, b


def _with_tile(x, k, tile, **kw):
    return ops.conv(x, PackedConvKernel(k, tile=tile), algorithm="direct", **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_slim_tile_sizes_are_one_vector(dtype):
    # one vector of filters: at most the narrow block, and as wide as the ISA's vector
    info = _conv.tile_info()
    char = "d" if np.dtype(dtype) == np.float64 else "f"
    wb, kb = info[(char, "slim")]
    assert wb >= info[(char, "narrow")][0] and 0 < kb <= _kb("narrow", dtype)
    assert _conv.tile_groups()["slim"] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_slim_tile_chosen_where_it_pads_clearly_less(dtype):
    slim, narrow, wide = _kb("slim", dtype), _kb("narrow", dtype), _kb("wide", dtype)
    if slim == narrow:  # ISA copies whose narrow block is one vector already
        assert _chosen(slim, dtype) in ("wide", "narrow")
        return
    # one slim vector, or two filters (a segmentation head): half or less of a narrow block
    for fg in (slim, 2, 1):
        assert _chosen(fg, dtype) == "slim"
    # the same per group when no group tile fits (ResNeXt layer3: 16 filters per group)
    assert _chosen(slim, dtype, groups=32) == "slim"
    # a few percent of padding saved does not pay for re-reading the inputs per vector
    assert _chosen(4 * wide - slim, dtype) != "slim"
    # full wide or narrow blocks keep their tile
    assert _chosen(wide, dtype) == "wide"
    assert _chosen(3 * narrow, dtype) in ("wide", "narrow")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_one_group_tiles_give_identical_bits_and_the_oracle(dtype, data_format):
    # 1x1 (the GEMM case) and 3x3, strides, dilation, groups, partial blocks, bias + relu:
    # every one-group tile sums in the same order, so the results are bit-identical
    rng = np.random.default_rng(31)
    slim = _kb("slim", dtype)
    cases = [
        # (n, spatial, c, f, kernel, groups, keywords)
        (2, (9, 11), 8, slim, (1, 1), 1, dict(padding="same")),
        (1, (7, 6), 5, 2, (1, 1), 1, dict(padding="valid", strides=2)),
        (2, (8, 9), 6, slim + 3, (3, 3), 1, dict(padding="same")),
        (1, (10, 7), 4 * 3, 4 * slim, (3, 3), 4, dict(padding="same")),
        (2, (9, 9), 3, slim, (3, 3), 1, dict(padding="valid", dilation_rate=2)),
        (1, (6, 7), 2 * 4, 2 * 2, (2, 3), 2, dict(padding="same", strides=(1, 2))),
        (2, (13,), 4, 3, (3,), 1, dict(padding="causal", dilation_rate=2)),
        (1, (4, 5, 6), 3, slim, (3, 2, 3), 1, dict(padding="same")),
        (3, (5, 5), 16, 1, (1, 1), 1, dict(padding="same")),
    ]
    for n, spatial, c, f, kernel, groups, kw in cases:
        x, k, b = _data(rng, n, spatial, c, f, kernel, groups, dtype, data_format)
        kw = dict(kw, data_format=data_format, bias=b, activation="relu")
        results = {t: _with_tile(x, k, t, **kw) for t in ONE_GROUP_TILES}
        for tile, y in results.items():
            assert np.array_equal(y, results["wide"]), (tile, n, spatial, c, f, kernel, kw)
        oracle_kw = {key: v for key, v in kw.items() if key != "activation"}
        want = np.maximum(reference_conv.conv(x.astype(np.float64), k.astype(np.float64),
                                              **oracle_kw), 0)
        assert_close(results["slim"], want, np.prod(kernel) * (c // groups), dtype)
        # the default choice is one of them
        assert np.array_equal(ops.conv(x, k, algorithm="direct", **kw), results["wide"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_slim_tile_bit_identical_across_thread_counts(dtype, data_format):
    rng = np.random.default_rng(32)
    slim = _kb("slim", dtype)
    for spatial, c, f, kernel, groups in (((14, 13), 32, slim, (1, 1), 1),
                                          ((12, 10), 4 * 16, 4 * slim, (3, 3), 4),
                                          ((16, 16), 64, 2, (1, 1), 1)):
        x, k, b = _data(rng, 3, spatial, c, f, kernel, groups, dtype, data_format)
        packed = PackedConvKernel(k, tile="slim")
        kw = dict(padding="same", bias=b, data_format=data_format, algorithm="direct")
        results = []
        for threads in (1, 2, 3):
            with convkit.num_threads(threads):
                results.append(ops.conv(x, packed, **kw))
        assert all(np.array_equal(results[0], y) for y in results[1:])


def test_slim_tile_matches_keras():
    # the sweep's weak layers, scaled down: a 1x1 projection to 16 filters, a 2-class head
    # and 16 filters per group, channels_last and channels_first, against Keras on jax
    import keras

    rng = np.random.default_rng(33)
    for n, spatial, c, f, kernel, groups, data_format in (
            (2, (12, 12), 32, 16, (1, 1), 1, "channels_last"),
            (1, (16, 16), 64, 2, (1, 1), 1, "channels_first"),
            (2, (7, 7), 4 * 16, 4 * 16, (3, 3), 4, "channels_last"),
            (2, (7, 7), 4 * 16, 4 * 16, (3, 3), 4, "channels_first")):
        x, k, b = _data(rng, n, spatial, c, f, kernel, groups, np.float32, data_format)
        ours = ops.conv(x, k, padding="same", data_format=data_format, bias=b,
                        algorithm="direct")
        want = np.asarray(keras.ops.conv(x, k, padding="same", data_format=data_format))
        want = want + (b if data_format == "channels_last" else b.reshape(-1, 1, 1))
        assert_close(ours, want, np.prod(kernel) * (c // groups), np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_auto_leaves_mostly_padded_winograd_blocks_to_the_direct_kernel(dtype):
    # a 3x3 stride-1 conv Winograd is eligible for: "auto" runs the direct kernel (slim tile)
    # when the filters per group would leave half or more of the lanes of Winograd's channel
    # block (the tile its GEMMs choose for them) empty, or are too few for Winograd at all
    # (prefers_winograd), and Winograd otherwise; the lane counts differ per ISA copy
    from convkit.ops import _winograd
    from convkit.ops._direct import choose_one_group_tile

    rng = np.random.default_rng(34)
    chosen = set()
    for fg in (4, 16, 24, 32, 48, 64):
        _, _, kb = choose_one_group_tile(fg, np.dtype(dtype), _winograd._winograd)
        x = rng.standard_normal((1, 16, 16, 16)).astype(dtype)
        k = rng.standard_normal((3, 3, 16, fg)).astype(dtype)
        auto = ops.conv(x, k, padding="same", algorithm="auto")
        direct = ops.conv(x, k, padding="same", algorithm="direct")
        winograd = ops.conv(x, k, padding="same", algorithm="winograd")
        assert not np.array_equal(direct, winograd)  # the two are told apart
        use_direct = (not _winograd.prefers_winograd((16, 16), 16, fg)
                      or 2 * fg <= -(-fg // kb) * kb)
        chosen.add(use_direct)
        assert np.array_equal(auto, direct if use_direct else winograd), (fg, kb)
    assert chosen == {True, False}  # both answers occur on these counts
