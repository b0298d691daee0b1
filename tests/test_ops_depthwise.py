"""Tests for ``convkit.ops.depthwise``: Keras parity, NumPy oracle, threads, ISA variants, errors.

Tolerance. Every output element is a sum of ``K`` products (depthwise: the kernel taps;
separable: taps x (C*M) pointwise terms plus the bias). Floating-point error grows roughly like
``sqrt(K)`` times the magnitude of the terms, not of the result (cancellation), so we compare

    |y - ref| <= rtol * sqrt(K) * ref_abs,    rtol = 1e-5 (float32), 1e-12 (float64)

where ``ref_abs`` is the NumPy oracle evaluated on ``|x|``, ``|kernels|``, ``|bias|``: the sum
of the absolute values of the terms of each element. Plus a tiny absolute floor for exact zeros.
"""

import math

import keras  # noqa: E402  (the test extra installs it; KERAS_BACKEND set above)
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convkit
import convkit.ops.depthwise as depthwise_module
from convkit import _kernels
from convkit.ops.depthwise import (
    PackedDepthwise,
    depthwise_conv,
    pack_depthwise_kernel,
    separable_conv,
)
from tests.support import reference_depthwise as ref
from tests.support.nonfinite import NONFINITE, assert_same_nonfinite, poison
from tests.support.offset_views import ending_views

# ---------------------------------------------------------------- helpers

def _close(y, expected, magnitude, k_terms, rtol):
    assert y.shape == expected.shape, (y.shape, expected.shape)
    tol = rtol * math.sqrt(max(k_terms, 1)) * magnitude + 1e-30
    err = np.abs(y.astype(np.float64) - expected.astype(np.float64))
    bad = ~(err <= tol)
    both_nan = np.isnan(y) & np.isnan(expected)
    bad &= ~both_nan
    assert not bad.any(), (f"{bad.sum()} of {bad.size} elements off; max err "
                           f"{err[bad].max()} vs tol {tol[bad].min()}")


def _dw_magnitude(x, k, bias, **kw):
    return ref.depthwise_conv(np.abs(x).astype(np.float64), np.abs(k).astype(np.float64),
                              bias=None if bias is None else np.abs(bias), **kw)


def _sep_magnitude(x, dk, pk, bias, **kw):
    return ref.separable_conv(np.abs(x).astype(np.float64), np.abs(dk).astype(np.float64),
                              np.abs(pk).astype(np.float64),
                              bias=None if bias is None else np.abs(bias), **kw)


@st.composite
def configs(draw, ranks=(1, 2), max_size=9):
    rank = draw(st.sampled_from(ranks))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    padding = draw(st.sampled_from(["valid", "same"]))
    ks = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if padding == "valid":
        sizes = tuple(draw(st.integers((k - 1) * d + 1, (k - 1) * d + max_size))
                      for k, d in zip(ks, dilation, strict=True))
    else:  # includes inputs smaller than the (dilated) kernel
        sizes = tuple(draw(st.integers(1, max_size + 3)) for _ in range(rank))
    return dict(
        rank=rank, data_format=data_format, padding=padding, kernel_size=ks, strides=strides,
        dilation_rate=dilation, sizes=sizes, batch=draw(st.integers(1, 2)),
        channels=draw(st.sampled_from([1, 2, 3, 5, 16, 19, 33])),
        multiplier=draw(st.integers(1, 3)), filters=draw(st.sampled_from([1, 4, 17, 70])),
        seed=draw(st.integers(0, 2**31 - 1)))


def _arrays(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    c, m, f = cfg["channels"], cfg["multiplier"], cfg["filters"]
    n, sizes = cfg["batch"], cfg["sizes"]
    shape = (n, c, *sizes) if cfg["data_format"] == "channels_first" else (n, *sizes, c)
    x = rng.standard_normal(shape).astype(dtype)
    dk = rng.standard_normal((*cfg["kernel_size"], c, m)).astype(dtype)
    pk = rng.standard_normal(((1,) * cfg["rank"]) + (c * m, f)).astype(dtype)
    return x, dk, pk


def _kw(cfg):
    return dict(strides=cfg["strides"], padding=cfg["padding"],
                data_format=cfg["data_format"], dilation_rate=cfg["dilation_rate"])


# ---------------------------------------------------------------- Keras parity (float32)

@given(cfg=configs())
def test_depthwise_matches_keras(cfg):
    x, dk, _ = _arrays(cfg, np.float32)
    kw = _kw(cfg)
    y = depthwise_conv(x, dk, **kw)
    expected = np.asarray(keras.ops.depthwise_conv(x, dk, **kw))
    taps = math.prod(cfg["kernel_size"])
    _close(y, expected, _dw_magnitude(x, dk, None, **kw), taps, 1e-5)
    # the oracle agrees with Keras too
    _close(ref.depthwise_conv(x, dk, **kw), expected, _dw_magnitude(x, dk, None, **kw),
           taps, 1e-5)


@given(cfg=configs())
def test_separable_matches_keras(cfg):
    x, dk, pk = _arrays(cfg, np.float32)
    kw = _kw(cfg)
    y = separable_conv(x, dk, pk, **kw)
    expected = np.asarray(keras.ops.separable_conv(x, dk, pk, **kw))
    k_terms = math.prod(cfg["kernel_size"]) * cfg["channels"] * cfg["multiplier"]
    mag = _sep_magnitude(x, dk, pk, None, **kw)
    _close(y, expected, mag, k_terms, 1e-5)
    _close(ref.separable_conv(x, dk, pk, **kw), expected, mag, k_terms, 1e-5)


# ---------------------------------------------------------------- float64 vs the oracle

@given(cfg=configs(ranks=(1, 2, 3), max_size=7), relu=st.booleans(), use_bias=st.booleans())
def test_float64_matches_oracle(cfg, relu, use_bias):
    x, dk, pk = _arrays(cfg, np.float64)
    kw = _kw(cfg)
    rng = np.random.default_rng(cfg["seed"] + 1)
    c, m, f = cfg["channels"], cfg["multiplier"], cfg["filters"]
    b_dw = rng.standard_normal(c * m) if use_bias else None
    b_pw = rng.standard_normal(f) if use_bias else None
    act = "relu" if relu else None
    taps = math.prod(cfg["kernel_size"])

    y = depthwise_conv(x, dk, **kw, bias=b_dw, activation=act)
    assert y.dtype == np.float64 and y.flags.c_contiguous
    _close(y, ref.depthwise_conv(x, dk, **kw, bias=b_dw, activation=act),
           _dw_magnitude(x, dk, b_dw, **kw), taps + 1, 1e-12)

    y = separable_conv(x, dk, pk, **kw, bias=b_pw, activation=act)
    assert y.dtype == np.float64 and y.flags.c_contiguous
    _close(y, ref.separable_conv(x, dk, pk, **kw, bias=b_pw, activation=act),
           _sep_magnitude(x, dk, pk, b_pw, **kw), taps * c * m + 1, 1e-12)


@pytest.mark.slow
@given(cfg=configs(ranks=(1, 2, 3), max_size=20))
def test_float32_matches_oracle_large(cfg):
    x, dk, pk = _arrays(cfg, np.float32)
    kw = _kw(cfg)
    taps = math.prod(cfg["kernel_size"])
    x64, dk64, pk64 = (a.astype(np.float64) for a in (x, dk, pk))
    _close(depthwise_conv(x, dk, **kw), ref.depthwise_conv(x64, dk64, **kw),
           _dw_magnitude(x, dk, None, **kw), taps, 1e-5)
    _close(separable_conv(x, dk, pk, **kw), ref.separable_conv(x64, dk64, pk64, **kw),
           _sep_magnitude(x, dk, pk, None, **kw), taps * cfg["channels"] * cfg["multiplier"],
           1e-5)


@pytest.mark.slow
@given(cfg=configs(ranks=(1, 2), max_size=24))
def test_keras_parity_large(cfg):
    x, dk, pk = _arrays(cfg, np.float32)
    kw = _kw(cfg)
    taps = math.prod(cfg["kernel_size"])
    _close(depthwise_conv(x, dk, **kw), np.asarray(keras.ops.depthwise_conv(x, dk, **kw)),
           _dw_magnitude(x, dk, None, **kw), taps, 1e-5)
    _close(separable_conv(x, dk, pk, **kw),
           np.asarray(keras.ops.separable_conv(x, dk, pk, **kw)),
           _sep_magnitude(x, dk, pk, None, **kw), taps * cfg["channels"] * cfg["multiplier"],
           1e-5)


def test_rank3_matches_keras():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 6, 7, 3)).astype(np.float32)
    dk = rng.standard_normal((2, 3, 2, 3, 2)).astype(np.float32)
    for kw in (dict(padding="same"), dict(strides=2, dilation_rate=(1, 2, 1))):
        expected = np.asarray(keras.ops.depthwise_conv(x, dk, **kw))
        _close(depthwise_conv(x, dk, **kw), expected, _dw_magnitude(x, dk, None, **kw), 12,
               1e-5)


# ---------------------------------------------------------------- Keras layers, set_weights

@pytest.mark.parametrize("layer, rank, kw", [
    ("DepthwiseConv2D", 2, dict(kernel_size=3, depth_multiplier=2, padding="same",
                                strides=2, dilation_rate=1, activation="relu")),
    ("DepthwiseConv2D", 2, dict(kernel_size=(2, 3), depth_multiplier=1, strides=2,
                                dilation_rate=2, data_format="channels_first")),
    ("DepthwiseConv1D", 1, dict(kernel_size=4, depth_multiplier=3, padding="same",
                                dilation_rate=2)),
    ("SeparableConv2D", 2, dict(filters=7, kernel_size=3, depth_multiplier=2, padding="same",
                                activation="relu")),
    ("SeparableConv2D", 2, dict(filters=5, kernel_size=3, strides=2, dilation_rate=2,
                                data_format="channels_first")),
    ("SeparableConv1D", 1, dict(filters=9, kernel_size=5, strides=3, padding="same")),
])
def test_matches_keras_layers(layer, rank, kw):
    rng = np.random.default_rng(7)
    c = 6
    channels_first = kw.get("data_format") == "channels_first"
    spatial = (13, 11)[:rank]
    x = rng.standard_normal((2, c, *spatial) if channels_first else (2, *spatial, c))
    x = x.astype(np.float32)
    klayer = getattr(keras.layers, layer)(**kw)
    klayer.build(x.shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in klayer.get_weights()]
    klayer.set_weights(weights)
    expected = np.asarray(klayer(x))
    args = dict(strides=kw.get("strides", 1), padding=kw.get("padding", "valid"),
                data_format=kw.get("data_format"), dilation_rate=kw.get("dilation_rate", 1),
                activation=kw.get("activation"))
    if layer.startswith("Depthwise"):
        kernel, bias = weights
        y = depthwise_conv(x, kernel, bias=bias, **args)
        mag = _dw_magnitude(x, kernel, bias, **{k: v for k, v in args.items()
                                                if k != "activation"}
                            | {"data_format": kw.get("data_format", "channels_last")})
        k_terms = kernel[..., 0, 0].size + 1
    else:
        dk, pk, bias = weights
        y = separable_conv(x, dk, pk, bias=bias, **args)
        mag = _sep_magnitude(x, dk, pk, bias, **{k: v for k, v in args.items()
                                                 if k != "activation"}
                             | {"data_format": kw.get("data_format", "channels_last")})
        k_terms = dk[..., 0, 0].size * pk.shape[-2] + 1
    _close(y, expected, mag, k_terms, 1e-5)


# ---------------------------------------------------------------- threads and ISA variants

def _big_case(dtype, multiplier=1):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 17, 23, 37)).astype(dtype)
    dk = rng.standard_normal((3, 3, 37, multiplier)).astype(dtype)
    pk = rng.standard_normal((1, 1, 37 * multiplier, 70)).astype(dtype)
    return x, dk, pk, rng.standard_normal(37 * multiplier), rng.standard_normal(70)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("multiplier", [1, 2])
def test_bit_identical_across_thread_counts(dtype, multiplier):
    x, dk, pk, b_dw, b_pw = _big_case(dtype, multiplier)
    x1 = np.random.default_rng(1).standard_normal((1, 3001, 37)).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append((
                depthwise_conv(x, dk, padding="same", bias=b_dw, activation="relu"),
                separable_conv(x, dk, pk, strides=2, padding="same", bias=b_pw),
                # rank 1 with batch 1: rows are split along W into several tasks
                depthwise_conv(x1, dk[0], strides=1, padding="same"),
                separable_conv(x1, dk[0], pk[0], dilation_rate=2, padding="same"),
            ))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_isa_variants_agree(dtype):
    x, dk, pk, b_dw, b_pw = _big_case(dtype, 2)
    x5 = np.ascontiguousarray(x[:, None])
    packed = pack_depthwise_kernel(dk, dtype)
    sfx = "f64" if dtype == np.float64 else "f32"
    outs = {}
    for variant in _kernels.built_variants():
        try:
            mod = _kernels.load_variant("_depthwise", variant)
        except ImportError:
            continue
        y = np.empty((3, 1, 17, 23, 74), dtype)
        getattr(mod, f"depthwise_{sfx}")(x5, packed.weights, np.empty(0, dtype), y, (1, 3, 3),
                                         (1, 1, 1), (1, 1, 1), (0, 1, 1), 0, 2)
        outs[variant] = y
    expected = ref.depthwise_conv(x.astype(np.float64), dk.astype(np.float64), padding="same")
    mag = _dw_magnitude(x, dk, None, padding="same")
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for y in outs.values():
        _close(y[:, 0], expected, mag, 9, rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channel_phase_bit_identical(dtype, monkeypatch):
    # NumPy aligns to 16 bytes; for inputs off a vector boundary the row kernels start their
    # channel blocks at the first aligned channel and run the last block on into the next
    # pixel. Every start offset, on every ISA copy, must give the same bits (the aligned
    # input's among them): rows of 1, 2 and 70 pixels (one run of 64 and a short one),
    # channels one and several vectors wide, the four row-kernel sizes, bias and relu,
    # depthwise and separable.
    rng = np.random.default_rng(5)
    itemsize = np.dtype(dtype).itemsize
    for variant in _kernels.built_variants():
        try:
            mod = _kernels.load_variant("_depthwise", variant)
        except ImportError:
            continue
        monkeypatch.setattr(depthwise_module, "_dw", mod)
        lanes = {"avx512": 64, "avx2": 32, "base": 16}[variant] // itemsize
        for channels in {lanes, 3 * lanes}:
            for ksize, width in [((3, 3), 70), ((1, 3), 2), ((5, 5), 9), ((1, 5), 1)]:
                x = rng.standard_normal((2, 4, width, channels)).astype(dtype)
                dk = rng.standard_normal((*ksize, channels, 1)).astype(dtype)
                pk = rng.standard_normal((1, 1, channels, 5)).astype(dtype)
                b = rng.standard_normal(channels).astype(dtype)
                kw = dict(padding="same", bias=b, activation="relu")
                dw0 = depthwise_conv(x, dk, **kw)
                sep0 = separable_conv(x, dk, pk, padding="same")
                if dtype == np.float64:
                    np.testing.assert_allclose(dw0, ref.depthwise_conv(x, dk, **kw),
                                               rtol=1e-12, atol=1e-12)
                for view in ending_views(x):
                    where = (variant, channels, ksize, view.ctypes.data % 64)
                    assert np.array_equal(depthwise_conv(view, dk, **kw), dw0), where
                    assert np.array_equal(separable_conv(view, dk, pk, padding="same"),
                                          sep0), where


# ---------------------------------------------------------------- semantics and edge cases

@pytest.mark.parametrize("ksize", [(3, 3), (1, 3), (5, 5), (1, 5), (3, 5), (2, 3)])
@pytest.mark.parametrize("channels", [37])   # 2 full vectors + a tail (fp32 AVX-512)
@pytest.mark.parametrize("strides", [1, 2, (1, 3)])
def test_row_kernels_long_rows(ksize, channels, strides):
    # the specialised row kernels (3x3, 1x3, 5x5, 1x5) and the generic tiles, on rows longer
    # than one run, with a channel tail, multiplier 2, bias and relu
    rng = np.random.default_rng(sum(ksize) + channels)
    x = rng.standard_normal((2, 7, 150, channels))
    dk = rng.standard_normal((*ksize, channels, 2))
    b = rng.standard_normal(2 * channels)
    for pad in ("same", "valid"):
        kw = dict(padding=pad, strides=strides)
        y = depthwise_conv(x, dk, **kw, bias=b, activation="relu")
        expected = ref.depthwise_conv(x, dk, **kw, bias=b, activation="relu")
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
        y32 = depthwise_conv(x.astype(np.float32), dk.astype(np.float32), **kw)
        _close(y32, ref.depthwise_conv(x, dk, **kw), _dw_magnitude(x, dk, None, **kw),
               math.prod(ksize), 1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_pairs_give_the_single_rows_bits(dtype, monkeypatch):
    # 3x3 stride-1 rows run in pairs (_depthwise_pairs.pxi): every accumulator still sums bias
    # then its taps in (kh, kw) order, so pairs and single rows must agree bit for bit, on
    # every ISA copy: odd and even row counts (a last row alone), border rows, a 1-row image,
    # rows of 1 to 70 pixels cut into chunks (few rows), channel tails, every start offset
    # (the channel phase), 'valid' and 'same', bias and relu, 3-D with a 1x3x3 kernel
    rng = np.random.default_rng(8)
    monkeypatch.setattr(depthwise_module, "_use_channel_blocks", lambda *args: False)
    shapes = [(2, 7, 70, 16), (1, 6, 9, 19), (1, 1, 5, 32), (3, 5, 2, 48), (1, 9, 30, 8)]
    for variant in _kernels.built_variants():
        try:
            mod = _kernels.load_variant("_depthwise", variant)
        except ImportError:
            continue
        monkeypatch.setattr(depthwise_module, "_dw", mod)
        for shape in shapes:
            x = rng.standard_normal(shape).astype(dtype)
            dk = rng.standard_normal((3, 3, shape[-1], 1)).astype(dtype)
            b = rng.standard_normal(shape[-1]).astype(dtype)
            for pad, act in (("same", "relu"), ("valid", None)):
                if pad == "valid" and min(shape[1:3]) < 3:
                    continue
                for view in ending_views(x):
                    outs = []
                    for on in (True, False):
                        mod._set_row_pairs(on)
                        try:
                            outs.append(depthwise_conv(view, dk, padding=pad, bias=b,
                                                       activation=act))
                        finally:
                            mod._set_row_pairs(True)
                    where = (variant, shape, pad, view.ctypes.data % 64)
                    assert np.array_equal(outs[0], outs[1]), where
        x3 = rng.standard_normal((1, 3, 6, 20, 16)).astype(dtype)
        dk3 = rng.standard_normal((1, 3, 3, 16, 1)).astype(dtype)
        outs = []
        for on in (True, False):
            mod._set_row_pairs(on)
            try:
                outs.append(depthwise_conv(x3, dk3, padding="same"))
            finally:
                mod._set_row_pairs(True)
        assert np.array_equal(outs[0], outs[1]), (variant, "3-D")
        np.testing.assert_allclose(outs[0], ref.depthwise_conv(x3, dk3, padding="same"),
                                   rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-4)


@pytest.mark.parametrize("ksize", [(3, 3), (1, 3), (5, 5), (1, 5), (3, 5)])
@pytest.mark.parametrize("strides", [1, (1, 2)])
def test_row_kernel_switch_bypasses_every_row_kernel(ksize, strides, monkeypatch):
    # _set_row_kernels(False) must route every kernel size through the generic tiles (it
    # once bypassed only the 3-wide ones: `A and B or C`), and the two paths must give the
    # same bits: both sum the taps of a pixel in (kh, kw) order.
    rng = np.random.default_rng(sum(ksize))
    x = rng.standard_normal((2, 6, 40, 37))
    dk = rng.standard_normal((*ksize, 37, 1))
    pk = rng.standard_normal((1, 1, 37, 5))
    row_sized = ksize in [(3, 3), (1, 3), (5, 5), (1, 5)]
    # the row kernels are what this test switches: keep the depthwise calls off the
    # channel-block kernel, which takes strided 5-wide windows (tests/test_ops_depthwise_blocks)
    monkeypatch.setattr(depthwise_module, "_use_channel_blocks", lambda *args: False)
    for variant in _kernels.built_variants():
        try:
            mod = _kernels.load_variant("_depthwise", variant)
        except ImportError:
            continue
        monkeypatch.setattr(depthwise_module, "_dw", mod)
        for dtype in (np.float32, np.float64):
            xd, dkd, pkd = x.astype(dtype), dk.astype(dtype), pk.astype(dtype)
            outs, used = {}, {}
            for on in (True, False):
                mod._set_row_kernels(on)
                try:
                    dw = depthwise_conv(xd, dkd, strides=strides, padding="same")
                    dw_used = mod._last_call_row_kernels()
                    sep = separable_conv(xd, dkd, pkd, strides=strides, padding="same")
                    sep_used = mod._last_call_row_kernels()
                finally:
                    mod._set_row_kernels(True)
                outs[on], used[on] = (dw, sep), (dw_used, sep_used)
            where = (variant, np.dtype(dtype).name, ksize, strides, used)
            assert used[False] == (False, False), where
            assert used[True] == (row_sized, row_sized), where
            for a, b in zip(outs[True], outs[False], strict=True):
                assert np.array_equal(a, b), where


def test_depth_multiplier_channel_order():
    # output channel q = c*M + m reads input channel c with kernel[..., c, m]
    x = np.zeros((1, 3, 2), np.float32)
    x[0, :, 0] = 1.0
    x[0, :, 1] = 10.0
    k = np.zeros((1, 2, 3), np.float32)
    k[0, 0] = [1, 2, 3]
    k[0, 1] = [4, 5, 6]
    y = depthwise_conv(x, k)
    np.testing.assert_array_equal(y[0, 0], [1, 2, 3, 40, 50, 60])


def test_dtype_rules():
    x = np.ones((1, 5, 5, 2), np.float32)
    k = np.ones((3, 3, 2, 1), np.float32)
    assert depthwise_conv(x, k).dtype == np.float32
    assert depthwise_conv(x, k.astype(np.float64)).dtype == np.float64
    assert depthwise_conv(x, k, bias=np.zeros(2)).dtype == np.float64
    assert depthwise_conv(x.astype(np.int32), k.astype(np.float16)).dtype == np.float32
    assert depthwise_conv(x.astype(bool), k).dtype == np.float32
    p = np.ones((1, 1, 2, 3))
    assert separable_conv(x, k, p).dtype == np.float64
    assert separable_conv(x, k, p.astype(np.int64)).dtype == np.float32
    np.testing.assert_array_equal(depthwise_conv(x.astype(np.int8), k), depthwise_conv(x, k))


@pytest.mark.parametrize("bad", [np.ones((1, 5, 5, 2), complex), np.array([[[["a"]]]], object)])
def test_complex_and_object_rejected(bad):
    k = np.ones((3, 3, 2, 1))
    with pytest.raises(TypeError, match="inputs"):
        depthwise_conv(bad, k)
    with pytest.raises(TypeError, match="kernel"):
        depthwise_conv(np.ones((1, 5, 5, 2)), k.astype(complex))
    with pytest.raises(TypeError, match="pointwise_kernel"):
        separable_conv(np.ones((1, 5, 5, 2)), k, np.ones((1, 1, 2, 3), complex))


def test_zero_batch():
    x = np.ones((0, 6, 6, 3), np.float32)
    k = np.ones((3, 3, 3, 2), np.float32)
    y = depthwise_conv(x, k, padding="same")
    assert y.shape == (0, 6, 6, 6)
    y = separable_conv(x, k, np.ones((1, 1, 6, 4)), strides=2)
    assert y.shape == (0, 2, 2, 4)
    assert depthwise_conv(np.ones((0, 3, 6, 6)), k, data_format="channels_first").shape == (
        0, 6, 4, 4)


def test_zero_spatial_same():
    y = depthwise_conv(np.ones((2, 0, 4)), np.ones((3, 4, 1)), padding="same")
    assert y.shape == (2, 0, 4)


def test_noncontiguous_and_readonly():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((2, 12, 14, 8))
    x = base[:, ::2, 1::2, ::2]          # strided view
    k = rng.standard_normal((3, 3, 4, 2))[::-1]
    k_ro = np.array(k)
    k_ro.flags.writeable = False
    x_ro = np.ascontiguousarray(x)
    x_ro.flags.writeable = False
    expected = ref.depthwise_conv(np.ascontiguousarray(x), np.ascontiguousarray(k),
                                  padding="same")
    np.testing.assert_allclose(depthwise_conv(x, k, padding="same"), expected, rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(depthwise_conv(x_ro, k_ro, padding="same"), expected,
                               rtol=1e-12, atol=1e-12)
    p = np.ones((1, 1, 8, 3))
    p.flags.writeable = False
    y = separable_conv(x_ro, k_ro, p, padding="same")
    assert y.flags.c_contiguous and y.flags.writeable
    assert not np.shares_memory(y, x_ro)


def test_nan_propagates():
    x = np.ones((1, 8, 8, 20), np.float32)
    x[0, 4, 4, 3] = np.nan
    k = np.ones((3, 3, 20, 1), np.float32)
    for act in (None, "relu"):
        y = depthwise_conv(x, k, padding="same", activation=act)
        assert np.isnan(y[0, 3:6, 3:6, 3]).all()
        assert np.isfinite(np.delete(y, 3, axis=-1)).all()
        assert np.isnan(y).sum() == 9
        z = separable_conv(x, k, np.ones((1, 1, 20, 5)), padding="same", activation=act)
        assert np.isnan(z[0, 3:6, 3:6]).all() and np.isnan(z).sum() == 45


@given(cfg=configs(ranks=(1, 2, 3)), value=st.sampled_from(NONFINITE), relu=st.booleans())
def test_nonfinite_weights_multiply_the_padding(cfg, value, relu):
    """inf/NaN depthwise weights meet the zero padding (0 * inf = NaN) as in the explicitly
    padding oracle, in both ops, whatever the tiling (see test_ops_conv for why not Keras)."""
    x, dk, pk = _arrays(cfg, np.float32)
    dk = poison(dk, cfg["seed"], value)
    kw = _kw(cfg)
    act = "relu" if relu else None
    x64, dk64, pk64 = (a.astype(np.float64) for a in (x, dk, pk))
    taps = math.prod(cfg["kernel_size"])
    for y, expected, mag, terms in [
            (depthwise_conv(x, dk, **kw, activation=act),
             ref.depthwise_conv(x64, dk64, **kw, activation=act),
             _dw_magnitude(x, dk, None, **kw), taps),
            (separable_conv(x, dk, pk, **kw, activation=act),
             ref.separable_conv(x64, dk64, pk64, **kw, activation=act),
             _sep_magnitude(x, dk, pk, None, **kw), taps * dk.shape[-2] * dk.shape[-1])]:
        finite = assert_same_nonfinite(y, expected)
        _close(y[finite], expected[finite], mag[finite], terms, 1e-5)


@pytest.mark.parametrize("shape, ks", [((2, 30, 5), (3,)), ((1, 16, 16, 5), (3, 3)),
                                       ((2, 9, 24, 5), (1, 5))])
def test_inf_weight_reaches_every_output_of_its_channel(shape, ks):
    """Tap 0 of channel 1 meets every output: real input (x * inf) or padding (0 * inf); as
    Keras computes it for these odd kernels padded on both sides."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1, shape).astype(np.float32)
    dk = rng.uniform(-1, 1, (*ks, 5, 1)).astype(np.float32)
    dk[(0,) * len(ks) + (1, 0)] = np.inf
    pk = rng.uniform(-1, 1, (*(1,) * len(ks), 5, 4)).astype(np.float32)
    y = depthwise_conv(x, pack_depthwise_kernel(dk), padding="same")
    assert not np.isfinite(y[..., 1]).any()
    assert np.isfinite(np.delete(y, 1, axis=-1)).all()
    assert_same_nonfinite(y, keras.ops.depthwise_conv(x, dk, padding="same"), rtol=1e-4,
                          atol=1e-5)
    z = separable_conv(x, dk, pk, padding="same")
    assert not np.isfinite(z).any()
    assert_same_nonfinite(z, keras.ops.separable_conv(x, dk, pk, padding="same"))


def test_relu_and_linear():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 9, 9, 18)).astype(np.float32)
    k = rng.standard_normal((3, 3, 18, 1)).astype(np.float32)
    lin = depthwise_conv(x, k, activation="linear")
    np.testing.assert_array_equal(lin, depthwise_conv(x, k))
    np.testing.assert_array_equal(depthwise_conv(x, k, activation="relu"), np.maximum(lin, 0))


def test_small_input_large_kernel_same_and_huge_steps():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 2, 3, 5))
    dk = rng.standard_normal((5, 4, 5, 2))
    pk = rng.standard_normal((1, 1, 10, 3))
    for kw in (dict(padding="same"), dict(padding="same", strides=7, dilation_rate=5),
               dict(padding="same", strides=(1, 9), dilation_rate=(9, 1))):
        np.testing.assert_allclose(depthwise_conv(x, dk, **kw), ref.depthwise_conv(x, dk, **kw),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(separable_conv(x, dk, pk, **kw),
                                   ref.separable_conv(x, dk, pk, **kw), rtol=1e-12, atol=1e-12)


def test_packed_kernel_reuse():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 10, 10, 6)).astype(np.float32)
    dk = rng.standard_normal((3, 3, 6, 2)).astype(np.float32)
    packed = pack_depthwise_kernel(dk)
    assert isinstance(packed, PackedDepthwise) and packed.shape == dk.shape
    np.testing.assert_array_equal(depthwise_conv(x, packed, padding="same"),
                                  depthwise_conv(x, dk, padding="same"))
    pk = rng.standard_normal((1, 1, 12, 4)).astype(np.float32)
    np.testing.assert_array_equal(separable_conv(x, packed, pk), separable_conv(x, dk, pk))
    # a float32 pack used with float64 inputs is repacked, not truncated
    y64 = depthwise_conv(x.astype(np.float64), pack_depthwise_kernel(dk.astype(np.float64)))
    assert y64.dtype == np.float64


def test_default_data_format_follows_config():
    x = np.random.default_rng(0).standard_normal((1, 3, 6, 6))
    k = np.ones((3, 3, 3, 1))
    convkit.config.set_image_data_format("channels_first")
    try:
        y = depthwise_conv(x, k)
    finally:
        convkit.config.set_image_data_format("channels_last")
    np.testing.assert_allclose(y, depthwise_conv(x, k, data_format="channels_first"))
    assert y.shape == (1, 3, 4, 4)


# ---------------------------------------------------------------- bad arguments

def test_channel_mismatch_names_both():
    with pytest.raises(ValueError, match=r"`inputs` has 4 channels.*`kernel` expects 3"):
        depthwise_conv(np.ones((1, 5, 5, 4)), np.ones((3, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"`inputs` has 5 channels.*`depthwise_kernel`"):
        separable_conv(np.ones((1, 5, 5, 4)), np.ones((3, 3, 4, 1)), np.ones((1, 1, 4, 2)),
                       data_format="channels_first")


def test_rank_mismatch():
    with pytest.raises(ValueError, match="Kernel shape must have the same length as input"):
        depthwise_conv(np.ones((1, 5, 5, 4)), np.ones((3, 4, 1)))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        depthwise_conv(np.ones((1, 5, 4)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="pointwise_kernel"):
        separable_conv(np.ones((1, 5, 5, 4)), np.ones((3, 3, 4, 2)), np.ones((1, 8, 3)))
    with pytest.raises(ValueError, match="pointwise_kernel"):
        separable_conv(np.ones((1, 5, 5, 4)), np.ones((3, 3, 4, 2)), np.ones((1, 1, 4, 3)))
    with pytest.raises(ValueError, match="pointwise_kernel"):
        separable_conv(np.ones((1, 5, 5, 4)), np.ones((3, 3, 4, 2)), np.ones((2, 1, 8, 3)))


def test_valid_output_zero_or_negative():
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        depthwise_conv(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), dilation_rate=2)
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        separable_conv(np.ones((1, 2, 2)), np.ones((3, 2, 1)), np.ones((1, 2, 2)))


def test_bad_arguments_named():
    x, k = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 2))
    with pytest.raises(ValueError, match="activation"):
        depthwise_conv(x, k, activation="tanh")
    with pytest.raises(ValueError, match="activation"):
        separable_conv(x, k, np.ones((1, 1, 4, 1)), activation="ReLU")
    with pytest.raises(ValueError, match="padding"):
        depthwise_conv(np.ones((1, 5, 2)), np.ones((3, 2, 1)), padding="causal")
    with pytest.raises(ValueError, match="padding"):
        depthwise_conv(x, k, padding=1)
    with pytest.raises(ValueError, match="strides"):
        depthwise_conv(x, k, strides=0)
    with pytest.raises(ValueError, match="dilation_rate"):
        depthwise_conv(x, k, dilation_rate=(1, 2, 3))
    with pytest.raises(ValueError, match="data_format"):
        depthwise_conv(x, k, data_format="NHWC")
    with pytest.raises(ValueError, match="bias"):
        depthwise_conv(x, k, bias=np.ones(2))
    with pytest.raises(ValueError, match="bias"):
        separable_conv(x, k, np.ones((1, 1, 4, 3)), bias=np.ones(4))


def test_thread_count_comes_from_threads_for(monkeypatch):
    # the op decides whether a call is worth a team (convkit._threads.threads_for, from its
    # multiply-adds); the kernel keeps no threshold of its own
    seen = []

    def spy(work, n_threads=None):
        seen.append(work)
        return 3

    monkeypatch.setattr(depthwise_module, "threads_for", spy)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 5, 7, 4))
    dk = rng.standard_normal((3, 2, 4, 2))
    pk = rng.standard_normal((1, 1, 8, 6))
    y = depthwise_conv(x, dk, padding="same")
    assert seen == [y.size * 3 * 2]
    # three threads for 14 rows of 7 pixels: the kernel runs them, correctly
    np.testing.assert_allclose(y, ref.depthwise_conv(x, dk, padding="same"), rtol=1e-12,
                               atol=1e-12)
    seen.clear()
    z = separable_conv(x, dk, pk, strides=2)
    assert seen == [z.size // 6 * 8 * (3 * 2 + 6)]
