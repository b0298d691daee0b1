"""The channel-block depthwise kernel (``_depthwise.depthwise_blocks_*``, docs/design/kernels.md
§6): which calls take it, Keras parity and the NumPy oracle in both data formats, its edges
(1-pixel images, windows larger than the input, one channel, channel tails, several bands),
bit-identical results for 1, 2 and 3 threads, and its argument checks.

A kernel test: ``make test-debug`` runs it on the bounds-checked build
(``tests/test_ops_depthwise*.py``).
"""

import itertools
import math

import keras  # KERAS_BACKEND set by conftest
import numpy as np
import pytest

import convkit
import convkit.ops.depthwise as depthwise_module
from convkit import _kernels
from convkit.ops._geometry import conv_geometry
from convkit.ops.depthwise import depthwise_conv, pack_depthwise_kernel
from tests.support import reference_depthwise as ref

_dw = _kernels.load("_depthwise")


def _tol(dtype, taps):
    return (1e-12 if dtype == np.float64 else 1e-5) * math.sqrt(taps) * 4


def _check(y, x, dk, dtype, **kw):
    """``y`` against the float64 oracle, scaled by the magnitude of each sum's terms."""
    want = ref.depthwise_conv(x.astype(np.float64), dk.astype(np.float64), **kw)
    mag = ref.depthwise_conv(np.abs(x).astype(np.float64), np.abs(dk).astype(np.float64),
                             **{**kw, "bias": None if kw.get("bias") is None
                                else np.abs(kw["bias"]), "activation": None})
    assert y.shape == want.shape and y.dtype == dtype
    tol = _tol(dtype, math.prod(dk.shape[:-2])) * (mag + 1e-30)
    assert np.all(np.abs(y - want) <= tol), np.max(np.abs(y - want) - tol)


def _to_cf(a):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def test_routing():
    g_small = conv_geometry((7, 7), (5, 5), 1, "same", 1)
    g_large = conv_geometry((56, 56), (3, 3), 1, "same", 1)
    g_s2_5 = conv_geometry((56, 56), (5, 5), 2, "same", 1)
    use = depthwise_module._use_channel_blocks
    assert use(2, 1, "channels_last", g_small)
    assert not use(2, 1, "channels_last", g_large)
    assert use(2, 1, "channels_last", g_s2_5)
    assert use(2, 1, "channels_first", g_s2_5)         # channels_first: planes aside, always
    assert use(2, 1, "channels_first", conv_geometry((9, 9), (3, 3), 1, "same", 1))
    assert not use(2, 2, "channels_first", g_s2_5)     # one filter per channel only
    g3 = conv_geometry((4, 4, 4), (3, 3, 3), 1, "same", 1)
    assert not use(3, 1, "channels_first", g3)         # 3-D keeps the row path
    # short 3x3 stride-1 rows go to the row pairs, down to 10 pixels; 9 keep the blocks
    assert not use(2, 1, "channels_last", conv_geometry((10, 10), (3, 3), 1, "same", 1))
    assert not use(2, 1, "channels_last", conv_geometry((14, 14), (3, 3), 1, "same", 1))
    assert use(2, 1, "channels_last", conv_geometry((9, 9), (3, 3), 1, "same", 1))
    assert use(2, 1, "channels_last", conv_geometry((7, 7), (3, 3), 1, "same", 1))
    assert use(2, 1, "channels_last", conv_geometry((14, 14), (3, 3), 2, "same", 1))
    assert use(2, 1, "channels_last", conv_geometry((14, 14), (3, 3), 1, "same", 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_oracle_edges(dtype, data_format):
    # 1-pixel images, windows larger than the input ('same'), one channel, channel tails,
    # strides, dilations, 1-D, bias and relu
    rng = np.random.default_rng(0)
    cases = itertools.product((1, 5, 19), ((1, 1), (1, 6), (3, 4), (9, 8)),
                              ((3, 3), (5, 5), (1, 3), (2, 3)), (1, 2), (1, 2))
    for c, hw, ks, s, d in cases:
        if s > 1 and d > 1:
            d = (1, d)   # Keras's depthwise layers allow both; keep the case count small
        x = rng.standard_normal((2, *hw, c)).astype(dtype)
        dk = rng.standard_normal((*ks, c, 1)).astype(dtype)
        b = rng.standard_normal(c).astype(dtype)
        for pad in ("same", "valid"):
            kw = dict(strides=s, padding=pad, dilation_rate=d)
            dd = (d, d) if isinstance(d, int) else d
            if pad == "valid" and any(n < (k - 1) * e + 1 for n, k, e in zip(hw, ks, dd)):
                continue   # no output: conv_geometry's error, tested in test_ops_depthwise
            act = "relu" if c == 5 else None
            xin = _to_cf(x) if data_format == "channels_first" else x
            y = depthwise_conv(xin, dk, data_format=data_format, bias=b, activation=act, **kw)
            if data_format == "channels_first":
                y = np.moveaxis(y, 1, -1)
            _check(y, x, dk, dtype, bias=b, activation=act, **kw)
    # 1-D, both formats
    x1 = rng.standard_normal((3, 11, 7)).astype(dtype)
    dk1 = rng.standard_normal((5, 7, 1)).astype(dtype)
    xin = _to_cf(x1) if data_format == "channels_first" else x1
    y1 = depthwise_conv(xin, dk1, strides=2, padding="same", data_format=data_format)
    if data_format == "channels_first":
        y1 = np.moveaxis(y1, 1, -1)
    _check(y1, x1, dk1, dtype, strides=2, padding="same")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_keras(data_format):
    rng = np.random.default_rng(1)
    for shape, ks, s in (((2, 7, 7, 40), (5, 5), 1), ((1, 14, 13, 24), (3, 3), 1),
                         ((2, 21, 20, 17), (5, 5), 2), ((2, 30, 9, 8), (3, 3), 2)):
        x = rng.standard_normal(shape).astype(np.float32)
        dk = (rng.standard_normal((*ks, shape[-1], 1)) / 3).astype(np.float32)
        xin = _to_cf(x) if data_format == "channels_first" else x
        y = depthwise_conv(xin, dk, strides=s, padding="same", data_format=data_format)
        want = np.asarray(keras.ops.depthwise_conv(xin, dk, strides=s, padding="same",
                                                   data_format=data_format))
        np.testing.assert_allclose(y, want, rtol=1e-5 * math.prod(ks) ** 0.5, atol=1e-5)


def test_same_values_as_row_path(monkeypatch):
    # the two paths add the same products in the same order (bias, then taps in (kh, kw)
    # order; a padding tap adds a zero product), so they agree to rounding of the FMA
    rng = np.random.default_rng(2)
    for shape, ks in (((2, 9, 7, 35), (5, 5)), ((1, 12, 14, 16), (3, 3))):
        x = rng.standard_normal(shape)
        dk = rng.standard_normal((*ks, shape[-1], 1))
        blocks = depthwise_conv(x, dk, padding="same")
        monkeypatch.setattr(depthwise_module, "_use_channel_blocks", lambda *a: False)
        rows = depthwise_conv(x, dk, padding="same")
        monkeypatch.undo()
        np.testing.assert_allclose(blocks, rows, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_bit_identical_across_thread_counts(dtype, data_format):
    # several bands per image (70 rows of 70 pixels) and a channel tail (19)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 70, 70, 19) if data_format == "channels_last"
                            else (3, 19, 70, 70)).astype(dtype)
    dk = rng.standard_normal((5, 5, 19, 1)).astype(dtype)
    if data_format == "channels_last":   # short rows take the channel blocks here
        x = x[:, :, :12].copy()
    outs = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            outs.append(depthwise_conv(x, dk, strides=(1, 1), padding="same",
                                       data_format=data_format, bias=np.ones(19, dtype)))
    assert outs[0].dtype == dtype
    for y in outs[1:]:
        assert np.array_equal(y, outs[0])


def test_nonfinite_weight_meets_padding():
    # the padding taps multiply zeros: an inf weight gives NaN there, as in Keras
    x = np.ones((1, 4, 4, 2), np.float32)
    dk = np.ones((3, 3, 2, 1), np.float32)
    dk[0, 0, 1, 0] = np.inf
    y = depthwise_conv(x, dk, padding="same")
    want = ref.depthwise_conv(x.astype(np.float64), dk.astype(np.float64), padding="same")
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
    assert np.isnan(y[0, 0, 0, 1]) and np.isinf(y[0, 3, 3, 1])
    np.testing.assert_allclose(y[..., 0], want[..., 0])


@pytest.mark.parametrize("fn", [_dw.depthwise_blocks_f32, _dw.depthwise_blocks_f64])
def test_kernel_checks_its_arguments(fn):
    dtype = np.float32 if fn is _dw.depthwise_blocks_f32 else np.float64
    x = np.zeros((1, 5, 5, 3), dtype)
    w = pack_depthwise_kernel(np.zeros((3, 3, 3, 1), dtype)).weights
    args = ((3, 3), (1, 1), (1, 1), (1, 1), False, 0, 1)
    fn(x, w, np.zeros(3, dtype), np.zeros((1, 5, 5, 3), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, w, np.zeros(3, dtype), np.zeros((1, 5, 5, 4), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, w, np.zeros(2, dtype), np.zeros((1, 5, 5, 3), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, np.zeros((2, 27), dtype), np.zeros(0, dtype), np.zeros((1, 5, 5, 3), dtype),
           *args)
    with pytest.raises(ValueError, match="positive"):
        fn(x, w, np.zeros(0, dtype), np.zeros((1, 5, 5, 3), dtype), (3, 3), (0, 1), (1, 1),
           (1, 1), False, 0, 1)
    with pytest.raises(ValueError, match="empty input"):
        fn(np.zeros((1, 0, 5, 3), dtype), w, np.zeros(0, dtype),
           np.zeros((1, 2, 5, 3), dtype), (3, 3), (1, 1), (1, 1), (1, 1), False, 0, 1)
