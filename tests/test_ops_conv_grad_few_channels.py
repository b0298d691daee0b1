"""The gradient paths for convolutions with few channels (ops/conv_grad.py and
ops/_conv_weight_grad.py): the gathering input-gradient kernel, the folded and the
role-swapped weight gradient, the fused relu/bias-gradient pass, and a training step skipping
the first layer's input gradient.

Each against the NumPy oracle (tests/support/reference_conv_grad.py) and bit-identical for
1, 2 and 3 threads; the kernels' own argument checks."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convkit
from convkit import _kernels, layers, models, ops, optimizers
from convkit.ops import _conv_weight_grad, conv_grad
from tests.support import reference_conv as ref
from tests.support import reference_conv_grad as ref_grad
from tests.support.keras_oracle import reduction_rtol


def _bounded(got, want, bound, reduction_size, dtype):
    rtol = reduction_rtol(reduction_size, dtype)
    assert got.shape == want.shape and got.dtype == dtype
    assert (np.abs(got - want) <= rtol * (bound + 1e-30)).all()


def _problem(rng, batch, spatial, c, f, ks, dtype, **kw):
    x = rng.standard_normal((batch, *spatial, c)).astype(dtype)
    k = rng.standard_normal((*ks, c, f)).astype(dtype)
    dy = rng.standard_normal(ref.conv(x, k, **kw).shape).astype(dtype)
    want = ref_grad.conv_gradients(*(a.astype(np.float64) for a in (x, k, dy)), **kw)
    bound = ref_grad.conv_gradients(*(np.abs(a.astype(np.float64)) for a in (x, k, dy)), **kw)
    return x, k, dy, want, bound


def _thread_results(fn):
    out = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            out.append(fn())
    assert all(np.array_equal(out[0], r) for r in out[1:])
    return out[0]


@st.composite
def few_channel_cases(draw):
    rank = draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 3 if rank == 3 else 7)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 6 if rank == 3 else 12)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    if padding == "valid":
        assume(all(n >= (k - 1) * d + 1 for n, k, d in zip(spatial, ks, dilation)))
    return dict(rank=rank, ks=ks, spatial=spatial, batch=draw(st.integers(1, 3)),
                c=draw(st.sampled_from([1, 2, 3, 4, 5, 8, 16])),
                f=draw(st.sampled_from([1, 2, 3, 16, 33])),
                kw=dict(strides=strides, padding=padding, dilation_rate=dilation))


def _check_against_oracle(case, dtype):
    # C <= 8 runs the gathering dx; C <= 16 the folded dK (stride 1, F < C: swapped)
    x, k, dy, want, bound = _problem(np.random.default_rng(0), case["batch"], case["spatial"],
                                     case["c"], case["f"], case["ks"], dtype, **case["kw"])
    dx = ops.conv_input_gradient(dy, k, x.shape, **case["kw"])
    dk = ops.conv_kernel_gradient(x, dy, case["ks"], **case["kw"])
    _bounded(dx, want[0], bound[0], case["f"] * int(np.prod(case["ks"])), dtype)
    _bounded(dk, want[1], bound[1], dy.size // case["f"], dtype)


@settings(max_examples=40, deadline=None)
@given(case=few_channel_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_few_channel_gradients_match_oracle(case, dtype):
    _check_against_oracle(case, dtype)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(case=few_channel_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_few_channel_gradients_match_oracle_wide(case, dtype):
    _check_against_oracle(case, dtype)


@settings(max_examples=60, deadline=None)
@given(case=few_channel_cases(), dtype=st.sampled_from([np.float32, np.float64]),
       width=st.integers(1, 21))
def test_gathered_input_gradient_is_exact_on_small_integers(case, dtype, width):
    # Small integers make every sum exact in any order, so the gathered dx must equal the
    # oracle bit for bit: a wrong tap, output shift or pixel-tile boundary (tiles of 4
    # columns a stride apart, then single columns) cannot hide inside a tolerance.
    spatial = (*case["spatial"][:-1], width)
    kw = case["kw"]
    if kw["padding"] == "valid":
        assume(width >= (case["ks"][-1] - 1) * kw["dilation_rate"][-1] + 1)
    rng = np.random.default_rng(width)
    x = np.zeros((case["batch"], *spatial, min(case["c"], 8)), dtype)
    k = rng.integers(-3, 4, (*case["ks"], x.shape[-1], case["f"])).astype(dtype)
    dy = rng.integers(-3, 4, ref.conv(x, k, **kw).shape).astype(dtype)
    want = ref_grad.conv_gradients(x.astype(np.float64), k.astype(np.float64),
                                   dy.astype(np.float64), **kw)[0]
    got = ops.conv_input_gradient(dy, k, x.shape, **kw)
    assert got.dtype == dtype and np.array_equal(got, want.astype(dtype))


@pytest.mark.parametrize("case", [
    # the stem: 3 channels, 7x7 stride 2 (gather dx, folded dK over several chunks)
    dict(x=(1, 60, 58, 3), ks=(7, 7), f=64, kw=dict(strides=2, padding="same")),
    # one channel, 3x3 valid (folded dK with the narrow tile, dx with a single-row block)
    dict(x=(6, 28, 28, 1), ks=(3, 3), f=32, kw=dict(padding="valid")),
    # 3-D with 16 channels: folded dK (27 taps), dx by the transposed conv
    dict(x=(1, 12, 12, 12, 16), ks=(3, 3, 3), f=8, kw=dict(padding="same")),
    # fewer filters than channels at stride 1: the role-swapped dK
    dict(x=(4, 40, 40, 16), ks=(3, 3), f=1, kw=dict(padding="same")),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_across_thread_counts(case, dtype):
    rng = np.random.default_rng(1)
    xs = case["x"]
    x, k, dy, want, bound = _problem(rng, xs[0], xs[1:-1], xs[-1], case["f"], case["ks"],
                                     dtype, **case["kw"])
    dx = _thread_results(lambda: ops.conv_input_gradient(dy, k, x.shape, **case["kw"]))
    dk = _thread_results(lambda: ops.conv_kernel_gradient(x, dy, case["ks"], **case["kw"]))
    _bounded(dx, want[0], bound[0], case["f"] * int(np.prod(case["ks"])), dtype)
    _bounded(dk, want[1], bound[1], dy.size // case["f"], dtype)


def test_folded_weight_gradient_equals_the_per_tap_kernel(monkeypatch):
    # padded positions add exact zeros: the folded sums are the per-tap kernel's, bit for bit
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 30, 20, 3)).astype(np.float32)
    dy = rng.standard_normal((2, 15, 10, 24)).astype(np.float32)
    folded = ops.conv_kernel_gradient(x, dy, 5, strides=2, padding="same")
    monkeypatch.setattr(_conv_weight_grad, "FOLD_MAX_CHANNELS", 0)
    per_tap = ops.conv_kernel_gradient(x, dy, 5, strides=2, padding="same")
    np.testing.assert_array_equal(folded, per_tap)


def test_gather_keeps_non_finite_kernels_on_the_transposed_conv():
    # a non-finite kernel value goes where Keras puts it (the transposed conv's path)
    x = np.ones((1, 5, 1), np.float32)
    k = np.ones((3, 1, 2), np.float32)
    k[1, 0, 0] = np.inf
    dy = np.ones((1, 3, 2), np.float32)
    dx = ops.conv_input_gradient(dy, k, x.shape, padding="valid")
    want, _ = ref_grad.conv_gradients(x.astype(np.float64), k.astype(np.float64),
                                      dy.astype(np.float64), padding="valid")
    np.testing.assert_array_equal(dx, want.astype(np.float32))


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5000, 7), (2, 40, 40, 16)])
def test_fused_activation_bias_gradient(relu, dtype, shape):
    rng = np.random.default_rng(3)
    y = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    y.reshape(-1)[::7] = 0  # relu's derivative at 0 is 0
    dy = rng.standard_normal(shape).astype(dtype)
    dz, db = conv_grad.fused_activation_bias_gradient(y, dy, relu)
    want_dz = np.where(y > 0, dy, 0) if relu else dy
    np.testing.assert_array_equal(dz, want_dz)
    want_db = want_dz.reshape(-1, shape[-1]).astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(db, want_db, rtol=1e-6 if dtype == np.float32 else 1e-12)
    assert db.dtype == dtype
    dbs = _thread_results(lambda: conv_grad.fused_activation_bias_gradient(y, dy, relu)[1])
    np.testing.assert_array_equal(dbs, db)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_relu_gradient_selects_bits_as_jax(dtype):
    """The relu select is a bit mask in the kernel: where ``y > 0`` dz has dy's exact bits
    (-0.0, inf and NaN included); elsewhere (``y`` 0, -0.0, negative or NaN) it is +0.0 even
    when dy is NaN or inf, as ``lax.select`` in jax's relu derivative. Random signs on a
    shape with a tail past the kernel's 64-item rows."""
    rng = np.random.default_rng(11)
    shape = (3, 37, 5)
    y = rng.standard_normal(shape).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    flat_y, flat_dy = y.reshape(-1), dy.reshape(-1)
    flat_y[:8] = [0.0, -0.0, np.nan, -1.0, 2.0, 2.0, 2.0, 2.0]
    flat_dy[:8] = [np.nan, np.inf, np.nan, -np.inf, -0.0, np.nan, np.inf, 1.5]
    dz, _ = conv_grad.fused_activation_bias_gradient(y, dy, True)
    with np.errstate(invalid="ignore"):
        want = np.where(y > 0, dy, dtype(0))
    bits = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(dz.view(bits), want.view(bits))
    assert np.signbit(dz.reshape(-1)[4]) and np.isnan(dz.reshape(-1)[5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channels_first_relu_gradient_is_the_select(dtype):
    """A channels_first relu layer takes the relu derivative from the compiled select on the
    flat arrays (then the bias gradient apart): exactly np.where's dz, then the same ops."""
    rng = np.random.default_rng(12)
    layer = layers.Conv2D(5, 3, padding="same", activation="relu",
                          data_format="channels_first", dtype=np.dtype(dtype).name)
    x = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
    layer.build(x.shape)
    y = layer(x)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx, (dk, db) = layer.backward(x, dy)
    dz = np.where(y > 0, dy, dtype(0))
    kw = dict(padding="same", data_format="channels_first")
    np.testing.assert_array_equal(dx, ops.conv_input_gradient(dz, layer.kernel.numpy(),
                                                              x.shape, **kw))
    np.testing.assert_array_equal(dk, ops.conv_kernel_gradient(x, dz, 3, **kw))
    np.testing.assert_array_equal(db, ops.bias_gradient(dz, "channels_first"))


def test_kernel_modules_check_sizes():
    gather = _kernels.load("_conv_input_grad")
    dims = np.array([1, 1, 1, 4, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0],
                    dtype=np.intp)
    with pytest.raises(ValueError, match="array sizes"):
        gather.input_grad_d(np.zeros(3), np.zeros(3), np.zeros(4), dims, 1)
    with pytest.raises(ValueError, match="geometry integers"):
        gather.input_grad_d(np.zeros(2), np.zeros(3), np.zeros(4), dims[:5], 1)
    bad = dims.copy()
    bad[12] = 0  # a zero stride
    with pytest.raises(ValueError, match="inconsistent geometry"):
        gather.input_grad_d(np.zeros(2), np.zeros(3), np.zeros(4), bad, 1)
    grad = _kernels.load("_conv_grad")
    kb = grad.tile_info()[("d", "narrow")][1]
    fdims = np.array([1, 1, 1, 4, 1, 1, 1, 2, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1],
                     dtype=np.intp)
    with pytest.raises(ValueError, match="input size"):
        grad.kernel_grad_folded_d(np.zeros(3), np.zeros(2 * kb), np.zeros(3), fdims,
                                  "narrow", 1)
    outside = fdims.copy()
    outside[19] = 1  # padding: a window would leave x
    with pytest.raises(ValueError, match="every window inside"):
        grad.kernel_grad_folded_d(np.zeros(4), np.zeros(2 * kb), np.zeros(3), outside,
                                  "narrow", 1)
    bias = _kernels.load("_bias_grad")
    with pytest.raises(ValueError, match="shapes do not match"):
        bias.activation_bias_grad_d(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)),
                                    np.zeros(2), True, 1)


def _autoencoder():
    model = models.Sequential([
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(1, 3, padding="same")])
    model.build((None, 12, 12, 1))
    return model


def test_training_step_skips_only_the_models_input_gradient():
    rng = np.random.default_rng(4)
    model = _autoencoder()
    x = rng.random((3, 12, 12, 1), dtype=np.float32)
    dy = rng.standard_normal((3, 12, 12, 1)).astype(np.float32)
    _, context = model._forward_with_context(x, True)
    dx_full, full = model._gradients(context, dy)
    _, context = model._forward_with_context(x, True)
    dx_none, skipped = model._gradients(context, dy, input_gradient=False)
    assert dx_none is None and dx_full.shape == x.shape
    assert len(full) == len(skipped) == 8
    for a, b in zip(full, skipped, strict=True):
        np.testing.assert_array_equal(a, b)
    # the public backward still returns the input gradient
    dx, _ = model.backward(x, dy)
    np.testing.assert_array_equal(dx, dx_full)


def test_train_on_batch_matches_a_step_from_backward():
    rng = np.random.default_rng(5)
    model = _autoencoder()
    x = rng.random((3, 12, 12, 1), dtype=np.float32)
    y = rng.random((3, 12, 12, 1), dtype=np.float32)
    start = model.get_weights()
    y_pred = model.predict(x, verbose=0)
    dy = (2.0 * (y_pred - y) / y.size).astype(np.float32)  # mean squared error's gradient
    _, grads = model.backward(x, dy, training=True)
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    model.train_on_batch(x, y)
    for w0, g, w1 in zip(start, grads, model.get_weights(), strict=True):
        np.testing.assert_allclose(w1, w0 - 0.1 * g, rtol=1e-5, atol=1e-7)
