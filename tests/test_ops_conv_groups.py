"""The direct kernel's group tiles: grouped convolutions with one vector of filters per group.

``ops/_direct.py`` packs several whole groups into one register tile ("small": 32-byte
vectors, "tiny": 16-byte ones; ``docs/design/kernels.md`` §5) when a group's filters fill
exactly one vector and the tile's group count divides the groups. Each output keeps the sums
of the one-group tiles in the same order, so any tile gives bit-identical results; against
the NumPy oracle float64 agrees to 1e-12.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convkit
from convkit import _kernels, ops
from convkit.ops import _direct
from convkit.ops.conv import PackedConvKernel
from tests.support import reference_conv
from tests.support.nonfinite import assert_same_nonfinite, poison

_conv = _kernels.load("_conv")
DTYPES = (np.float32, np.float64)
ONE_GROUP_TILES = ("wide", "narrow", "slim")  # one group per tile (test_ops_conv_slim.py)


def _char(dtype):
    return "d" if np.dtype(dtype) == np.float64 else "f"


def _filters_per_vector(tile, dtype):
    """Filters of one group in a group tile of this ISA copy (``KB / groups per tile``)."""
    return _conv.tile_info()[(_char(dtype), tile)][1] // _conv.tile_groups()[tile]


def _tiles_for(groups, fg, dtype):
    """Every tile of the loaded copy that can run ``groups`` groups of ``fg`` filters."""
    out = []
    for tile in ("wide", "narrow", "slim", "small", "tiny"):
        gp = _conv.tile_groups()[tile]
        if gp == 1 or (_filters_per_vector(tile, dtype) == fg and groups % gp == 0):
            out.append(tile)
    return out


def _conv_with_tile(x, k, tile, **kw):
    """``ops.conv`` (direct algorithm) on weights packed for ``tile``."""
    return ops.conv(x, PackedConvKernel(k, tile=tile), algorithm="direct", **kw)


def _data(rng, n, spatial, groups, cg, fg, kernel, dtype, data_format):
    c = groups * cg
    x = rng.standard_normal((n, *spatial, c)).astype(dtype)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    k = rng.standard_normal((*kernel, cg, groups * fg)).astype(dtype)
    b = rng.standard_normal(groups * fg).astype(dtype)
    return x, k, b


def _close_to_oracle(y, want, dtype, reduction):
    if dtype == np.float64:
        np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    else:
        tol = 1e-5 * max(1.0, np.sqrt(reduction)) * 4
        np.testing.assert_allclose(y, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_tile_chosen_by_filters_per_group(dtype):
    # one vector of filters per group and groups the tile divides: the group tile; otherwise
    # (and always without groups) a one-group tile, as before
    for tile in ("small", "tiny"):
        fg, gp = _filters_per_vector(tile, dtype), _conv.tile_groups()[tile]
        assert _direct._choose_tile(fg, np.dtype(dtype), _conv, 4 * gp)[0] == tile
        assert _direct._choose_tile(fg, np.dtype(dtype), _conv, 1)[0] in ONE_GROUP_TILES
        if gp > 1:
            assert _direct._choose_tile(fg, np.dtype(dtype), _conv, gp + 1)[0] in (
                ONE_GROUP_TILES)
    assert _direct._choose_tile(3, np.dtype(dtype), _conv, 32)[0] in ONE_GROUP_TILES


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_group_tiles_equal_one_group_tiles_and_oracle(dtype, data_format):
    # every tile that can run a shape gives the same bits (same sums, same order), and the
    # NumPy oracle's numbers; groups 2..64, strides, dilation, "same"/"valid", bias + relu
    rng = np.random.default_rng(11)
    vec = {t: _filters_per_vector(t, dtype) for t in ("small", "tiny")}
    gps = _conv.tile_groups()
    cases = [
        # (groups, Cg, Fg, spatial, kernel, keywords)
        (32, 4, vec["tiny"], (9, 11), (3, 3), dict(padding="same")),
        (32, 8, vec["small"], (7, 6), (3, 3), dict(padding="same", strides=2)),
        (2 * gps["tiny"], 1, vec["tiny"], (8, 9), (3, 3),
         dict(padding="valid", dilation_rate=2)),
        (gps["small"], 16, vec["small"], (6, 7), (2, 3), dict(padding="same", strides=(1, 2))),
        (64, 2, vec["tiny"], (5, 5), (3, 3), dict(padding="same")),
        (8 * gps["small"], 3, vec["small"], (10, 4), (1, 1), dict(padding="valid")),
        (4 * gps["tiny"], 5, vec["tiny"], (13,), (3,), dict(padding="causal", dilation_rate=2)),
        (2 * gps["small"], 2, vec["small"], (4, 5, 6), (3, 2, 3), dict(padding="same")),
    ]
    for groups, cg, fg, spatial, kernel, kw in cases:
        if len(spatial) != 1 and kw.get("padding") == "causal":
            continue
        x, k, b = _data(rng, 2, spatial, groups, cg, fg, kernel, dtype, data_format)
        kw = dict(kw, data_format=data_format, bias=b)
        tiles = _tiles_for(groups, fg, dtype)
        assert "small" in tiles or "tiny" in tiles, (groups, fg)
        want = reference_conv.conv(x.astype(np.float64), k.astype(np.float64), **kw)
        results = {t: _conv_with_tile(x, k, t, activation="relu", **kw) for t in tiles}
        first = results["wide"]
        for tile, y in results.items():
            assert np.array_equal(y, first), (tile, groups, cg, fg, kw)
        _close_to_oracle(first, np.maximum(want, 0), dtype, np.prod(kernel) * cg)
        # the default choice is one of them
        assert np.array_equal(ops.conv(x, k, algorithm="direct", activation="relu", **kw), first)


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_tiles_bit_identical_across_thread_counts(dtype):
    rng = np.random.default_rng(12)
    for tile in ("small", "tiny"):
        groups = 4 * _conv.tile_groups()[tile]
        for data_format in ("channels_last", "channels_first"):
            x, k, b = _data(rng, 3, (12, 10), groups, 4, _filters_per_vector(tile, dtype),
                            (3, 3), dtype, data_format)
            assert _direct._choose_tile(k.shape[-1] // groups, np.dtype(dtype), _conv,
                                        groups)[0] == tile
            kw = dict(padding="same", bias=b, data_format=data_format, algorithm="direct")
            with convkit.num_threads(1):
                y1 = ops.conv(x, k, **kw)
            with convkit.num_threads(2):
                y2 = ops.conv(x, k, **kw)
            with convkit.num_threads(3):
                y3 = ops.conv(x, k, **kw)
            assert np.array_equal(y1, y2) and np.array_equal(y1, y3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_group_tiles_nonfinite_weights_and_inputs(dtype, value):
    # a non-finite weight meets the zero padding (0 * inf = NaN where Keras has it); a
    # non-finite input reaches only its own group's outputs (the group tile multiplies no
    # other group's inputs)
    rng = np.random.default_rng(13)
    groups = 2 * _conv.tile_groups()["tiny"]
    fg = _filters_per_vector("tiny", dtype)
    x, k, b = _data(rng, 2, (6, 7), groups, 2, fg, (3, 3), dtype, "channels_last")
    for seed in range(3):
        kb = poison(k, seed, value)
        want = reference_conv.conv(x.astype(np.float64), kb.astype(np.float64), padding="same",
                                   bias=b)
        y = ops.conv(x, kb, padding="same", bias=b, algorithm="direct")
        assert_same_nonfinite(y, want, rtol=1e-4, atol=1e-4)
        xb = poison(x, seed, value)
        want = reference_conv.conv(xb.astype(np.float64), k.astype(np.float64), padding="same",
                                   bias=b)
        y = ops.conv(xb, k, padding="same", bias=b, algorithm="direct")
        assert_same_nonfinite(y, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_grouped_conv_transpose_on_group_tiles(dtype):
    # conv_transpose packs its phases with the same chooser, so grouped transposed convs
    # with one vector of filters per group run the group tiles too; the oracle: one
    # transposed conv per group, concatenated
    rng = np.random.default_rng(14)
    groups = 2 * _conv.tile_groups()["tiny"]
    fg, cg = _filters_per_vector("tiny", dtype), 3
    x = rng.standard_normal((2, 5, 4, groups * cg)).astype(dtype)
    k = rng.standard_normal((3, 3, fg, groups * cg)).astype(dtype)
    for strides, padding in itertools.product((1, 2), ("same", "valid")):
        want = np.concatenate([
            reference_conv.conv_transpose(x[..., g * cg:(g + 1) * cg].astype(np.float64),
                                          k[..., g * cg:(g + 1) * cg].astype(np.float64),
                                          strides=strides, padding=padding)
            for g in range(groups)], axis=-1)
        y = ops.conv_transpose(x, k, strides=strides, padding=padding, groups=groups)
        _close_to_oracle(y, want, dtype, 9 * cg)


def test_group_tile_mismatch_is_refused():
    k = np.ones((1, 1, 3, 4, 8 * 4), np.float32)
    with pytest.raises(ValueError, match="tile 'tiny'"):
        _direct.pack_weights(k, 8 * 3, tile="tiny")  # 3 filters per group: not one vector
    # the kernel's own check: a job whose groups do not fill the tile
    gp = _conv.tile_groups()["tiny"]
    fg = _filters_per_vector("tiny", np.float32)
    k = np.ones((1, 1, 1, 2, gp * fg), np.float32)
    p = _direct.pack_weights(k, gp, tile="tiny")
    x = np.ones((1, 1, 2, 2, 2 * gp), np.float32)
    out = np.empty((1, 1, 2, 2, gp * fg), np.float32)
    job = _direct.direct_conv_job(
        1, 2 * gp, p, in_spatial=(1, 2, 2), out_spatial=(1, 2, 2), kernel_spatial=(1, 1, 1),
        strides=(1, 1, 1), dilation=(1, 1, 1), pad=(0, 0, 0), out_origin=0,
        out_strides=(out.size, out.size, 2 * gp * fg, gp * fg), relu=0, n_threads=1)
    _direct.run_jobs(x, p, p.weights, _direct.packed_bias(None, gp * fg, p, np.float32), out,
                     [dict(job)], 1)  # the record as built runs
    assert np.array_equal(out, np.full(out.shape, 2, np.float32))
    job["Fg"] = fg - 1 if fg > 1 else fg + 1
    job["G"] = gp
    with pytest.raises(ValueError, match="conv kernel"):
        _direct.run_jobs(x, p, p.weights, _direct.packed_bias(None, gp * fg, p, np.float32),
                         out, [job], 1)


@pytest.mark.slow
@given(groups_per_tile=st.integers(1, 4), cg=st.integers(1, 16), h=st.integers(1, 12),
       w=st.integers(1, 12), kh=st.integers(1, 4), kw=st.integers(1, 4),
       s=st.integers(1, 3), d=st.integers(1, 2), padding=st.sampled_from(["same", "valid"]),
       tile=st.sampled_from(["small", "tiny"]), dtype=st.sampled_from(DTYPES),
       data_format=st.sampled_from(["channels_last", "channels_first"]))
def test_group_tiles_sweep(groups_per_tile, cg, h, w, kh, kw, s, d, padding, tile, dtype,
                           data_format):
    assume(padding == "same" or (h >= (kh - 1) * d + 1 and w >= (kw - 1) * d + 1))
    groups = groups_per_tile * _conv.tile_groups()[tile]
    fg = _filters_per_vector(tile, dtype)
    rng = np.random.default_rng(h * 100 + w * 10 + cg)
    x, k, b = _data(rng, 2, (h, w), groups, cg, fg, (kh, kw), dtype, data_format)
    opts = dict(strides=s, padding=padding, dilation_rate=(1, d) if s > 1 else d,
                data_format=data_format, bias=b)
    want = reference_conv.conv(x.astype(np.float64), k.astype(np.float64), **opts)
    y = _conv_with_tile(x, k, tile, **opts)
    assert np.array_equal(y, _conv_with_tile(x, k, "wide", **opts))
    _close_to_oracle(y, want, dtype, kh * kw * cg)
