"""convkit.ops.conv_transpose against keras.ops.conv_transpose, Conv2DTranspose and the oracle.

Tolerance as in test_ops_conv.py: an output sums at most R = prod(kernel_size) * in_channels
products, so ``rtol = atol = 1e-5 * sqrt(R)`` against Keras (float32) and 1e-12 against the
float64 oracle.
"""

import keras  # noqa: E402  (the test extra installs it; KERAS_BACKEND set above)
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convkit
from convkit import ops
from convkit.ops.conv_transpose import pack_conv_transpose_kernel
from tests.support import reference_conv as ref
from tests.support.nonfinite import NONFINITE, assert_same_nonfinite, poison


def tol(kernel, scale):
    red = int(np.prod(kernel.shape[:-2])) * kernel.shape[-1]
    return dict(rtol=scale * np.sqrt(red), atol=scale * np.sqrt(red))


@st.composite
def transpose_cases(draw):
    rank = draw(st.integers(1, 3))
    small = rank == 3
    ks = tuple(draw(st.integers(1, 3 if small else 5)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 5 if small else 9)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if draw(st.booleans()):
        dilation = tuple(draw(st.sampled_from([1, 2, 3])) for _ in range(rank))
    else:
        dilation = (1,) * rank
    padding = draw(st.sampled_from(["valid", "same"]))
    if draw(st.booleans()):
        output_padding = None
    else:
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    c = draw(st.integers(1, 6))
    f = draw(st.sampled_from([1, 3, 16, 33, 70]))
    return dict(rank=rank, ks=ks, spatial=spatial, strides=strides, dilation=dilation,
                padding=padding, output_padding=output_padding, c=c, f=f,
                batch=draw(st.integers(1, 2)),
                data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                use_bias=draw(st.booleans()), seed=draw(st.integers(0, 2**31 - 1)))


def make_arrays(case, dtype):
    rng = np.random.default_rng(case["seed"])
    x = rng.uniform(-1, 1, (case["batch"], *case["spatial"], case["c"])).astype(dtype)
    k = rng.uniform(-1, 1, (*case["ks"], case["f"], case["c"])).astype(dtype)
    b = rng.uniform(-1, 1, case["f"]).astype(dtype) if case["use_bias"] else None
    if case["data_format"] == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    return x, k, b


def call(fn, x, k, case, **kw):
    return fn(x, k, case["strides"], case["padding"], case["output_padding"],
              case["data_format"], case["dilation"], **kw)


def add_bias(y, b, case):
    if b is None:
        return y
    return y + (b if case["data_format"] == "channels_last" else b.reshape(-1, *[1] *
                                                                          case["rank"]))


@given(transpose_cases())
def test_conv_transpose_matches_keras_float32(case):
    x, k, b = make_arrays(case, np.float32)
    expected_shape = ref.conv_transpose(x[:1, ...], k, case["strides"], case["padding"],
                                        case["output_padding"], case["data_format"],
                                        case["dilation"]).shape
    assume(min(expected_shape[1:]) > 0)  # jax rejects empty outputs; D7 is tested below
    ours = call(ops.conv_transpose, x, k, case, bias=b)
    expected = add_bias(np.asarray(call(keras.ops.conv_transpose, x, k, case)), b, case)
    assert ours.dtype == np.float32 and ours.flags.c_contiguous
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, **tol(k, 1e-5))
    oracle = call(ref.conv_transpose, x.astype(np.float64), k.astype(np.float64), case,
                  bias=b)
    np.testing.assert_allclose(oracle, expected, **tol(k, 1e-5))


@given(transpose_cases())
def test_conv_transpose_float64_matches_oracle(case):
    x, k, b = make_arrays(case, np.float64)
    ours = call(ops.conv_transpose, x, k, case, bias=b, activation="relu")
    oracle = call(ref.conv_transpose, x, k, case, bias=b)
    assert ours.shape == oracle.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours, np.maximum(oracle, 0), **tol(k, 1e-12))


@given(transpose_cases(), st.sampled_from(NONFINITE), st.integers(1, 3))
def test_nonfinite_weights_reach_the_outputs_of_real_inputs(case, value, count):
    """An inf/NaN weight reaches exactly the outputs its products with real inputs reach,
    as in the scatter-defined oracle (the phase kernels alone would also multiply some of
    the zeros between and around the inputs, depending on the tiling)."""
    x, k, b = make_arrays(case, np.float32)
    k = poison(k, case["seed"], value, count)
    expected = call(ref.conv_transpose, x.astype(np.float64), k.astype(np.float64), case,
                    bias=b)
    assert_same_nonfinite(call(ops.conv_transpose, x, k, case, bias=b), expected,
                          **tol(k, 1e-5))
    ours = call(ops.conv_transpose, x.astype(np.float64), pack_conv_transpose_kernel(
        k.astype(np.float64), case["strides"], case["dilation"]), case, bias=b,
        activation="relu")
    assert_same_nonfinite(ours, np.where(expected < 0, 0, expected), **tol(k, 1e-12))


@pytest.mark.parametrize("shape, ks, strides, padding, output_padding", [
    ((2, 7, 3), (3,), 2, "valid", None), ((2, 7, 3), (4,), 3, "same", 1),
    ((1, 12, 10, 3), (3, 3), 2, "same", None), ((2, 7, 6, 3), (4, 3), (2, 3), "valid", (1, 2)),
    ((1, 9, 9, 3), (3, 3), (2, 1), "same", None)])
def test_nonfinite_weights_match_keras_strided(shape, ks, strides, padding, output_padding):
    """XLA computes 1-D/2-D strided transposed convs (dilation 1) from real inputs only, like
    the oracle (its stride-1 and 3-D ones multiply the padding and inserted zeros too)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    k = rng.uniform(-1, 1, (*ks, 5, 3)).astype(np.float32)
    k[(0,) * len(ks) + (1, 2)] = np.inf
    k[(-1,) * len(ks) + (3, 0)] = np.nan
    y = ops.conv_transpose(x, k, strides, padding, output_padding, "channels_last")
    expected = np.asarray(keras.ops.conv_transpose(x, k, strides, padding, output_padding))
    assert_same_nonfinite(y, expected, **tol(k, 1e-5))
    assert not np.isfinite(y).all() and np.isfinite(y).any()
    convkit.config.set_image_data_format("channels_first")  # the default must not leak in
    try:
        again = ops.conv_transpose(x, k, strides, padding, output_padding, "channels_last")
    finally:
        convkit.config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(again, y)


# docs/design/keras_parity.md §3.2: 1-D input [1, 0, 0], kernel taps 1..k
IMPULSES = [
    (3, 2, "same", None, [1, 2, 3, 0, 0, 0]), (4, 2, "same", None, [2, 3, 4, 0, 0, 0]),
    (5, 2, "same", None, [2, 3, 4, 5, 0, 0]), (3, 2, "same", 0, [2, 3, 0, 0, 0]),
    (3, 2, "same", 1, [1, 2, 3, 0, 0, 0]), (4, 2, "same", 0, [3, 4, 0, 0]),
    (4, 2, "same", 1, [2, 3, 4, 0, 0]), (4, 1, "same", None, [2, 3, 4]),
    (1, 3, "same", None, [1] + [0] * 8), (2, 3, "valid", None, [1, 2] + [0] * 7),
    (3, 2, "valid", 1, [1, 2, 3, 0, 0, 0, 0, 0]),
]


@pytest.mark.parametrize("k, s, padding, op, expected", IMPULSES)
def test_transposed_placement_impulses(k, s, padding, op, expected):
    x = np.array([1.0, 0, 0]).reshape(1, 3, 1)
    kern = np.arange(1.0, k + 1).reshape(k, 1, 1)
    y = ops.conv_transpose(x, kern, s, padding, op)[0, :, 0]
    np.testing.assert_array_equal(y, expected)
    kj = np.asarray(keras.ops.conv_transpose(x.astype(np.float32), kern.astype(np.float32),
                                             s, padding, op))[0, :, 0]
    np.testing.assert_array_equal(kj, expected)  # Keras agrees with the parity doc


@pytest.mark.parametrize("kw", [
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=(4, 3), strides=(2, 3), padding="valid", output_padding=(1, 2)),
    dict(kernel_size=2, strides=1, padding="same", dilation_rate=2),
    dict(kernel_size=5, strides=2, padding="same", output_padding=0, data_format="channels_first"),
])
def test_matches_keras_conv2d_transpose_layer(kw):
    rng = np.random.default_rng(0)
    fmt = kw.get("data_format", "channels_last")
    x = rng.uniform(-1, 1, (2, 3, 7, 6) if fmt == "channels_first" else (2, 7, 6, 3))
    x = x.astype(np.float32)
    layer = keras.layers.Conv2DTranspose(5, **kw)
    layer(x)
    k = rng.uniform(-1, 1, layer.kernel.shape).astype(np.float32)
    b = rng.uniform(-1, 1, 5).astype(np.float32)
    layer.set_weights([k, b])
    expected = np.asarray(layer(x))
    ours = ops.conv_transpose(x, k, kw["strides"], kw["padding"], kw.get("output_padding"),
                              fmt, kw.get("dilation_rate", 1), bias=b)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, **tol(k, 1e-5))


@st.composite
def adjoint_cases(draw):
    rank = draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    spatial = tuple(draw(st.integers(4, 9)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = (1,) * rank if max(strides) > 1 else tuple(draw(st.integers(1, 2))
                                                          for _ in range(rank))
    return rank, ks, spatial, strides, dilation, draw(st.sampled_from(["valid", "same"]))


@given(adjoint_cases())
def test_adjoint_identity(case):
    """<conv(x, K), y> = <x, conv_transpose(y, K)>, float64.

    The forward kernel K has shape kernel_size + (C, F). A transposed conv maps F channels back
    to C, and Keras's transposed layout is kernel_size + (filters, in_channels) =
    kernel_size + (C, F): the *same array*, no axis swap. output_padding is chosen so the
    output length is the forward input length n; for "same" the transposed crop c0 must also
    equal the forward "before" padding, which holds except for a few even-kernel cases that
    `assume` skips.
    """
    rank, ks, spatial, strides, dilation, padding = case
    rng = np.random.default_rng(sum(spatial) + 7 * sum(ks))
    c, f = 3, 4
    x = rng.standard_normal((2, *spatial, c))
    k = rng.standard_normal((*ks, c, f))
    assume(padding == "same" or all(n >= (kk - 1) * d + 1 for n, kk, d in
                                    zip(spatial, ks, dilation, strict=True)))
    y_fwd = ops.conv(x, k, strides, padding, dilation_rate=dilation)
    out = y_fwd.shape[1:-1]
    op = []
    for n, m, kk, s, d in zip(spatial, out, ks, strides, dilation, strict=True):
        ek = (kk - 1) * d + 1
        o = n - (m - 1) * s - (ek if padding == "valid" else ek % 2)
        assume(0 <= o < s)
        if padding == "same":
            assume(ref.transpose_crop(kk, s, d, "same", o) == ref.same_pads(n, kk, s, d)[0])
        op.append(o)
    y = rng.standard_normal(y_fwd.shape)
    xt = ops.conv_transpose(y, k, strides, padding, tuple(op), dilation_rate=dilation)
    assert xt.shape == x.shape
    lhs, rhs = np.vdot(y_fwd, y), np.vdot(x, xt)
    assert abs(lhs - rhs) <= 1e-10 * (abs(lhs) + np.sqrt(y.size))


def test_zero_size_outputs_are_empty():
    k = np.ones((3, 2, 1))
    y = ops.conv_transpose(np.ones((1, 0, 1)), k, 1, "same")
    assert y.shape == (1, 0, 2)
    y = ops.conv_transpose(np.ones((0, 4, 1), np.float32), k.astype(np.float32), 2)
    assert y.shape == (0, 9, 2) and y.dtype == np.float32
    # zero-length input but positive valid output: nothing reaches it, bias only
    y = ops.conv_transpose(np.ones((1, 0, 1)), k, 1, "valid", bias=np.array([1.0, -2.0]),
                           activation="relu")
    np.testing.assert_array_equal(y, [[[1.0, 0.0], [1.0, 0.0]]])


def test_zero_tails_get_bias():
    x = np.ones((1, 2, 1))
    y = ops.conv_transpose(x, np.ones((1, 1, 1)), 4, "valid", bias=np.array([0.5]))
    np.testing.assert_array_equal(y[0, :, 0], [1.5, 0.5, 0.5, 0.5, 1.5, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_across_thread_counts(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 17, 19, 24)).astype(dtype)
    k = rng.standard_normal((3, 4, 40, 24)).astype(dtype)
    with convkit.num_threads(1):
        y1 = ops.conv_transpose(x, k, 2, "same", bias=np.ones(40))
    with convkit.num_threads(2):
        y2 = ops.conv_transpose(x, k, 2, "same", bias=np.ones(40))
    assert np.array_equal(y1, y2)


def test_packed_kernel_reuse_and_mismatch():
    rng = np.random.default_rng(4)
    k = rng.standard_normal((3, 3, 5, 2)).astype(np.float32)
    pk = pack_conv_transpose_kernel(k, 2)
    x = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    for padding, op in [("same", None), ("valid", 1), ("same", (0, 1))]:
        np.testing.assert_array_equal(ops.conv_transpose(x, pk, 2, padding, op),
                                      ops.conv_transpose(x, k, 2, padding, op))
    with pytest.raises(ValueError, match="packed kernel"):
        ops.conv_transpose(x, pk, 3)


def test_bad_inputs():
    x = np.ones((1, 5, 5, 2))
    k = np.ones((3, 3, 4, 2))
    with pytest.raises(ValueError, match="strictly less than `strides`"):
        ops.conv_transpose(x, k, 2, output_padding=2)
    with pytest.raises(ValueError, match="strictly less than `strides`"):
        ops.conv_transpose(x, k, 1, output_padding=(0, 1))
    with pytest.raises(ValueError, match="output_padding"):
        ops.conv_transpose(x, k, 2, output_padding=-1)
    with pytest.raises(ValueError, match="input channels=2, kernel input channels=3"):
        ops.conv_transpose(x, np.ones((3, 3, 4, 3)), 2)
    with pytest.raises(ValueError, match="must have rank 4"):
        ops.conv_transpose(np.ones((1, 5, 5, 5, 2)), k, 2)
    with pytest.raises(ValueError, match="padding"):
        ops.conv_transpose(x, k, 2, padding="causal")
    with pytest.raises(ValueError, match="strides"):
        ops.conv_transpose(x, k, (2, 0))
    with pytest.raises(ValueError, match="Zero channels"):
        ops.conv_transpose(np.ones((1, 5, 5, 0)), np.ones((3, 3, 4, 0)), 2)
    with pytest.raises(TypeError, match="inputs"):
        ops.conv_transpose(x.astype(complex), k, 2)
    with pytest.raises(ValueError, match="activation"):
        ops.conv_transpose(x, k, 2, activation="sigmoid")


def test_dtypes_noncontiguous_nan():
    rng = np.random.default_rng(5)
    k = rng.standard_normal((3, 3, 4, 2))
    xi = rng.integers(-2, 3, (1, 5, 5, 2))
    y = ops.conv_transpose(xi, k.astype(np.float32), 2, "same")
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, ref.conv_transpose(xi.astype(np.float64),
                                                     k.astype(np.float32).astype(np.float64),
                                                     2, "same"), rtol=1e-5, atol=1e-5)
    big = rng.standard_normal((2, 10, 10, 6))
    view = big[:, ::2, 1::2, 2:4]
    np.testing.assert_allclose(ops.conv_transpose(view, k, 2, "same"),
                               ref.conv_transpose(np.array(view), k, 2, "same"),
                               rtol=1e-12, atol=1e-12)
    x = np.zeros((1, 3, 3, 2))
    x[0, 1, 1, 0] = np.nan
    y = ops.conv_transpose(x, k, 2, "valid")
    assert np.isnan(y[0, 2:5, 2:5]).all() and np.isnan(y).sum() == 9 * 4
