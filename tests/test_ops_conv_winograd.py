"""The Winograd F(4x4, 3x3) convolution: ``ops.conv(..., algorithm=...)`` and the setting.

Accuracy is part of the contract: against a float64 oracle, Winograd's float32 error stays
within 10x the direct kernel's and inside the Keras parity tolerances
(``tests/support/keras_oracle.py``); float64 within 1e-12 scaled by the reduction. Results
are bit-identical for 1, 2 and 3 threads. Edge shapes for the bounds-checked and
AddressSanitizer builds are in ``tests/test_kernel_bounds.py``.
"""

from fractions import Fraction

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import _kernels, ops
from convkit.ops import _winograd
from convkit.ops.conv import pack_conv_kernel
from tests.support import reference_conv as ref
from tests.support import reference_conv_grad as ref_grad
from tests.support.keras_oracle import assert_close


def to_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def test_transform_matrices_compute_the_correlation_exactly():
    bt, g, at = _winograd.transform_matrices()
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = [Fraction(int(v)) for v in rng.integers(-9, 10, 6)]
        w = [Fraction(int(v)) for v in rng.integers(-9, 10, 3)]
        gw = [sum(gi[k] * w[k] for k in range(3)) for gi in g]
        bd = [sum(bi[k] * d[k] for k in range(6)) for bi in bt]
        y = [sum(ai[k] * gw[k] * bd[k] for k in range(6)) for ai in at]
        assert y == [sum(d[i + k] * w[k] for k in range(3)) for i in range(4)]


def test_every_runnable_kernel_copy_has_the_drivers_transforms():
    variants = [v for v in _kernels.built_variants() if _kernels._cpu.supports(v)]
    assert variants
    for variant in variants:
        _winograd.check_kernel_matrices(_kernels.load_variant("_winograd", variant))


def test_points_are_checked():
    with pytest.raises(ValueError, match="distinct finite points"):
        _winograd.transform_matrices(points=(0, 1, 1, 2, -2))


def _errors(shape, cg, f, seed):
    """Max abs errors of direct and Winograd (float32) against the float64 oracle."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, shape + (cg,)).astype(np.float32)
    k = rng.uniform(-1, 1, (3, 3, cg, f)).astype(np.float32)
    want = ref.conv(x.astype(np.float64), k.astype(np.float64), padding="same")
    direct = ops.conv(x, k, padding="same", algorithm="direct")
    wino = ops.conv(x, k, padding="same", algorithm="winograd")
    return want, np.abs(direct - want).max(), np.abs(wino - want).max(), wino


@pytest.mark.parametrize("shape, cg, f", [((2, 16, 16), 64, 64), ((1, 14, 13), 128, 96),
                                          ((1, 9, 9), 16, 16)])
def test_float32_error_within_ten_times_direct_and_parity_tolerance(shape, cg, f):
    want, err_direct, err_wino, wino = _errors(shape, cg, f, seed=cg + f)
    assert err_wino <= 10 * err_direct, (err_wino, err_direct)
    assert_close(wino, want, reduction_size=9 * cg, dtype=np.float32)


def test_matches_keras_ops_conv_at_the_parity_tolerance():
    rng = np.random.default_rng(3)
    for shape, kshape, padding in [((2, 12, 10, 32), (3, 3, 32, 48), "same"),
                                   ((1, 9, 7, 12), (3, 3, 4, 9), "valid")]:  # groups 3
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        k = rng.uniform(-1, 1, kshape).astype(np.float32)
        want = np.asarray(keras.ops.conv(x, k, padding=padding))
        got = ops.conv(x, k, padding=padding, algorithm="winograd")
        assert_close(got, want, reduction_size=int(np.prod(kshape[:-1])), dtype=np.float32)


@st.composite
def winograd_cases(draw):
    padding = draw(st.sampled_from(["same", "valid"]))
    lo = 1 if padding == "same" else 3
    h, w = draw(st.integers(lo, 13)), draw(st.integers(lo, 13))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 20))
    fg = draw(st.sampled_from([1, 3, 16, 33, 70]))
    return dict(batch=draw(st.integers(1, 2)), h=h, w=w, padding=padding, groups=groups,
                cg=cg, f=groups * fg,
                data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                dtype=draw(st.sampled_from([np.float32, np.float64])),
                use_bias=draw(st.booleans()), activation=draw(st.sampled_from([None, "relu"])),
                seed=draw(st.integers(0, 2**31 - 1)))


def check_case(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    c = case["groups"] * case["cg"]
    x = rng.uniform(-1, 1, (case["batch"], case["h"], case["w"], c)).astype(dtype)
    k = rng.uniform(-1, 1, (3, 3, case["cg"], case["f"])).astype(dtype)
    b = rng.uniform(-1, 1, case["f"]).astype(dtype) if case["use_bias"] else None
    want = ref.conv(x.astype(np.float64), k.astype(np.float64), padding=case["padding"],
                    bias=None if b is None else b.astype(np.float64))
    if case["activation"] == "relu":
        want = np.maximum(want, 0)
    xin = to_first(x) if case["data_format"] == "channels_first" else x
    got = ops.conv(xin, k, padding=case["padding"], data_format=case["data_format"], bias=b,
                   activation=case["activation"], algorithm="winograd")
    assert got.dtype == dtype
    if case["data_format"] == "channels_first":
        got = np.moveaxis(got, 1, -1)
    assert_close(got, want, reduction_size=9 * case["cg"], dtype=dtype)


@settings(max_examples=60)
@given(winograd_cases())
def test_matches_the_oracle(case):
    check_case(case)


@pytest.mark.slow
@settings(max_examples=300)
@given(winograd_cases())
def test_matches_the_oracle_sweep(case):
    check_case(case)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_bit_identical_for_one_two_and_three_threads(dtype, data_format):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 23, 29, 24)).astype(dtype)   # partial tiles at both edges
    k = rng.standard_normal((3, 3, 12, 40)).astype(dtype)    # groups 2
    b = rng.standard_normal(40).astype(dtype)
    if data_format == "channels_first":
        x = to_first(x)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv(x, k, padding="same", bias=b, activation="relu",
                                    data_format=data_format, algorithm="winograd"))
    for other in results[1:]:
        assert np.array_equal(results[0], other)


@pytest.mark.parametrize("kwargs, reason", [
    (dict(strides=2), "strides 1"),
    (dict(dilation_rate=(1, 2)), "dilation_rate 1"),
])
def test_ineligible_convolutions_are_refused_with_the_reason(kwargs, reason):
    x = np.ones((1, 8, 8, 4), np.float32)
    k = np.ones((3, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match=f"algorithm='winograd' cannot run.*{reason}"):
        ops.conv(x, k, padding="same", algorithm="winograd", **kwargs)


def test_other_kernel_sizes_and_ranks_are_refused():
    x2 = np.ones((1, 8, 8, 2), np.float32)
    with pytest.raises(ValueError, match=r"3x3 kernel \(kernel_size=\(5, 5\)\)"):
        ops.conv(x2, np.ones((5, 5, 2, 2)), algorithm="winograd")
    with pytest.raises(ValueError, match="2-D and 3-D convolutions only"):
        ops.conv(np.ones((1, 8, 2)), np.ones((3, 2, 2)), padding="causal",
                 algorithm="winograd")
    with pytest.raises(ValueError, match=r"3x3x3 kernel \(kernel_size=\(3, 3, 1\)\)"):
        ops.conv(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 1, 2, 2)), algorithm="winograd")


@pytest.mark.parametrize("bad", ["fast", "", 3, "wino"])
def test_bad_algorithm_names_are_refused(bad):
    with pytest.raises(ValueError, match="`algorithm` argument must be one of"):
        ops.conv(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), algorithm=bad)
    with pytest.raises(ValueError, match="`algorithm` argument must be one of"):
        convkit.config.set_conv_algorithm(bad)


@pytest.fixture
def restore_algorithm():
    previous = convkit.config.conv_algorithm()
    yield
    convkit.config.set_conv_algorithm(previous)


def test_the_setting_picks_the_algorithm(restore_algorithm):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 12, 12, 32)).astype(np.float32)
    k = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    direct = ops.conv(x, k, padding="same", algorithm="direct")
    wino = ops.conv(x, k, padding="same", algorithm="winograd")
    assert not np.array_equal(direct, wino)  # different sums: the choice is observable
    assert convkit.config.conv_algorithm() == "auto"
    convkit.config.set_conv_algorithm("DIRECT")
    assert convkit.config.conv_algorithm() == "direct"
    assert np.array_equal(ops.conv(x, k, padding="same"), direct)
    convkit.config.set_conv_algorithm("winograd")
    assert np.array_equal(ops.conv(x, k, padding="same"), wino)
    with pytest.raises(ValueError, match="strides 1"):
        ops.conv(x, k, strides=2)
    assert np.array_equal(ops.conv(x, k, padding="same", algorithm="direct"), direct)


def test_auto_chooses_by_shape():
    rng = np.random.default_rng(6)
    cases = [((2, 16, 16, 32), (3, 3, 32, 32), True),   # channels and pixels: Winograd
             ((2, 16, 16, 3), (3, 3, 3, 32), False),    # RGB stem: transforms do not pay
             ((2, 6, 6, 64), (3, 3, 64, 64), False),    # tiles mostly padding
             ((2, 16, 16, 64), (3, 3, 8, 64), False)]   # 8 channels per group
    for xshape, kshape, winograd in cases:
        x = rng.standard_normal(xshape).astype(np.float32)
        k = rng.standard_normal(kshape).astype(np.float32)
        auto = ops.conv(x, k, padding="same", algorithm="auto")
        expected = ops.conv(x, k, padding="same",
                            algorithm="winograd" if winograd else "direct")
        assert np.array_equal(auto, expected), (xshape, kshape)


def test_non_finite_values_land_where_keras_puts_them():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 10, 9, 16)).astype(np.float32)
    k = rng.standard_normal((3, 3, 16, 16)).astype(np.float32)
    x[0, 4, 4, 3] = np.nan
    x[0, 0, 8, 1] = np.inf
    got = ops.conv(x, k, padding="same", algorithm="winograd")
    with np.errstate(invalid="ignore"):
        want = ref.conv(x.astype(np.float64), k.astype(np.float64), padding="same")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    k2 = rng.standard_normal((3, 3, 16, 16)).astype(np.float32)
    k2[0, 0, 2, 5] = np.inf   # meets the padding: NaN there, as 0 * inf in Keras
    x2 = rng.standard_normal((1, 10, 9, 16)).astype(np.float32)
    got = ops.conv(x2, k2, padding="same", algorithm="winograd")
    with np.errstate(invalid="ignore"):
        want = ref.conv(x2.astype(np.float64), k2.astype(np.float64), padding="same")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_transformed_kernel_is_cached_on_the_packed_kernel():
    k = pack_conv_kernel(np.random.default_rng(8).standard_normal((3, 3, 16, 16)))
    x = np.ones((1, 8, 8, 16))
    first = ops.conv(x, k, padding="same", algorithm="winograd")
    cached = k.winograd(1)
    assert k.winograd(1) is cached
    assert np.array_equal(ops.conv(x, k, padding="same", algorithm="winograd"), first)


def test_input_layouts_and_dtypes_are_converted():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 9, 18, 8))
    k = rng.standard_normal((3, 3, 8, 16)).astype(np.float32)
    strided = x[:, :, ::2]                       # not contiguous
    want = ref.conv(np.ascontiguousarray(strided), k.astype(np.float64), padding="same")
    got = ops.conv(strided, k, padding="same", algorithm="winograd")   # float64 (from x)
    assert got.dtype == np.float64
    assert_close(got, want, reduction_size=72, dtype=np.float64)
    ints = rng.integers(-3, 4, (1, 9, 9, 8))
    got = ops.conv(ints, k, padding="same", algorithm="winograd")
    assert got.dtype == np.float32
    assert_close(got, ref.conv(ints.astype(np.float64), k.astype(np.float64), padding="same"),
                 reduction_size=72, dtype=np.float32)


def test_float64_error_is_tiny():
    rng = np.random.default_rng(10)
    x = rng.uniform(-1, 1, (2, 11, 10, 40))
    k = rng.uniform(-1, 1, (3, 3, 40, 24))
    got = ops.conv(x, k, padding="valid", algorithm="winograd")
    assert_close(got, ref.conv(x, k, padding="valid"), reduction_size=360, dtype=np.float64)


def test_the_ab_benchmark_runs_and_prints_speed_and_errors(capsys):
    from benchmarks import winograd_ab
    with convkit.num_threads(None):  # main sets the thread count: restored afterwards
        assert winograd_ab.main(["--quick", "--repeats", "1", "--threads", "1",
                                 "--cases", "conv2d_large", "conv2d_large_cf"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[0] for r in rows] == ["conv2d_large", "conv2d_large_cf"]
    for r in rows:
        direct_ms, wino_ms, err_direct, err_wino = map(float, (r[1], r[2], r[-2], r[-1]))
        assert direct_ms > 0 and wino_ms > 0
        assert 0 <= err_direct < 1e-5 and 0 < err_wino < 1e-5


# ----------------------------------------------------------------------------- input gradient
@st.composite
def gradient_cases(draw):
    case = draw(winograd_cases())
    case["use_bias"], case["activation"] = False, None
    return case


def check_input_gradient(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    c = case["groups"] * case["cg"]
    x = rng.uniform(-1, 1, (case["batch"], case["h"], case["w"], c))
    k = rng.uniform(-1, 1, (3, 3, case["cg"], case["f"]))
    dy = rng.uniform(-1, 1, ref.conv(x, k, padding=case["padding"]).shape)
    want, _ = ref_grad.conv_gradients(x, k, dy, padding=case["padding"])
    shape = x.shape
    if case["data_format"] == "channels_first":
        dy, shape = to_first(dy), (shape[0], c, *shape[1:3])
    got = ops.conv_input_gradient(dy.astype(dtype), k.astype(dtype), shape,
                                  padding=case["padding"], data_format=case["data_format"],
                                  algorithm="winograd")
    assert got.dtype == dtype and got.shape == shape
    if case["data_format"] == "channels_first":
        got = np.moveaxis(got, 1, -1)
    assert_close(got, want, reduction_size=9 * (case["f"] // case["groups"]), dtype=dtype)


@settings(max_examples=40)
@given(gradient_cases())
def test_input_gradient_matches_the_oracle(case):
    check_input_gradient(case)


@pytest.mark.slow
@settings(max_examples=200)
@given(gradient_cases())
def test_input_gradient_matches_the_oracle_sweep(case):
    check_input_gradient(case)


def test_input_gradient_error_within_ten_times_direct():
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (2, 16, 15, 48)).astype(np.float32)
    k = rng.uniform(-1, 1, (3, 3, 48, 64)).astype(np.float32)
    dy = rng.uniform(-1, 1, (2, 16, 15, 64)).astype(np.float32)
    want, _ = ref_grad.conv_gradients(x.astype(np.float64), k.astype(np.float64),
                                      dy.astype(np.float64), padding="same")
    errors = [np.abs(ops.conv_input_gradient(dy, k, x.shape, padding="same", algorithm=a)
                     - want).max() for a in ("direct", "winograd")]
    assert errors[1] <= 10 * errors[0], errors


def test_input_gradient_bit_identical_for_one_two_and_three_threads():
    rng = np.random.default_rng(12)
    k = rng.standard_normal((3, 3, 16, 48)).astype(np.float32)   # groups 2
    dy = rng.standard_normal((2, 21, 19, 48)).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv_input_gradient(dy, k, (2, 23, 21, 32), padding="valid",
                                                   algorithm="winograd"))
    assert all(np.array_equal(results[0], r) for r in results[1:])


def test_input_gradient_refuses_ineligible_convolutions_and_keeps_nan_placement():
    k = np.ones((3, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match="strides 1"):
        ops.conv_input_gradient(np.ones((1, 4, 4, 4)), k, (1, 8, 8, 4), strides=2,
                                padding="same", algorithm="winograd")
    dy = np.random.default_rng(13).standard_normal((1, 9, 9, 4)).astype(np.float32)
    dy[0, 4, 4, 1] = np.nan
    got = ops.conv_input_gradient(dy, k, (1, 9, 9, 4), padding="same", algorithm="winograd")
    want = ops.conv_input_gradient(dy, k, (1, 9, 9, 4), padding="same", algorithm="direct")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_conv2d_layer_backward_uses_it_and_matches_keras():
    # auto picks Winograd for this layer's forward and input gradient
    from tests.support.keras_gradients import close, keras_vjp
    from tests.support.keras_oracle import keras_layer
    rng = np.random.default_rng(14)
    config = dict(filters=24, kernel_size=3, padding="same", activation="relu")
    x = rng.standard_normal((2, 12, 10, 16)).astype(np.float32)
    ours = convkit.layers.Conv2D(**config)
    ours(x)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    dy = rng.standard_normal((2, 12, 10, 24)).astype(np.float32)
    dx, grads = ours.backward(x, dy)
    y_k, dx_k, grads_k, _ = keras_vjp(keras_layer("Conv2D", **config), x, weights, dy)
    close(ours(x), y_k, 9 * 16)
    close(dx, dx_k, 9 * 24, floor=float(np.abs(dy).max() * np.abs(weights[0]).max()))
    for g, g_k in zip(grads, grads_k, strict=True):
        close(g, g_k, 2 * 12 * 10, floor=float(np.abs(x).max() * np.abs(dy).max()))
    winograd_dx = ops.conv_input_gradient(dy * (ours(x) > 0), weights[0], x.shape,
                                          padding="same", algorithm="winograd")
    assert np.array_equal(dx, winograd_dx)
