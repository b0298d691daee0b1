"""ops.depthwise_input_gradient, ops.depthwise_kernel_gradient and ops.separable_gradients
against the NumPy oracle (tests/support/reference_depthwise.py), bit-identical for 1, 2 and 3
threads, argument errors. Kernel-level: ``make test-debug`` runs this file on bounds-checked
kernels; the array-edge cases for the sanitizer are in tests/test_kernel_bounds.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import ops
from tests.support import reference_depthwise as ref


@st.composite
def configs(draw, max_size=9):
    rank = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from(["valid", "same"]))
    ks = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if padding == "valid":
        sizes = tuple(draw(st.integers((k - 1) * d + 1, (k - 1) * d + max_size))
                      for k, d in zip(ks, dilation, strict=True))
    else:  # includes inputs smaller than the (dilated) kernel
        sizes = tuple(draw(st.integers(1, max_size + 3)) for _ in range(rank))
    return dict(
        rank=rank, padding=padding, kernel_size=ks, sizes=sizes,
        strides=tuple(draw(st.integers(1, 3)) for _ in range(rank)), dilation_rate=dilation,
        data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
        batch=draw(st.integers(1, 2)), channels=draw(st.sampled_from([1, 2, 3, 5, 16, 19])),
        multiplier=draw(st.integers(1, 3)), filters=draw(st.sampled_from([1, 4, 17])),
        seed=draw(st.integers(0, 2**31 - 1)))


def _arrays(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    c, m, n = cfg["channels"], cfg["multiplier"], cfg["batch"]
    shape = ((n, c, *cfg["sizes"]) if cfg["data_format"] == "channels_first"
             else (n, *cfg["sizes"], c))
    x = rng.standard_normal(shape).astype(dtype)
    dk = rng.standard_normal((*cfg["kernel_size"], c, m)).astype(dtype)
    pk = rng.standard_normal((1,) * cfg["rank"] + (c * m, cfg["filters"])).astype(dtype)
    return x, dk, pk, rng


def _kw(cfg):
    return {k: cfg[k] for k in ("strides", "padding", "data_format", "dilation_rate")}


def _close(got, want, dtype, terms=1):
    # float32: sums of `terms` products, scaled by the largest result (sums that cancel)
    rtol = 1e-10 if dtype == np.float64 else 2e-6 * max(1.0, float(np.sqrt(terms)))
    assert got.shape == want.shape and got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=rtol,
                               atol=rtol * max(float(np.abs(want).max(initial=0)), 1.0))


def _check_depthwise(cfg, dtype):
    x, dk, _, rng = _arrays(cfg, dtype)
    kw = _kw(cfg)
    dy = rng.standard_normal(ref.depthwise_conv(x, dk, **kw).shape).astype(dtype)
    want_dx, want_dk = ref.depthwise_gradients(x, dk, dy, **kw)
    taps = int(np.prod(cfg["kernel_size"]))
    _close(ops.depthwise_input_gradient(dy, dk, x.shape, **kw), want_dx, dtype,
           taps * cfg["multiplier"])
    _close(ops.depthwise_kernel_gradient(x, dy, cfg["kernel_size"], **kw), want_dk, dtype,
           dy.size // dy.shape[1 if cfg["data_format"] == "channels_first" else -1])


def _check_separable(cfg, dtype):
    x, dk, pk, rng = _arrays(cfg, dtype)
    kw = _kw(cfg)
    dy = rng.standard_normal(ref.separable_conv(x, dk, pk, **kw).shape).astype(dtype)
    want = ref.separable_gradients(x, dk, pk, dy, **kw)
    got = ops.separable_gradients(x, dk, pk, dy, **kw)
    terms = int(np.prod(cfg["kernel_size"])) * cfg["multiplier"] * cfg["filters"] \
        * dy.size // dy.shape[0]
    for g, w in zip(got, want, strict=True):
        _close(g, w, dtype, terms)


@settings(max_examples=25)
@given(cfg=configs())
def test_float64_matches_oracle(cfg):
    _check_depthwise(cfg, np.float64)
    _check_separable(cfg, np.float64)


@settings(max_examples=15)
@given(cfg=configs())
def test_float32_matches_oracle(cfg):
    _check_depthwise(cfg, np.float32)
    _check_separable(cfg, np.float32)


@pytest.mark.slow
@settings(max_examples=300)
@given(cfg=configs(max_size=20), dtype=st.sampled_from([np.float32, np.float64]))
def test_matches_oracle_long_sweep(cfg, dtype):
    _check_depthwise(cfg, dtype)
    _check_separable(cfg, dtype)


def test_rank3_and_mixed_dtypes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5, 3))
    dk = rng.standard_normal((2, 3, 2, 3, 2)).astype(np.float32)
    kw = dict(strides=(1, 2, 2), padding="same", dilation_rate=(2, 1, 1))
    dy = rng.standard_normal(ref.depthwise_conv(x, dk, **kw).shape)
    want_dx, want_dk = ref.depthwise_gradients(x, dk.astype(np.float64), dy, **kw)
    _close(ops.depthwise_input_gradient(dy, dk, x.shape, **kw), want_dx, np.float64)
    _close(ops.depthwise_kernel_gradient(x, dy, (2, 3, 2), **kw), want_dk, np.float64)
    # integer inputs compute in float32, like the forward op
    xi = rng.integers(-3, 4, size=(1, 6, 2))
    dyf = rng.standard_normal((1, 4, 2)).astype(np.float32)
    got = ops.depthwise_kernel_gradient(xi, dyf, 3)
    _close(got, ref.depthwise_gradients(xi.astype(np.float32), np.zeros((3, 2, 1), np.float32),
                                        dyf)[1], np.float32)


def _big_case(dtype, multiplier):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 40, 37, 24)).astype(dtype)
    dk = rng.standard_normal((3, 3, 24, multiplier)).astype(dtype)
    pk = rng.standard_normal((1, 1, 24 * multiplier, 10)).astype(dtype)
    return x, dk, pk, rng


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("multiplier", [1, 2])
def test_bit_identical_across_thread_counts(dtype, multiplier):
    # big enough for several threads and several chunks of the weight-gradient reduction
    x, dk, pk, rng = _big_case(dtype, multiplier)
    kw = dict(strides=(1, 2), padding="same", dilation_rate=(2, 1))
    dy = rng.standard_normal(ref.depthwise_conv(x, dk, **kw).shape).astype(dtype)
    dys = rng.standard_normal(ref.separable_conv(x, dk, pk, **kw).shape).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append([ops.depthwise_input_gradient(dy, dk, x.shape, **kw),
                            ops.depthwise_kernel_gradient(x, dy, 3, **kw),
                            *ops.separable_gradients(x, dk, pk, dys, **kw)])
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert np.array_equal(a, b)
    want_dx, want_dk = ref.depthwise_gradients(x, dk, dy, **kw)
    _close(results[0][0], want_dx, dtype, 9 * multiplier)
    _close(results[0][1], want_dk, dtype, dy.size // dy.shape[-1])


def test_zero_batch_and_empty_outputs():
    x = np.zeros((0, 5, 3), np.float32)
    dk = np.ones((2, 3, 2), np.float32)
    dy = np.zeros((0, 4, 6), np.float32)
    assert ops.depthwise_input_gradient(dy, dk, x.shape).shape == x.shape
    dkg = ops.depthwise_kernel_gradient(x, dy, 2)
    assert dkg.shape == (2, 3, 2) and not dkg.any()
    dx, ddk, dpk = ops.separable_gradients(x, dk, np.ones((1, 6, 4)), np.zeros((0, 4, 4)))
    assert dx.shape == x.shape and not ddk.any() and not dpk.any()


def test_noncontiguous_operands():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 12, 3))[:, ::2]
    dk = rng.standard_normal((3, 3, 2))
    dy = rng.standard_normal((2, 12, 6))[:, ::2]
    want_dx, want_dk = ref.depthwise_gradients(x, dk, dy, padding="same")
    _close(ops.depthwise_input_gradient(dy, dk, x.shape, padding="same"), want_dx, np.float64)
    _close(ops.depthwise_kernel_gradient(x, dy, 3, padding="same"), want_dk, np.float64)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.depthwise_input_gradient(np.ones((1, 3, 2)), np.ones((3, 2)), (1, 5, 2)),
     ValueError, "kernel"),
    (lambda: ops.depthwise_input_gradient(np.ones((1, 3, 2)), np.ones((3, 2, 1)), (1, 5, 3)),
     ValueError, "does not fit"),
    (lambda: ops.depthwise_input_gradient(np.ones((1, 4, 2)), np.ones((3, 2, 1)), (1, 5, 2)),
     ValueError, "output_gradient"),
    (lambda: ops.depthwise_input_gradient(np.ones((1, 3, 2), int), np.ones((3, 2, 1)),
                                          (1, 5, 2)), TypeError, "output_gradient"),
    (lambda: ops.depthwise_input_gradient(np.ones((1, 3, 2)), np.ones((0, 2, 1)), (1, 5, 2)),
     ValueError, "zero"),
    (lambda: ops.depthwise_input_gradient(np.ones((1, 3, 2)), np.ones((3, 2, 1)), (1, 5, 2),
                                          strides=0), ValueError, "strides"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((1, 5, 2)), np.ones((1, 3, 3)), 3),
     ValueError, "multiple"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((1, 5, 2)), np.ones((1, 3, 4)), 3,
                                           padding="causal"), ValueError, "padding"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((1, 5, 2)), np.ones((1, 2, 4)), 3),
     ValueError, "output_gradient"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((5, 2)), np.ones((3, 4)), 3),
     ValueError, "rank"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((1, 5, 2)), np.ones((1, 3, 4)), 3,
                                           data_format="nhwc"), ValueError, "data_format"),
    (lambda: ops.depthwise_kernel_gradient(np.ones((1, 5, 2), complex), np.ones((1, 3, 4)), 3),
     TypeError, "inputs"),
    (lambda: ops.separable_gradients(np.ones((1, 5, 2)), np.ones((3, 2, 1)), np.ones((1, 3, 4)),
                                     np.ones((1, 3, 4))), ValueError, "pointwise_kernel"),
    (lambda: ops.separable_gradients(np.ones((1, 5, 2)), np.ones((3, 2, 1)), np.ones((1, 2, 4)),
                                     np.ones((1, 3, 5))), ValueError, "pointwise_kernel"),
    (lambda: ops.separable_gradients(np.ones((1, 5, 3)), np.ones((3, 2, 1)), np.ones((1, 2, 4)),
                                     np.ones((1, 3, 4))), ValueError, "does not fit"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_kernels_bit_identical_across_thread_counts(dtype):
    # the layers' paths: input gradient as a flipped convolution (stride 1, one multiplier),
    # weight and bias gradients in one pass, the pointwise weight gradient's chunked sums
    # (several chunks), channel counts that leave partial tiles
    from convkit.ops import depthwise_grad
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 41, 37, 13)).astype(dtype)
    dk = rng.standard_normal((3, 3, 13, 1)).astype(dtype)
    pk = rng.standard_normal((1, 1, 13, 37)).astype(dtype)
    kw = dict(padding="same")
    dy = rng.standard_normal(ref.depthwise_conv(x, dk, **kw).shape).astype(dtype)
    dys = rng.standard_normal(ref.separable_conv(x, dk, pk, **kw).shape).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            _, u5 = depthwise_grad.separable_forward_keeping_intermediate(x, dk, pk, **kw)
            results.append([*depthwise_grad.depthwise_gradients(x, dk, dy, bias=True, **kw),
                            *depthwise_grad.separable_gradients_from_intermediate(
                                x, dk, pk, dys, u5, bias=True, **kw)])
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert np.array_equal(a, b)
    want_s = ref.separable_gradients(x, dk, pk, dys, **kw)
    positions = dys.size // dys.shape[-1]
    _close(results[0][4], want_s[1], dtype, positions)
    _close(results[0][5], want_s[2], dtype, positions)
    _close(results[0][6], dys.reshape(-1, 37).sum(axis=0), dtype, positions)
