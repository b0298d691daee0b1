"""How the Winograd kernel's work is cut and chosen: the kernel transform, tiles per task
(the scratch each thread holds), and the part of ``algorithm="auto"``'s cost model that
weighs streaming the transformed kernel against the call's tiles.

The blocks change how a call is split, never a value: every block size gives the same bits,
and so does every thread count (whose share of the tasks sets the block of wide kernels).
"""

import numpy as np
import pytest

import convkit
from convkit import ops
from convkit.ops import _winograd
from convkit.ops.conv import pack_conv_kernel


def exact_transform(kernel, groups):
    """``G g G^T`` in long double, laid out as ``transform_kernel`` lays it out."""
    kd = 1 if kernel.ndim == 4 else 3
    *_, cg, f = kernel.shape
    fg = f // groups
    wk = _winograd.transform_kernel(kernel, groups)
    g = np.array(_winograd._G, dtype=np.longdouble)
    k = kernel.astype(np.longdouble).reshape(kd, 3, 3, cg, groups, fg)
    u = np.einsum("ak,zklcgf,bl->gabzcf", g, k, g).reshape(groups, 36, kd, cg, fg)
    padded = np.zeros((groups, 36, kd, cg, wk.nblk * wk.kb), dtype=np.longdouble)
    padded[..., :fg] = u
    blocked = padded.reshape(groups, 36, kd, cg, wk.nblk, wk.kb).transpose(0, 1, 4, 2, 3, 5)
    return blocked.reshape(-1)


@pytest.mark.parametrize("shape, groups", [
    ((3, 3, 7, 13), 1),         # filters not a multiple of the channel block
    ((3, 3, 5, 24), 3),         # groups
    ((3, 3, 3, 4, 10), 2),      # 3-D, groups
    ((3, 3, 33, 40), 1),        # input channels across several chunks (below)
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_transform_is_correctly_rounded_in_any_chunking(monkeypatch, shape, groups,
                                                               dtype):
    kernel = np.random.default_rng(1).uniform(-1, 1, shape).astype(dtype)
    exact = exact_transform(kernel, groups)
    for chunk in (1 << 19, 36 * 64, 1):   # one chunk, several, one channel at a time
        monkeypatch.setattr(_winograd, "_TRANSFORM_CHUNK_VALUES", chunk)
        u = _winograd.transform_kernel(kernel, groups).u
        assert u.dtype == dtype and u.shape == exact.shape
        # computed in float64 and rounded once: float32 within half an ulp of the exact
        # value (plus float64's own rounding), float64 within a few of its ulps of the scale
        err = np.abs(u.astype(np.longdouble) - exact)
        if dtype == np.float32:
            assert np.all(err <= 0.5 * np.spacing(np.abs(exact).astype(np.float32)) + 1e-12)
        else:
            assert err.max() <= 8 * np.finfo(np.float64).eps * np.abs(exact).max()


def wide_kernel():
    """128 -> 128 channels: 2.4 MB transformed in float32, over the L2 budget."""
    return _winograd.transform_kernel(np.zeros((3, 3, 128, 128), np.float32), 1)


def test_narrow_kernels_keep_their_scratch_within_l2():
    for cg, f in ((16, 16), (64, 64), (16, 32)):
        wk = _winograd.transform_kernel(np.zeros((3, 3, cg, f), np.float32), 1)
        assert not _winograd.is_wide(wk.u.nbytes)
        block = _winograd.tiles_per_task(wk, 56 * 56 // 16, 4, other_tasks=8, n_threads=2)
        assert block >= wk.wb and block % wk.wb == 0      # whole register tiles
        assert _winograd.scratch_bytes(wk, block, 4) <= 512 * 1024
        assert _winograd.tiles_per_task(wk, 3, 4) == 3     # never more than the image has


def test_wide_kernels_take_larger_blocks_but_leave_every_thread_tasks():
    wk = wide_kernel()
    assert _winograd.is_wide(wk.u.nbytes)
    tiles = 14 * 14                                        # conv2d_large's 56x56 image
    block = _winograd.tiles_per_task(wk, tiles, 4, other_tasks=8, n_threads=2)
    assert block % wk.wb == 0
    # more tiles per streamed kernel than the L2 target alone allows ...
    assert block > (_winograd._SCRATCH_TARGET_BYTES // (36 * 4 * 256)) // wk.wb * wk.wb
    # ... within the wide scratch target
    assert _winograd.scratch_bytes(wk, block, 4) <= _winograd._WIDE_SCRATCH_TARGET_BYTES
    # one image on three threads: blocks small enough for three tasks each
    few = _winograd.tiles_per_task(wk, tiles, 4, other_tasks=1, n_threads=3)
    assert -(-tiles // few) >= 3 * 3 or few == wk.wb
    # never below one register tile of rows, never above the image
    assert _winograd.tiles_per_task(wk, 4, 4, other_tasks=1, n_threads=3) == 4
    assert _winograd.tiles_per_task(wk, 100, 4, other_tasks=1, n_threads=64) == wk.wb


@pytest.mark.parametrize("xshape, kshape", [
    ((2, 30, 26, 128), (3, 3, 128, 128)),           # 2-D, partial tiles at both edges
    ((1, 8, 23, 24, 64), (3, 3, 3, 64, 64)),        # 3-D: depth chunks too
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wide_kernel_blocks_give_the_same_bits_for_any_thread_count(xshape, kshape, dtype):
    # the threads' share sets the block of a wide kernel: 1, 2 and 3 threads cut these calls
    # into different blocks (checked), and the values must not notice
    rng = np.random.default_rng(2)
    x = rng.standard_normal(xshape).astype(dtype)
    k = pack_conv_kernel(rng.standard_normal(kshape).astype(dtype) * 0.1)
    wk = k.winograd(1)
    assert _winograd.is_wide(wk.u.nbytes)
    tiles = -(-xshape[-3] // 4) * -(-xshape[-2] // 4)
    other = xshape[0] * (-(-xshape[1] // 4) if len(xshape) == 5 else 1)
    blocks = {_winograd.tiles_per_task(wk, tiles, x.itemsize, other_tasks=other, n_threads=n)
              for n in (1, 2, 3)}
    assert len(blocks) > 1
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv(x, k, padding="same", algorithm="winograd"))
    for other in results[1:]:
        assert np.array_equal(results[0], other)


def test_auto_weighs_the_streamed_kernel_against_the_calls_tiles():
    # U-Net's bottleneck, 512 -> 1024 channels on 16x16: 75 MB transformed (float32)
    assert _winograd.prefers_winograd((16, 16), 512, 1024)                  # shape alone
    assert not _winograd.prefers_winograd((16, 16), 512, 1024, images=1)    # 16 tiles
    assert _winograd.prefers_winograd((16, 16), 512, 1024, images=8)        # 128 tiles
    # float64 doubles the bytes, 3-D triples them
    assert _winograd.prefers_winograd((16, 16), 256, 256, images=1)
    assert not _winograd.prefers_winograd((16, 16), 256, 256, images=1, itemsize=8,
                                          kernel_depth=3)
    # narrow kernels: the tiles never matter
    assert _winograd.prefers_winograd((8, 8), 64, 64, images=1)


def test_auto_runs_the_direct_kernel_on_a_wide_batch_one_layer():
    rng = np.random.default_rng(3)
    k = pack_conv_kernel(rng.standard_normal((3, 3, 256, 512)).astype(np.float32))
    one = rng.standard_normal((1, 8, 8, 256)).astype(np.float32)   # 4 tiles, 19 MB kernel
    assert not np.array_equal(ops.conv(one, k, padding="same", algorithm="direct"),
                              ops.conv(one, k, padding="same", algorithm="winograd"))
    assert np.array_equal(ops.conv(one, k, padding="same"),
                          ops.conv(one, k, padding="same", algorithm="direct"))
    many = np.repeat(one, 8, axis=0)                               # 32 tiles
    assert np.array_equal(ops.conv(many, k, padding="same"),
                          ops.conv(many, k, padding="same", algorithm="winograd"))
