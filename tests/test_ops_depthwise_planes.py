"""The plane kernel of channels_first depthwise convolution (``_depthwise.depthwise_planes_*``,
docs/design/kernels.md §6): which calls take it, exact sums on small integers in both of its
modes (vectors along each row; flat vectors across row ends), Keras parity through the op,
bit-identical results for 1, 2 and 3 threads, the padding rule for non-finite weights, and its
argument checks.

A kernel test: ``make test-debug`` runs it on the bounds-checked build
(``tests/test_ops_depthwise*.py``); ``tests/test_kernel_bounds.py`` runs its edges under
AddressSanitizer.
"""

import math

import keras  # KERAS_BACKEND set by conftest
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convkit
import convkit.ops.depthwise as depthwise_module
from convkit import _kernels
from convkit.ops._geometry import conv_geometry
from convkit.ops.depthwise import depthwise_conv, pack_depthwise_kernel
from tests.support import reference_depthwise as ref

_dw = _kernels.load("_depthwise")


def _out_len(n, k, s, d, pad):
    return (n + pad - (k - 1) * d - 1) // s + 1


def _oracle(x, dk, bias, strides, dilation, pads, out_hw):
    """Channels_first depthwise over explicit (before, after) pads, in float64: output channel
    ``c*M + m``, the taps of a padded position multiply zeros."""
    n, c, h, w = x.shape
    kh, kw, _, m = dk.shape
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0), (pt, pb), (pl, pr)])
    ho, wo = out_hw
    y = np.zeros((n, c, m, ho, wo))
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dilation[0], j * dilation[1]
            win = xp[:, :, r0:r0 + strides[0] * (ho - 1) + 1:strides[0],
                     c0:c0 + strides[1] * (wo - 1) + 1:strides[1]]
            y += win[:, :, None] * dk[i, j].astype(np.float64)[None, :, :, None, None]
    if bias is not None:
        y += bias.astype(np.float64).reshape(c, m)[None, :, :, None, None]
    return y.reshape(n, c * m, ho, wo)


def _run(fn, x, dk, bias, strides, dilation, pads, relu=0, threads=1):
    """The kernel on ``x`` (N, C, H, W), with the layout conversions ``ops`` makes."""
    n, c, h, w = x.shape
    kh, kw, _, m = dk.shape
    out_hw = tuple(_out_len(size, k, s, d, p0 + p1) for size, k, s, d, (p0, p1)
                   in zip((h, w), (kh, kw), strides, dilation, pads, strict=True))
    dtype = x.dtype
    y = np.full((n, c * m, *out_hw), np.nan, dtype)
    b = (np.empty(0, dtype) if bias is None
         else np.ascontiguousarray(bias.reshape(c, m).T).reshape(-1))
    fn(x, pack_depthwise_kernel(dk).weights, b, y, (kh, kw), strides, dilation,
       (pads[0][0], pads[1][0]), relu, threads)
    return y, out_hw


def test_routing():
    use = depthwise_module._use_planes
    assert use(2, 1, "channels_first", conv_geometry((28, 28), (3, 3), 1, "same", 1))
    assert use(1, 1, "channels_first", conv_geometry((200,), (5,), 1, "same", 1))
    assert use(2, 3, "channels_first", conv_geometry((40, 40), (3, 3), 2, "same", 1))
    # narrow planes keep the whole-tensor transposes and channel vectors
    assert not use(2, 1, "channels_first", conv_geometry((7, 7), (3, 3), 1, "same", 1))
    assert not use(2, 1, "channels_last", conv_geometry((28, 28), (3, 3), 1, "same", 1))
    assert not use(3, 1, "channels_first", conv_geometry((4, 28, 28), (3, 3, 3), 1, "same", 1))


@given(data=st.data())
def test_exact_on_small_integers(data):
    # integers of a few units: every sum is exact in any order, so the kernel must equal the
    # oracle bit for bit, whatever the tile, mode (row vectors or flat), band or phase split
    draw = data.draw
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    fn = _dw.depthwise_planes_f32 if dtype == np.float32 else _dw.depthwise_planes_f64
    n, c, m = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 40))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(2))
    if any(_out_len(size, k, s, d, p0 + p1) < 1 for size, k, s, d, (p0, p1)
           in zip((h, w), (kh, kw), strides, dilation, pads, strict=True)):
        return
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-3, 4, (n, c, h, w)).astype(dtype)
    dk = rng.integers(-2, 3, (kh, kw, c, m)).astype(dtype)
    bias = rng.integers(-4, 5, c * m).astype(dtype) if draw(st.booleans()) else None
    relu = draw(st.sampled_from([0, 1]))
    y, out_hw = _run(fn, x, dk, bias, strides, dilation, pads, relu)
    want = _oracle(x, dk, bias, strides, dilation, pads, out_hw)
    if relu:
        want = np.maximum(want, 0)
    np.testing.assert_array_equal(y, want.astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_oracle_through_the_op(dtype, monkeypatch):
    # rows of 10 to 112 pixels (row vectors with a partial last one, flat at 10-12), 1-D,
    # strides, dilation, a depth multiplier, bias and relu; every call takes the plane kernel
    calls = []
    planes = depthwise_module._depthwise_planes
    monkeypatch.setattr(depthwise_module, "_depthwise_planes",
                        lambda *a, **k: calls.append(1) or planes(*a, **k))
    rng = np.random.default_rng(0)
    cases = [((2, 10, 10, 5), (3, 3), 1, 1, 1), ((1, 28, 28, 3), (5, 5), 1, 1, 2),
             ((2, 31, 47, 4), (3, 3), 2, 1, 1), ((1, 20, 24, 2), (3, 3), 1, 2, 3),
             ((1, 9, 112, 3), (3, 3), 1, 1, 1), ((2, 15, 41, 2), (5, 5), 3, 1, 1)]
    for shape, ks, s, d, m in cases:
        x = rng.standard_normal(shape).astype(dtype)
        dk = rng.standard_normal((*ks, shape[-1], m)).astype(dtype)
        b = rng.standard_normal(shape[-1] * m).astype(dtype)
        kw = dict(strides=s, padding="same", dilation_rate=d)
        y = depthwise_conv(np.ascontiguousarray(np.moveaxis(x, -1, 1)), dk, bias=b,
                           activation="relu", data_format="channels_first", **kw)
        want = ref.depthwise_conv(x.astype(np.float64), dk.astype(np.float64), bias=b,
                                  activation="relu", **kw)
        tol = (1e-12 if dtype == np.float64 else 1e-5) * math.sqrt(math.prod(ks)) * 4
        np.testing.assert_allclose(np.moveaxis(y, 1, -1), want, rtol=tol, atol=tol)
    x1 = rng.standard_normal((3, 4, 200)).astype(dtype)
    dk1 = rng.standard_normal((5, 4, 2)).astype(dtype)
    y1 = depthwise_conv(x1, dk1, padding="same", data_format="channels_first")
    want1 = ref.depthwise_conv(np.moveaxis(x1, 1, -1).astype(np.float64),
                               dk1.astype(np.float64), padding="same")
    np.testing.assert_allclose(np.moveaxis(y1, 1, -1), want1,
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    assert len(calls) == len(cases) + 1


def test_matches_keras():
    rng = np.random.default_rng(1)
    for shape, ks, s, m in (((2, 16, 28, 28), (3, 3), 1, 1), ((1, 8, 14, 14), (5, 5), 1, 2),
                            ((2, 6, 33, 30), (3, 3), 2, 1), ((1, 4, 12, 11), (3, 3), 1, 1)):
        x = rng.standard_normal(shape).astype(np.float32)
        dk = (rng.standard_normal((*ks, shape[1], m)) / 3).astype(np.float32)
        y = depthwise_conv(x, dk, strides=s, padding="same", data_format="channels_first")
        want = np.asarray(keras.ops.depthwise_conv(x, dk, strides=s, padding="same",
                                                   data_format="channels_first"))
        np.testing.assert_allclose(y, want, rtol=1e-5 * math.prod(ks) ** 0.5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [12, 70])
def test_bit_identical_across_thread_counts(dtype, width):
    # several bands per plane (300 rows), flat (12) and row vectors (70), stride 1 and 2
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 300, width)).astype(dtype)
    dk = rng.standard_normal((5, 5, 5, 2)).astype(dtype)
    for s in (1, 2):
        outs = []
        for n in (1, 2, 3):
            with convkit.num_threads(n):
                outs.append(depthwise_conv(x, dk, strides=s, padding="same",
                                           data_format="channels_first",
                                           bias=np.ones(10, dtype)))
        assert outs[0].dtype == dtype
        for y in outs[1:]:
            assert np.array_equal(y, outs[0])


def test_nonfinite_weight_meets_padding():
    # the padding taps multiply zeros: an inf weight gives NaN there, as in Keras
    x = np.ones((1, 2, 12, 12), np.float32)
    dk = np.ones((3, 3, 2, 1), np.float32)
    dk[0, 0, 1, 0] = np.inf
    y = depthwise_conv(x, dk, padding="same", data_format="channels_first")
    want = np.asarray(keras.ops.depthwise_conv(x, dk, padding="same",
                                               data_format="channels_first"))
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
    assert np.isnan(y[0, 1, 0, 0]) and np.isinf(y[0, 1, 11, 11])
    np.testing.assert_allclose(y[:, 0], want[:, 0])


@pytest.mark.parametrize("fn", [_dw.depthwise_planes_f32, _dw.depthwise_planes_f64])
def test_kernel_checks_its_arguments(fn):
    dtype = np.float32 if fn is _dw.depthwise_planes_f32 else np.float64
    x = np.zeros((1, 3, 5, 5), dtype)
    w = pack_depthwise_kernel(np.zeros((3, 3, 3, 1), dtype)).weights
    args = ((3, 3), (1, 1), (1, 1), (1, 1), 0, 1)
    fn(x, w, np.zeros(3, dtype), np.zeros((1, 3, 5, 5), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, w, np.zeros(3, dtype), np.zeros((1, 4, 5, 5), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, w, np.zeros(2, dtype), np.zeros((1, 3, 5, 5), dtype), *args)
    with pytest.raises(ValueError, match="inconsistent"):
        fn(x, np.zeros((1, 26), dtype), np.zeros(0, dtype), np.zeros((1, 3, 5, 5), dtype),
           *args)
    with pytest.raises(ValueError, match="positive"):
        fn(x, w, np.zeros(0, dtype), np.zeros((1, 3, 5, 5), dtype), (3, 3), (0, 1), (1, 1),
           (1, 1), 0, 1)
    with pytest.raises(ValueError, match="empty input"):
        fn(np.zeros((1, 3, 0, 5), dtype), w, np.zeros(0, dtype),
           np.zeros((1, 3, 2, 5), dtype), (3, 3), (1, 1), (1, 1), (1, 1), 0, 1)
