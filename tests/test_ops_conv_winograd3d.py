"""The Winograd kernel on 3-D 3x3x3 stride-1 convolutions (three depth taps summed in the
Winograd domain): ``ops.conv`` and ``ops.conv_input_gradient`` with ``algorithm=...``.

The same contract as the 2-D kernel (``tests/test_ops_conv_winograd.py``): against a float64
oracle the float32 error stays within 10x the direct kernel's and inside the Keras parity
tolerances, float64 within 1e-12 scaled by the reduction; results are bit-identical for 1, 2
and 3 threads. Edge shapes for the bounds-checked and AddressSanitizer builds are in
``tests/test_kernel_bounds.py`` (``test_winograd_conv3d``).
"""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import layers, ops
from convkit.ops import _winograd
from convkit.ops.conv import pack_conv_kernel
from tests.support import reference_conv as ref
from tests.support import reference_conv_grad as ref_grad
from tests.support.keras_oracle import assert_close


def to_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


@st.composite
def winograd3d_cases(draw):
    padding = draw(st.sampled_from(["same", "valid"]))
    lo = 1 if padding == "same" else 3
    d, h, w = (draw(st.integers(lo, hi)) for hi in (6, 9, 9))
    groups = draw(st.sampled_from([1, 1, 2]))
    fg = draw(st.sampled_from([1, 5, 16, 33]))
    return dict(batch=draw(st.integers(1, 2)), d=d, h=h, w=w, padding=padding, groups=groups,
                cg=draw(st.integers(1, 12)), f=groups * fg,
                data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                dtype=draw(st.sampled_from([np.float32, np.float64])),
                use_bias=draw(st.booleans()), activation=draw(st.sampled_from([None, "relu"])),
                seed=draw(st.integers(0, 2**31 - 1)))


def check_case(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    c = case["groups"] * case["cg"]
    x = rng.uniform(-1, 1, (case["batch"], case["d"], case["h"], case["w"], c)).astype(dtype)
    k = rng.uniform(-1, 1, (3, 3, 3, case["cg"], case["f"])).astype(dtype)
    b = rng.uniform(-1, 1, case["f"]).astype(dtype) if case["use_bias"] else None
    want = ref.conv(x.astype(np.float64), k.astype(np.float64), padding=case["padding"],
                    bias=None if b is None else b.astype(np.float64))
    if case["activation"] == "relu":
        want = np.maximum(want, 0)
    first = case["data_format"] == "channels_first"
    got = ops.conv(to_first(x) if first else x, k, padding=case["padding"],
                   data_format=case["data_format"], bias=b, activation=case["activation"],
                   algorithm="winograd")
    assert got.dtype == dtype
    if first:
        got = np.moveaxis(got, 1, -1)
    assert_close(got, want, reduction_size=27 * case["cg"], dtype=dtype)


@settings(max_examples=25, deadline=None)
@given(winograd3d_cases())
def test_matches_the_oracle(case):
    check_case(case)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(winograd3d_cases())
def test_matches_the_oracle_sweep(case):
    check_case(case)


def _errors(xshape, kshape, padding="same", seed=0):
    """Max abs errors of direct and Winograd (float32) against the float64 direct kernel,
    relative to the largest output."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, xshape).astype(np.float32)
    k = rng.uniform(-1, 1, kshape).astype(np.float32)
    want = ops.conv(x.astype(np.float64), k.astype(np.float64), padding=padding,
                    algorithm="direct")
    scale = np.abs(want).max()
    err = {a: np.abs(ops.conv(x, k, padding=padding, algorithm=a) - want).max() / scale
           for a in ("direct", "winograd")}
    return want, err, ops.conv(x, k, padding=padding, algorithm="winograd")


@pytest.mark.parametrize("xshape, kshape", [((1, 8, 12, 12, 16), (3, 3, 3, 16, 32)),
                                            ((1, 5, 9, 7, 48), (3, 3, 3, 48, 24))])
def test_float32_error_within_ten_times_direct_and_parity_tolerance(xshape, kshape):
    want, err, wino = _errors(xshape, kshape)
    assert err["winograd"] <= 10 * err["direct"], err
    assert_close(wino, want, reduction_size=27 * kshape[-2], dtype=np.float32)


def test_float64_error_is_tiny():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1, 6, 10, 9, 20))
    k = rng.uniform(-1, 1, (3, 3, 3, 20, 24))
    got = ops.conv(x, k, padding="same", algorithm="winograd")
    want = ops.conv(x, k, padding="same", algorithm="direct")
    assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max()


def test_matches_keras_ops_conv_at_the_parity_tolerance():
    rng = np.random.default_rng(3)
    for shape, kshape, padding in [((2, 5, 10, 9, 16), (3, 3, 3, 16, 24), "same"),
                                   ((1, 4, 7, 6, 6), (3, 3, 3, 2, 9), "valid")]:  # groups 3
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        k = rng.uniform(-1, 1, kshape).astype(np.float32)
        want = np.asarray(keras.ops.conv(x, k, padding=padding))
        got = ops.conv(x, k, padding=padding, algorithm="winograd")
        assert_close(got, want, reduction_size=int(np.prod(kshape[:-1])), dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_bit_identical_for_one_two_and_three_threads(dtype, data_format):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 13, 11, 24)).astype(dtype)  # partial tiles, depth chunks
    k = rng.standard_normal((3, 3, 3, 12, 40)).astype(dtype)   # groups 2
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
    (dict(strides=(1, 1, 2)), "strides 1"),
    (dict(dilation_rate=(2, 1, 1)), "dilation_rate 1"),
])
def test_ineligible_convolutions_are_refused_with_the_reason(kwargs, reason):
    x = np.ones((1, 6, 8, 8, 4), np.float32)
    k = np.ones((3, 3, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match=f"algorithm='winograd' cannot run.*{reason}"):
        ops.conv(x, k, padding="same", algorithm="winograd", **kwargs)
    with pytest.raises(ValueError, match="3x3x3 kernel"):
        ops.conv(x, np.ones((1, 3, 3, 4, 4)), padding="same", algorithm="winograd")


def test_auto_chooses_by_shape():
    rng = np.random.default_rng(6)
    cases = [((1, 6, 12, 12, 16), (3, 3, 3, 16, 32), True),   # the suite's conv3d channels
             ((1, 6, 12, 12, 3), (3, 3, 3, 3, 16), False),    # few input channels
             ((1, 6, 6, 6, 32), (3, 3, 3, 32, 32), False),    # tiles mostly padding
             ((1, 6, 12, 12, 16), (3, 3, 3, 16, 32), False)]  # strides 2 (below)
    for i, (xshape, kshape, winograd) in enumerate(cases):
        strides = 2 if i == 3 else 1
        x = rng.standard_normal(xshape).astype(np.float32)
        k = rng.standard_normal(kshape).astype(np.float32)
        auto = ops.conv(x, k, strides, padding="same", algorithm="auto")
        expected = ops.conv(x, k, strides, padding="same",
                            algorithm="winograd" if winograd else "direct")
        assert np.array_equal(auto, expected), (xshape, kshape)
    wino = ops.conv(x, k, padding="same", algorithm="winograd")
    assert not np.array_equal(wino, ops.conv(x, k, padding="same", algorithm="direct"))


def test_non_finite_values_land_where_keras_puts_them():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 5, 10, 9, 16)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 16, 16)).astype(np.float32)
    x[0, 2, 4, 4, 3] = np.nan
    x[0, 4, 0, 8, 1] = np.inf
    got = ops.conv(x, k, padding="same", algorithm="winograd")
    with np.errstate(invalid="ignore"):
        want = ref.conv(x.astype(np.float64), k.astype(np.float64), padding="same")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    k[0, 0, 0, 2, 5] = np.inf   # meets the padding: NaN there, as 0 * inf in Keras
    x2 = rng.standard_normal((1, 5, 10, 9, 16)).astype(np.float32)
    got = ops.conv(x2, k, padding="same", algorithm="winograd")
    with np.errstate(invalid="ignore"):
        want = ref.conv(x2.astype(np.float64), k.astype(np.float64), padding="same")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_transformed_kernel_is_cached_and_blocked_for_the_tile_wasting_least():
    k = pack_conv_kernel(np.random.default_rng(8).standard_normal((3, 3, 3, 16, 32)))
    x = np.ones((1, 4, 8, 8, 16))
    first = ops.conv(x, k, padding="same", algorithm="winograd")
    wk = k.winograd(1)
    assert k.winograd(1) is wk and wk.kd == 3
    assert np.array_equal(ops.conv(x, k, padding="same", algorithm="winograd"), first)
    assert wk.nblk * wk.kb - wk.fg == min(
        -(-32 // kb) * kb - 32 for _, kb in (_winograd._winograd.tile_info()[("d", t)]
                                              for t in ("wide", "narrow")))


def test_slices_per_task_split_the_depth_for_the_threads():
    wk = _winograd.transform_kernel(np.zeros((3, 3, 3, 16, 32), np.float32), 1)
    # conv3d: batch 2, two tile blocks per slice, 2 threads -> 16 tasks of 8 slices
    assert _winograd.slices_per_task(wk, 2, 32, 2, 2) == 8
    assert _winograd.slices_per_task(wk, 1, 3, 1, 3) == 3       # never below 4 unless the
    assert _winograd.slices_per_task(wk, 64, 32, 4, 2) == 32    # depth is; enough tasks
    wk2 = _winograd.transform_kernel(np.zeros((3, 3, 16, 32), np.float32), 1)
    assert _winograd.slices_per_task(wk2, 1, 1, 1, 2) == 1


# ---- the input gradient: a stride-1 3x3x3 correlation with the flipped kernel ----

@st.composite
def gradient_cases(draw):
    case = draw(winograd3d_cases())
    case["use_bias"], case["activation"] = False, None
    return case


def check_input_gradient(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    c = case["groups"] * case["cg"]
    x = rng.uniform(-1, 1, (case["batch"], case["d"], case["h"], case["w"], c)).astype(dtype)
    k = rng.uniform(-1, 1, (3, 3, 3, case["cg"], case["f"])).astype(dtype)
    dy = rng.uniform(-1, 1, ref.conv(x, k, padding=case["padding"]).shape).astype(dtype)
    want, _ = ref_grad.conv_gradients(x.astype(np.float64), k.astype(np.float64),
                                      dy.astype(np.float64), padding=case["padding"])
    first = case["data_format"] == "channels_first"
    got = ops.conv_input_gradient(to_first(dy) if first else dy, k,
                                  to_first(x).shape if first else x.shape,
                                  padding=case["padding"], data_format=case["data_format"],
                                  algorithm="winograd")
    if first:
        got = np.moveaxis(got, 1, -1)
    assert got.dtype == dtype
    assert_close(got, want, reduction_size=27 * case["f"] // case["groups"], dtype=dtype)


@settings(max_examples=20, deadline=None)
@given(gradient_cases())
def test_input_gradient_matches_the_oracle(case):
    check_input_gradient(case)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(gradient_cases())
def test_input_gradient_matches_the_oracle_sweep(case):
    check_input_gradient(case)


def test_input_gradient_bit_identical_for_one_two_and_three_threads_and_within_ten_times():
    rng = np.random.default_rng(10)
    x = rng.uniform(-1, 1, (2, 7, 10, 9, 16)).astype(np.float32)
    k = rng.uniform(-1, 1, (3, 3, 3, 16, 32)).astype(np.float32)
    dy = rng.uniform(-1, 1, (2, 5, 8, 7, 32)).astype(np.float32)   # "valid"
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv_input_gradient(dy, k, x.shape, padding="valid",
                                                   algorithm="winograd"))
    for other in results[1:]:
        assert np.array_equal(results[0], other)
    want = ops.conv_input_gradient(dy.astype(np.float64), k.astype(np.float64), x.shape,
                                   padding="valid", algorithm="direct")
    err_direct = np.abs(ops.conv_input_gradient(dy, k, x.shape, padding="valid",
                                                algorithm="direct") - want).max()
    assert np.abs(results[0] - want).max() <= 10 * err_direct


def test_input_gradient_refuses_ineligible_convolutions():
    dy = np.ones((1, 3, 4, 4, 4), np.float32)
    with pytest.raises(ValueError, match="strides 1"):
        ops.conv_input_gradient(dy, np.ones((3, 3, 3, 4, 4), np.float32), (1, 6, 8, 8, 4),
                                strides=2, padding="same", algorithm="winograd")


def test_conv3d_layer_backward_uses_it_and_matches_keras():
    # auto picks Winograd for this layer's forward and input gradient
    from tests.support.keras_gradients import close, keras_vjp
    from tests.support.keras_oracle import keras_layer
    rng = np.random.default_rng(11)
    config = dict(filters=32, kernel_size=3, padding="same")
    x = rng.standard_normal((2, 5, 12, 10, 16)).astype(np.float32)
    ours = layers.Conv3D(**config)
    ours(x)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.weights]
    ours.set_weights(weights)
    dy = rng.standard_normal((2, 5, 12, 10, 32)).astype(np.float32)
    dx, grads = ours.backward(x, dy)
    y_k, dx_k, grads_k, _ = keras_vjp(keras_layer("Conv3D", **config), x, weights, dy)
    close(ours(x), y_k, 27 * 16)
    close(dx, dx_k, 27 * 32, floor=float(np.abs(dy).max() * np.abs(weights[0]).max()))
    for g, g_k in zip(grads, grads_k, strict=True):
        close(g, g_k, 2 * 5 * 12 * 10, floor=float(np.abs(x).max() * np.abs(dy).max()))
    winograd_dx = ops.conv_input_gradient(dy, weights[0], x.shape, padding="same",
                                          algorithm="winograd")
    assert np.array_equal(dx, winograd_dx)
