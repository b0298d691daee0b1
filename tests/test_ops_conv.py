"""convkit.ops.conv against keras.ops.conv (jax, float32), the NumPy oracle (float64), edge cases.

Tolerance (float32 vs Keras): inputs and weights are uniform in [-1, 1], so an output is a sum
of R = prod(kernel_size) * in_channels_per_group products of size <= 1 and magnitude about
sqrt(R). Rounding differs per term (FMA contraction, summation order), so we allow
``|ours - keras| <= 1e-5 * sqrt(R) * (1 + |keras|)`` elementwise (``rtol = atol = 1e-5*sqrt(R)``).
float64 against the oracle: the same formula with 1e-12.
"""

import importlib
import json
import os
import subprocess
import sys

import keras  # noqa: E402  (the test extra installs it; KERAS_BACKEND set above)
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convkit
from convkit import _kernels, ops
from convkit.ops.conv import pack_conv_kernel
from tests.support import reference_conv as ref
from tests.support.nonfinite import NONFINITE, assert_same_nonfinite, poison


def tol(kernel, scale):
    red = int(np.prod(kernel.shape[:-1]))
    return dict(rtol=scale * np.sqrt(red), atol=scale * np.sqrt(red))


def to_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


@st.composite
def conv_cases(draw, allow_causal=True):
    rank = draw(st.integers(1, 3))
    small = rank == 3
    ks = tuple(draw(st.integers(1, 3 if small else 5)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 6 if small else 12)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(rank))
    paddings = ["valid", "same"] + (["causal"] if rank == 1 and allow_causal else [])
    padding = draw(st.sampled_from(paddings))
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    cg = draw(st.integers(1, 4 if small else 9))
    fg = draw(st.sampled_from([1, 2, 5, 16, 33, 70]))
    batch = draw(st.integers(1, 3))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    use_bias = draw(st.booleans())
    if padding == "valid":
        assume(all(n >= (k - 1) * d + 1 for n, k, d in zip(spatial, ks, dilation, strict=True)))
    seed = draw(st.integers(0, 2**31 - 1))
    return dict(rank=rank, ks=ks, spatial=spatial, strides=strides, dilation=dilation,
                padding=padding, groups=groups, cg=cg, f=groups * fg, batch=batch,
                data_format=data_format, use_bias=use_bias, seed=seed)


def make_arrays(case, dtype):
    rng = np.random.default_rng(case["seed"])
    c = case["groups"] * case["cg"]
    x = rng.uniform(-1, 1, (case["batch"], *case["spatial"], c)).astype(dtype)
    k = rng.uniform(-1, 1, (*case["ks"], case["cg"], case["f"])).astype(dtype)
    b = rng.uniform(-1, 1, case["f"]).astype(dtype) if case["use_bias"] else None
    if case["data_format"] == "channels_first":
        x = to_first(x)
    return x, k, b


def keras_conv(x, k, case, b):
    x_in, padding = x, case["padding"]
    if padding == "causal":  # Keras's Conv1D: left-pad d*(k-1), then a valid conv
        lp = case["dilation"][0] * (case["ks"][0] - 1)
        axis = 1 if case["data_format"] == "channels_last" else 2
        pad = [(0, 0)] * 3
        pad[axis] = (lp, 0)
        x_in, padding = np.pad(x, pad), "valid"
    y = np.asarray(keras.ops.conv(x_in, k, strides=case["strides"], padding=padding,
                                  data_format=case["data_format"],
                                  dilation_rate=case["dilation"]))
    if b is not None:
        y = y + (b if case["data_format"] == "channels_last" else b.reshape(-1, *[1] *
                                                                              case["rank"]))
    return y


@given(conv_cases())
def test_conv_matches_keras_float32(case):
    x, k, b = make_arrays(case, np.float32)
    ours = ops.conv(x, k, case["strides"], case["padding"], case["data_format"],
                    case["dilation"], bias=b)
    expected = keras_conv(x, k, case, b)
    assert ours.dtype == np.float32 and ours.flags.c_contiguous
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, **tol(k, 1e-5))
    # the oracle agrees with Keras too
    oracle = ref.conv(x.astype(np.float64), k.astype(np.float64), case["strides"],
                      case["padding"], case["data_format"], case["dilation"], b)
    np.testing.assert_allclose(oracle, expected, **tol(k, 1e-5))


@given(conv_cases())
def test_conv_float64_matches_oracle(case):
    x, k, b = make_arrays(case, np.float64)
    ours = ops.conv(x, k, case["strides"], case["padding"], case["data_format"],
                    case["dilation"], bias=b, activation="relu")
    oracle = ref.conv(x, k, case["strides"], case["padding"], case["data_format"],
                      case["dilation"], b)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, np.maximum(oracle, 0), **tol(k, 1e-12))


@given(conv_cases(), st.sampled_from(NONFINITE), st.integers(1, 3))
def test_nonfinite_weights_multiply_the_padding(case, value, count):
    """inf/NaN weights meet the zero padding (0 * inf = NaN) as in the explicitly padding
    oracle, whatever the tiling. (Keras on jax is no oracle here: XLA drops some padding
    products and not others, e.g. a "same" Conv1D with kernel 2 and inf at tap 1 gives a
    finite last output, with kernel 4 and inf at tap 3 a NaN one.)"""
    x, k, b = make_arrays(case, np.float32)
    k = poison(k, case["seed"], value, count)
    args = (case["strides"], case["padding"], case["data_format"], case["dilation"])
    expected = ref.conv(x.astype(np.float64), k.astype(np.float64), *args, b)
    assert_same_nonfinite(ops.conv(x, k, *args, bias=b), expected, **tol(k, 1e-5))
    assert_same_nonfinite(ops.conv(x.astype(np.float64), k.astype(np.float64), *args, bias=b,
                                   activation="relu"),
                          np.where(expected < 0, 0, expected), **tol(k, 1e-12))


@pytest.mark.parametrize("shape, kshape, padding", [
    ((2, 20, 3), (3, 3, 4), "causal"), ((2, 20, 3), (5, 3, 4), "same"),
    ((1, 16, 16, 3), (3, 3, 3, 8), "same"), ((2, 9, 24, 2), (1, 5, 2, 40), "same"),
    ((1, 10, 10, 10, 2), (3, 3, 3, 2, 16), "same")])
def test_inf_weight_reaches_every_output_of_its_filter(shape, kshape, padding):
    """Tap 0 of filter 1 meets every output: real input (x * inf) or padding (0 * inf). The
    images have enough rows for the edge-column tile order, which skips the W padding; odd
    kernels padded on both sides, where Keras multiplies the padding too."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1, shape).astype(np.float32)
    k = rng.uniform(-1, 1, kshape).astype(np.float32)
    k[(0,) * (k.ndim - 1) + (1,)] = np.inf
    y = ops.conv(x, pack_conv_kernel(k), padding=padding)
    assert not np.isfinite(y[..., 1]).any()
    assert np.isfinite(np.delete(y, 1, axis=-1)).all()
    rank = len(shape) - 2
    case = dict(padding=padding, strides=(1,) * rank, dilation=(1,) * rank, ks=kshape[:rank],
                data_format="channels_last", rank=rank)
    assert_same_nonfinite(y, keras_conv(x, k, case, None), **tol(k, 1e-5))


# docs/design/keras_parity.md §2.2: (n, k, s, d) -> (pad before, pad after)
SAME_SPLITS = [((5, 2, 1, 1), (0, 1)), ((5, 4, 1, 1), (1, 2)), ((6, 3, 2, 1), (0, 1)),
               ((5, 3, 2, 1), (1, 1)), ((6, 4, 2, 1), (1, 1)), ((7, 1, 3, 1), (0, 0)),
               ((5, 2, 1, 3), (1, 2))]


@pytest.mark.parametrize("nksd, pads", SAME_SPLITS)
def test_same_padding_split_impulses(nksd, pads):
    n, k, s, d = nksd
    x = np.arange(1.0, n + 1).reshape(1, n, 1)
    xpad = np.concatenate([np.zeros(pads[0]), x.ravel(), np.zeros(pads[1])])
    out = -(-n // s)
    assert (out - 1) * s + (k - 1) * d + 1 == n + sum(pads)
    for tap in range(k):  # a kernel that picks one tap shows where that tap reads
        kern = np.zeros((k, 1, 1))
        kern[tap] = 1
        y = ops.conv(x, kern, s, "same", dilation_rate=d)[0, :, 0]
        np.testing.assert_array_equal(y, xpad[tap * d + s * np.arange(out)])


def test_same_impulse_examples_from_parity_doc():
    first = np.zeros((3, 1, 1))
    first[0] = 1
    y6 = ops.conv(np.arange(1.0, 7).reshape(1, 6, 1), first, 2, "same")[0, :, 0]
    np.testing.assert_array_equal(y6, [1, 3, 5])  # n6 k3 s2 -> [x1, x3, x5]
    y5 = ops.conv(np.arange(1.0, 6).reshape(1, 5, 1), first, 2, "same")[0, :, 0]
    np.testing.assert_array_equal(y5, [0, 2, 4])  # n5 k3 s2 -> [pad, x2, x4]


def test_causal_sees_only_the_past():
    x = np.zeros((1, 10, 1))
    x[0, 6] = 1
    y = ops.conv(x, np.ones((3, 1, 1)), 1, "causal", dilation_rate=2)[0, :, 0]
    np.testing.assert_array_equal(np.nonzero(y)[0], [6, 8])
    y2 = ops.conv(np.ones((1, 9, 2)), np.ones((2, 2, 3)), 2, "causal")
    assert y2.shape == (1, 5, 3)


def test_strided_dilated_allowed_in_ops():
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((2, 13, 11, 3)), rng.standard_normal((3, 2, 3, 4))
    y = ops.conv(x, k, (2, 3), "same", dilation_rate=(2, 2))
    np.testing.assert_allclose(y, ref.conv(x, k, (2, 3), "same", dilation_rate=(2, 2)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cout", [1, 3, 15, 17, 63, 65, 130])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cout_tails_and_relu_bias(cout, dtype):
    rng = np.random.default_rng(cout)
    x = rng.standard_normal((1, 9, 13, 5)).astype(dtype)
    k = rng.standard_normal((3, 3, 5, cout)).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    y = ops.conv(x, k, 1, "same", bias=b, activation="relu")
    r = np.maximum(ref.conv(x.astype(np.float64), k.astype(np.float64), 1, "same", bias=b), 0)
    np.testing.assert_allclose(y, r, **tol(k, 1e-5 if dtype == np.float32 else 1e-12))


def test_kernel_larger_than_input_same_and_batch_zero():
    rng = np.random.default_rng(2)
    x, k = rng.standard_normal((2, 2, 3, 2)), rng.standard_normal((5, 7, 2, 3))
    np.testing.assert_allclose(ops.conv(x, k, 1, "same"), ref.conv(x, k, 1, "same"),
                               rtol=1e-12, atol=1e-12)
    y = ops.conv(np.zeros((0, 8, 8, 2)), k, 2, "same")
    assert y.shape == (0, 4, 4, 3)
    y = ops.conv(np.zeros((0, 2, 8, 8), np.float32), k.astype(np.float32), 1, "same",
                 data_format="channels_first")
    assert y.shape == (0, 3, 8, 8) and y.dtype == np.float32


def test_huge_strides_and_dilations():
    rng = np.random.default_rng(3)
    x, k = rng.standard_normal((1, 40, 3)), rng.standard_normal((3, 3, 2))
    for s, d, pad in [(50, 1, "same"), (1, 19, "valid"), (7, 13, "same"), (3, 30, "causal")]:
        np.testing.assert_allclose(ops.conv(x, k, s, pad, dilation_rate=d),
                                   ref.conv(x, k, s, pad, dilation_rate=d), rtol=1e-12,
                                   atol=1e-12)


def test_nan_propagates():
    x = np.ones((1, 5, 5, 1))
    x[0, 2, 2, 0] = np.nan
    y = ops.conv(x, np.ones((3, 3, 1, 1)), activation="relu")
    assert np.isnan(y[0]).all()  # every 3x3 valid window sees the centre
    y = ops.conv(x, np.ones((1, 1, 1, 1)), padding="same", activation="relu")
    assert np.isnan(y).sum() == 1


def test_dtypes_cast_and_layouts():
    rng = np.random.default_rng(4)
    xi = rng.integers(-3, 4, (2, 6, 6, 2))
    k = rng.standard_normal((3, 3, 2, 4))
    expected = ref.conv(xi.astype(np.float64), k.astype(np.float32).astype(np.float64))
    for x in (xi, xi.astype(np.int8), xi.astype(np.float16)):
        y = ops.conv(x, k.astype(np.float32))
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-4)
    assert ops.conv(xi > 0, k.astype(np.float16)).dtype == np.float32
    assert ops.conv(xi.astype(np.float32), k).dtype == np.float64
    # non-contiguous and read-only inputs
    big = rng.standard_normal((2, 12, 12, 4))
    view = big[:, ::2, ::2, 1:3]
    ro = np.array(view)
    ro.setflags(write=False)
    kro = k.copy()
    kro.setflags(write=False)
    np.testing.assert_allclose(ops.conv(view, kro, padding="same"),
                               ref.conv(ro, k, padding="same"), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ops.conv(ro, k), ops.conv(view, k))
    # output is a new C-contiguous array in channels_first too
    y = ops.conv(to_first(big), k.repeat(2, axis=2)[:, :, :4], data_format="channels_first")
    assert y.flags.c_contiguous and y.shape == (2, 4, 10, 10)


# (op, input shape, kernel shape, filters axis of the kernel, arguments)
CHANNELS_FIRST_CASES = [
    ("conv", (2, 40, 5), (3, 5, 70), -1, dict(padding="causal", dilation_rate=2)),
    ("conv", (3, 9, 14, 6), (3, 3, 3, 70), -1, dict(padding="same", strides=(1, 2))),  # groups
    ("conv", (1, 5, 6, 7, 4), (2, 3, 3, 4, 33), -1, dict(padding="valid")),
    ("conv", (2, 7, 7, 1), (1, 1, 1, 130), -1, dict(padding="same")),
    ("conv_transpose", (2, 9, 5), (3, 70, 5), -2, dict(strides=2, padding="same")),
    ("conv_transpose", (3, 5, 6, 6), (3, 2, 33, 6), -2,
     dict(strides=(2, 3), padding="valid", output_padding=1)),
    ("conv_transpose", (1, 3, 4, 2, 4), (2, 3, 3, 17, 4), -2, dict(strides=2, padding="same")),
]


@pytest.mark.parametrize("op, shape, kshape, faxis, kw", CHANNELS_FIRST_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channels_first_output_is_the_transposed_channels_last_one(op, shape, kshape, faxis,
                                                                   kw, dtype):
    # the kernel stores channels_first output itself (strided channels; every phase of a
    # transposed conv too): the same sums as the channels_last run, so the results agree bit
    # for bit, with bias and relu, on any threads
    fn = getattr(ops, op)
    rng = np.random.default_rng(11)
    x, k = rng.standard_normal(shape).astype(dtype), rng.standard_normal(kshape).astype(dtype)
    b = rng.standard_normal(kshape[faxis]).astype(dtype)
    y_last = fn(x, k, bias=b, activation="relu", **kw)
    for threads in (1, 2):
        with convkit.num_threads(threads):
            y_first = fn(to_first(x), k, data_format="channels_first", bias=b,
                         activation="relu", **kw)
        assert y_first.flags.c_contiguous
        np.testing.assert_array_equal(y_first, to_first(y_last))


def test_packed_kernel_reuse():
    rng = np.random.default_rng(5)
    k = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)
    pk = pack_conv_kernel(k)
    for groups in (1, 2, 3):
        x = rng.standard_normal((1, 7, 7, 2 * groups)).astype(np.float32)
        np.testing.assert_array_equal(ops.conv(x, pk, padding="same"),
                                      ops.conv(x, k, padding="same"))
    pk64 = pack_conv_kernel(k, "float64")
    assert ops.conv(x.astype(np.float32), pk64).dtype == np.float64


@pytest.mark.parametrize("shape, kshape, kw", [
    ((2, 31, 29, 16), (3, 3, 16, 70), dict(padding="same")),
    ((1, 300, 8), (5, 8, 40), dict(padding="causal", dilation_rate=3)),
    ((2, 9, 10, 11, 6), (3, 3, 3, 3, 20), dict(padding="same", strides=(1, 2, 1))),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_across_thread_counts(shape, kshape, kw, dtype):
    rng = np.random.default_rng(6)
    x, k = rng.standard_normal(shape).astype(dtype), rng.standard_normal(kshape).astype(dtype)
    with convkit.num_threads(1):
        y1 = ops.conv(x, k, **kw)
    with convkit.num_threads(2):
        y2 = ops.conv(x, k, **kw)
    with convkit.num_threads(3):
        y3 = ops.conv(x, k, **kw)
    assert np.array_equal(y1, y2) and np.array_equal(y1, y3)


@given(w=st.integers(1, 40), kw=st.integers(1, 7), s=st.integers(1, 3), d=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid"]), rows=st.integers(6, 13),
       groups=st.sampled_from([1, 1, 2]), cg=st.integers(1, 20),
       fg=st.sampled_from([1, 5, 32, 64, 70]), dtype=st.sampled_from([np.float32, np.float64]))
def test_edge_column_order_equals_row_by_row(w, kw, s, d, padding, rows, groups, cg, fg, dtype):
    # With enough output rows the kernel tiles the output columns that see the W padding
    # down the rows, reading only their taps inside the input; one row at a time (a Conv1D
    # batch) it tiles along W with zero-padded copies. Same sums in the same order.
    assume(padding == "same" or w >= (kw - 1) * d + 1)
    rng = np.random.default_rng(w * 1000 + kw * 100 + cg)
    x = rng.standard_normal((2, rows, w, groups * cg)).astype(dtype)
    k = rng.standard_normal((kw, cg, groups * fg)).astype(dtype)
    b = rng.standard_normal(groups * fg).astype(dtype)
    kw_args = dict(padding=padding, bias=b, activation="relu")
    by_rows = ops.conv(x.reshape(2 * rows, w, -1), k, s, dilation_rate=d, **kw_args)
    whole = ops.conv(x, k[None], (1, s), dilation_rate=(1, d), **kw_args)
    assert np.array_equal(whole, by_rows.reshape(whole.shape))


@pytest.mark.parametrize("shape, kshape, kw", [
    ((2, 9, 12, 5), (3, 5, 5, 33), dict(padding="same", dilation_rate=(1, 3))),
    ((1, 8, 2, 3), (3, 3, 3, 7), dict(padding="same", dilation_rate=(2, 4))),  # W < kernel
    ((2, 10, 17, 6), (3, 7, 3, 64), dict(padding="same", strides=(2, 3))),  # groups 2
    ((1, 4, 5, 9, 4), (2, 3, 4, 4, 20), dict(padding="same", strides=(1, 1, 2))),
    ((1, 3, 4, 30, 2), (1, 2, 3, 2, 9), dict(padding="valid", dilation_rate=(1, 1, 5))),
    ((1, 12, 3), (4, 3, 40), dict(padding="causal", dilation_rate=2)),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_padded_columns_match_oracle(shape, kshape, kw, data_format):
    rng = np.random.default_rng(9)
    x, k = rng.standard_normal(shape), rng.standard_normal(kshape)
    if data_format == "channels_first":
        x = to_first(x)
    ours = ops.conv(x, k, data_format=data_format, **kw)
    oracle = ref.conv(x, k, kw.get("strides", 1), kw["padding"], data_format,
                      kw.get("dilation_rate", 1))
    np.testing.assert_allclose(ours, oracle, **tol(k, 1e-12))


_VARIANT_SCRIPT = r"""
import json, sys
import numpy as np
from convkit import _kernels, ops
rng = np.random.default_rng(7)
out = {"isa": _kernels.ISA}
for dtype in ("float32", "float64"):
    x = rng.standard_normal((2, 11, 13, 6)).astype(dtype)
    k = rng.standard_normal((3, 3, 3, 70)).astype(dtype)
    out["conv_" + dtype] = ops.conv(x, k, (1, 2), "same", bias=np.ones(70)).tolist()
    kt = rng.standard_normal((3, 4, 5, 6)).astype(dtype)
    out["convT_" + dtype] = ops.conv_transpose(x, kt, 2, "same").tolist()
json.dump(out, sys.stdout)
"""


def _run_variant(variant):
    env = dict(os.environ, CONVKIT_ISA=variant)
    res = subprocess.run([sys.executable, "-c", _VARIANT_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(res.stdout)


def test_isa_variants_agree():
    # a single-variant build (CONVKIT_NATIVE, CONVKIT_ISA_VARIANTS) compares base with itself;
    # test_variant_modules_direct still checks it against the oracle
    variants = [v for v in _kernels.built_variants() if _kernels._cpu.supports(v)]
    results = {v: _run_variant(v) for v in variants}
    first = results[variants[0]]
    for v in variants:
        assert results[v]["isa"] == v
        for key in ("conv_float32", "convT_float32", "conv_float64", "convT_float64"):
            scale = 1e-5 if key.endswith("32") else 1e-13
            np.testing.assert_allclose(np.array(results[v][key]), np.array(first[key]),
                                       rtol=scale, atol=scale * 10)


def test_variant_modules_direct():
    """Each built kernel copy, called through the packer, matches the oracle."""
    direct = importlib.import_module("convkit.ops._direct")

    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 7, 9, 4))
    k = rng.standard_normal((3, 2, 4, 19))
    expected = ref.conv(x, k, 1, "same")
    for v in _kernels.built_variants():
        if not _kernels._cpu.supports(v):
            continue
        mod = _kernels.load_variant("_conv", v)
        p = direct.pack_weights(k.reshape(1, 3, 2, 4, 19), 1, mod)
        out = np.empty((1, 1, 7, 9, 19))
        direct.run_direct(x.reshape(1, 1, 7, 9, 4), p, direct.packed_bias(None, 19, p,
                          np.float64), out, in_spatial=(1, 7, 9), out_spatial=(1, 7, 9),
                          kernel_spatial=(1, 3, 2), strides=(1, 1, 1), dilation=(1, 1, 1),
                          pad=(0, 1, 0), out_origin=0, out_strides=(7 * 9 * 19, 7 * 9 * 19,
                                                                    9 * 19, 19),
                          relu=0, macs=10**9)
        np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=1e-12,
                                   atol=1e-12)


# ---------------------------------------------------------------- bad inputs


def test_bad_ranks_and_channels():
    x = np.ones((1, 5, 5, 4))
    with pytest.raises(ValueError, match="same length as input"):
        ops.conv(x, np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match="same length as input"):
        ops.conv(np.ones((5, 4)), np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        ops.conv(x, np.ones((4, 2)))
    with pytest.raises(ValueError, match="input channels 4 and kernel in_channels 3"):
        ops.conv(x, np.ones((3, 3, 3, 2)))
    with pytest.raises(ValueError, match="groups=2, filters=3"):
        ops.conv(x, np.ones((3, 3, 2, 3)))
    with pytest.raises(ValueError, match="Zero channels"):
        ops.conv(np.ones((1, 5, 5, 0)), np.ones((3, 3, 0, 2)))
    with pytest.raises(ValueError, match="Zero channels"):
        ops.conv(x, np.ones((3, 3, 4, 0)))


def test_bad_sizes_and_strings():
    x = np.ones((1, 5, 5, 1))
    k = np.ones((3, 3, 1, 1))
    with pytest.raises(ValueError, match="zero or negative"):
        ops.conv(x, np.ones((6, 3, 1, 1)))
    with pytest.raises(ValueError, match="zero or negative"):
        ops.conv(np.ones((1, 0, 5, 1)), k)
    assert ops.conv(np.ones((1, 0, 5, 1)), k, padding="same").shape == (1, 0, 5, 1)
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, k, padding="full")
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, k, padding="causal")  # rank 2
    with pytest.raises(ValueError, match="data_format"):
        ops.conv(x, k, data_format="nhwc")
    with pytest.raises(ValueError, match="strides"):
        ops.conv(x, k, strides=0)
    with pytest.raises(ValueError, match="dilation_rate"):
        ops.conv(x, k, dilation_rate=(1, 2, 3))
    with pytest.raises(ValueError, match="activation"):
        ops.conv(x, k, activation="tanh")
    with pytest.raises(ValueError, match="bias"):
        ops.conv(x, k, bias=np.ones(2))


def test_bad_dtypes():
    k = np.ones((3, 3, 1, 1))
    with pytest.raises(TypeError, match="inputs"):
        ops.conv(np.ones((1, 5, 5, 1), complex), k)
    with pytest.raises(TypeError, match="kernel"):
        ops.conv(np.ones((1, 5, 5, 1)), k.astype(object))
    with pytest.raises(TypeError, match="inputs"):
        ops.conv([["a"]], k)
