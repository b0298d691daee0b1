"""Gradient ops of the plain and transposed convolutions against the NumPy oracle
(tests/support/reference_conv_grad.py), the grouped transposed conv, thread-count
bit-identity of the weight-gradient kernel, and argument errors."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convkit
from convkit import _kernels, ops
from convkit.ops import _conv_weight_grad, conv_grad
from tests.support import reference_conv as ref
from tests.support import reference_conv_grad as ref_grad
from tests.support.keras_oracle import assert_close, reduction_rtol


def _assert_bounded(got, want, bound, reduction_size, dtype):
    """``|got - want| <= rtol * bound`` elementwise, ``bound`` the same sums of absolute
    values (sums that cancel are only as accurate as their terms), rtol scaled by the
    reduction (float32 ~1e-5, float64 ~1e-12 times its square root)."""
    rtol = reduction_rtol(reduction_size, dtype)
    assert got.shape == want.shape and got.dtype == dtype
    excess = np.abs(got - want) - rtol * (bound + 1e-30)
    assert (excess <= 0).all(), (np.max(excess), rtol)


def _to_format(a, data_format):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1)) if data_format == "channels_first" else a


@st.composite
def conv_cases(draw):
    rank = draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 3 if rank == 3 else 4)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 5 if rank == 3 else 9)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    if padding == "valid":
        assume(all(n >= (k - 1) * d + 1 for n, k, d in zip(spatial, ks, dilation)))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, fg = draw(st.integers(1, 4)), draw(st.sampled_from([1, 2, 5, 17]))
    batch = draw(st.integers(1, 2))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    return dict(rank=rank, ks=ks, spatial=spatial, strides=strides, dilation=dilation,
                padding=padding, groups=groups, cg=cg, fg=fg, batch=batch,
                data_format=data_format)


def _conv_problem(case, dtype, seed):
    """Inputs in the case's format, the kernel, the op's keywords, and per gradient the
    float64 oracle of the same (rounded) values and of their absolute values (the bound)."""
    rng = np.random.default_rng(seed)
    c, f = case["groups"] * case["cg"], case["groups"] * case["fg"]
    x = rng.standard_normal((case["batch"], *case["spatial"], c)).astype(dtype)
    k = rng.standard_normal((*case["ks"], case["cg"], f)).astype(dtype)
    kw = dict(strides=case["strides"], padding=case["padding"],
              dilation_rate=case["dilation"])
    dy = rng.standard_normal(ref.conv(x, k, **kw).shape).astype(dtype)
    want = ref_grad.conv_gradients(*(a.astype(np.float64) for a in (x, k, dy)), **kw)
    bound = ref_grad.conv_gradients(*(np.abs(a.astype(np.float64)) for a in (x, k, dy)), **kw)
    df = case["data_format"]
    return (_to_format(x, df), _to_format(dy, df), k, kw,
            (_to_format(want[0], df), _to_format(bound[0], df)), (want[1], bound[1]))


@given(case=conv_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_gradients_match_oracle(case, dtype):
    x, dy, k, kw, (want_dx, bound_dx), (want_dk, bound_dk) = _conv_problem(
        case, dtype, seed=sum(case["spatial"]))
    df = case["data_format"]
    dx = ops.conv_input_gradient(dy, k, x.shape, data_format=df, **kw)
    dk = ops.conv_kernel_gradient(x, dy, case["ks"], data_format=df, groups=case["groups"],
                                  **kw)
    taps = int(np.prod(case["ks"]))
    positions = dy.size // (case["groups"] * case["fg"])
    _assert_bounded(dx, want_dx, bound_dx, taps * case["fg"], dtype)
    _assert_bounded(dk, want_dk, bound_dk, positions, dtype)
    db = ops.bias_gradient(dy, df)
    axes = tuple(a for a in range(dy.ndim) if a != (1 if df == "channels_first" else dy.ndim - 1))
    dy64 = dy.astype(np.float64)
    _assert_bounded(db, dy64.sum(axes), np.abs(dy64).sum(axes), positions, dtype)


@st.composite
def transpose_cases(draw):
    rank = draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 3 if rank == 3 else 4)) for _ in range(rank))
    spatial = tuple(draw(st.integers(1, 4 if rank == 3 else 6)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"]))
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
        if padding == "same":  # Keras's length may come out zero or negative: skip those
            assume(all((n - 1) * s + ((k - 1) * d + 1) % 2 + op > 0 for n, k, s, d, op
                       in zip(spatial, ks, strides, dilation, output_padding)))
    c, f = draw(st.integers(1, 5)), draw(st.sampled_from([1, 3, 17]))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    return dict(rank=rank, ks=ks, spatial=spatial, strides=strides, dilation=dilation,
                padding=padding, output_padding=output_padding, c=c, f=f,
                batch=draw(st.integers(1, 2)), data_format=data_format)


@given(case=transpose_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_transpose_gradients_match_oracle(case, dtype):
    rng = np.random.default_rng(sum(case["spatial"]) + case["c"])
    x = rng.standard_normal((case["batch"], *case["spatial"], case["c"])).astype(dtype)
    k = rng.standard_normal((*case["ks"], case["f"], case["c"])).astype(dtype)
    kw = dict(strides=case["strides"], padding=case["padding"],
              output_padding=case["output_padding"], dilation_rate=case["dilation"])
    dy = rng.standard_normal(ref.conv_transpose(x, k, **kw).shape).astype(dtype)
    want_dx, want_dk = ref_grad.conv_transpose_gradients(
        *(a.astype(np.float64) for a in (x, k, dy)), **kw)
    bound_dx, bound_dk = ref_grad.conv_transpose_gradients(
        *(np.abs(a.astype(np.float64)) for a in (x, k, dy)), **kw)
    df = case["data_format"]
    xd, dyd = _to_format(x, df), _to_format(dy, df)
    dx = ops.conv_transpose_input_gradient(dyd, k, xd.shape, data_format=df, **kw)
    dk = ops.conv_transpose_kernel_gradient(xd, dyd, case["ks"], data_format=df, **kw)
    taps = int(np.prod(case["ks"]))
    _assert_bounded(dx, _to_format(want_dx, df), _to_format(bound_dx, df), taps * case["f"],
                    dtype)
    _assert_bounded(dk, want_dk, bound_dk, max(1, dy.size // case["f"]), dtype)


def _split_groups(x, k, groups):
    """Per group: (input slice, transposed kernel slice (..., Fg, Cg))."""
    cg = x.shape[-1] // groups
    return [(x[..., g * cg:(g + 1) * cg], k[..., g * cg:(g + 1) * cg]) for g in range(groups)]


@given(rank=st.integers(1, 3), groups=st.sampled_from([2, 3]), cg=st.integers(1, 3),
       fg=st.sampled_from([1, 4, 33]), s=st.integers(1, 3), k=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), dtype=st.sampled_from([np.float32,
                                                                        np.float64]))
def test_grouped_conv_transpose_is_per_group_conv_transpose(rank, groups, cg, fg, s, k, padding,
                                                            dtype):
    # Layout kernel_size + (filters // groups, in_channels): group g maps input channels
    # [g*Cg, (g+1)*Cg) to filters [g*Fg, (g+1)*Fg)
    rng = np.random.default_rng(rank * 100 + groups * 10 + cg)
    x = rng.standard_normal((2, *(4,) * rank, groups * cg))
    kern = rng.standard_normal((k,) * rank + (fg, groups * cg))
    bias = rng.standard_normal(groups * fg)
    got = ops.conv_transpose(x.astype(dtype), kern.astype(dtype), s, padding, groups=groups,
                             bias=bias.astype(dtype))
    want = np.concatenate([ref.conv_transpose(xg, kg, s, padding)
                           for xg, kg in _split_groups(x, kern, groups)], axis=-1) + bias
    assert got.dtype == dtype
    assert_close(got, want, reduction_size=cg * k ** rank, dtype=dtype)


def test_grouped_conv_transpose_errors():
    x = np.ones((1, 4, 6), np.float32)
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        ops.conv_transpose(x, np.ones((3, 2, 6)), 2, groups=4)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        ops.conv_transpose(x, np.ones((3, 2, 6)), 2, groups=0)


@pytest.mark.parametrize("padding, n", [("valid", 8), ("valid", 9), ("same", 7)])
def test_input_rows_no_output_reads_get_zero(padding, n):
    # stride 3 over a 2-tap kernel leaves every third row (and a valid conv's tail) unread
    x = np.ones((1, n, 2))
    k = np.ones((2, 2, 3))
    dy = np.ones(ops.conv(x, k, 3, padding).shape)
    dx = ops.conv_input_gradient(dy, k, x.shape, 3, padding)
    want, _ = ref_grad.conv_gradients(x, k, dy, 3, padding)
    np.testing.assert_array_equal(dx, want)
    assert (dx[0, 2::3] == 0).all()


@pytest.mark.parametrize("case", [
    # several reduction chunks (P > 2048), the wide tile, 2 groups, same padding
    dict(x=(3, 40, 30, 8), k=(3, 3), f=64, groups=2, strides=1, padding="same"),
    # one filter per group: the narrow tile, channel tails, strides
    dict(x=(2, 50, 45, 7), k=(2, 3), f=1, groups=1, strides=(2, 1), padding="valid"),
    # two whole KB blocks per group on every ISA copy (packed, not read in place)
    dict(x=(2, 30, 40, 3), k=(3, 1), f="2kb", groups=1, strides=1, padding="same"),
    # Conv1D: one long row split into chunks
    dict(x=(1, 9000, 5), k=(5,), f=20, groups=1, strides=1, padding="causal"),
    # 32 filters: the mid tile on avx512 (float32), several chunks
    dict(x=(3, 40, 30, 24), k=(3, 3), f=32, groups=1, strides=1, padding="same"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_gradient_bit_identical_across_thread_counts(case, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(case["x"]).astype(dtype)
    kw = dict(strides=case["strides"], padding=case["padding"])
    ks = case["k"]
    f = case["f"]
    if f == "2kb":
        f = 2 * _kernels.load("_conv_grad").tile_info()[(np.dtype(dtype).char, "wide")][1]
    kernel = np.zeros((*ks, case["x"][-1] // case["groups"], f), dtype)
    dy = rng.standard_normal(ops.conv(x, kernel, **kw).shape).astype(dtype)
    results = []
    for n in (1, 2, 3):
        with convkit.num_threads(n):
            results.append(ops.conv_kernel_gradient(x, dy, ks, groups=case["groups"], **kw))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    _, want = ref_grad.conv_gradients(x.astype(np.float64), kernel.astype(np.float64),
                                      dy.astype(np.float64), **kw)
    assert_close(results[0], want, reduction_size=dy.size // f, dtype=dtype)


@pytest.mark.parametrize("xshape, ks, f, strides", [
    ((1, 3, 150, 16), (3, 3), 64, 1),    # rows longer than a run of dy (one segment each)
    ((4, 40, 3, 16), (3, 3), 64, 1),     # 3-pixel rows: many segments per run
    ((2, 1, 1, 6), (3, 3), 5, 1),        # every tap but the centre sees only padding
    ((2, 37, 41, 7), (4, 4), 20, 2),     # strided, narrow tile, channel tail
    ((1, 5, 9, 12, 3), (3, 3, 3), 64, 1),
    ((2, 9, 70, 32), (3, 3), 32, 1),     # the mid tile (avx512; float64: 16 filters below)
    ((2, 6, 7, 9, 16), (3, 3, 3), 32, 1),  # folded 3-D rows, mid tile
    ((2, 9, 70, 12), (3, 3), 16, 1),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_gradient_counts_every_position_once(xshape, ks, f, strides, dtype):
    # a task sums its chunk in runs of segments, every channel block over one run before
    # the next: small integers make every sum exact, so a position skipped or added twice
    # anywhere shows as an inequality
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, xshape).astype(dtype)
    kernel = np.zeros((*ks, xshape[-1], f), dtype)
    dy = rng.integers(-2, 3, ops.conv(x, kernel, strides=strides, padding="same").shape)
    dy = dy.astype(dtype)
    got = ops.conv_kernel_gradient(x, dy, ks, strides=strides, padding="same")
    _, want = ref_grad.conv_gradients(x.astype(np.float64), kernel.astype(np.float64),
                                      dy.astype(np.float64), strides=strides, padding="same")
    assert np.array_equal(got, want.astype(dtype))


def test_every_built_copy_agrees():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 11, 6))
    dy = rng.standard_normal((2, 9, 11, 10))
    want = ops.conv_kernel_gradient(x, dy, 3, padding="same", groups=2)
    for variant in _kernels.built_variants():
        try:
            module = _kernels.load_variant("_conv_grad", variant)
        except ImportError:
            continue
        # patched where kernel_gradient_5d looks it up (conv_grad only re-exports it)
        saved = _conv_weight_grad._grad
        _conv_weight_grad._grad = module
        try:
            got = ops.conv_kernel_gradient(x, dy, 3, padding="same", groups=2)
        finally:
            _conv_weight_grad._grad = saved
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_shape_errors():
    x = np.ones((1, 6, 6, 2), np.float32)
    k = np.ones((3, 3, 2, 4), np.float32)
    with pytest.raises(ValueError, match="spatial shape"):
        ops.conv_kernel_gradient(x, np.ones((1, 5, 5, 4)), 3)
    with pytest.raises(ValueError, match="spatial shape"):
        ops.conv_input_gradient(np.ones((1, 5, 5, 4)), k, x.shape)
    with pytest.raises(ValueError, match="does not fit"):
        ops.conv_input_gradient(np.ones((1, 4, 4, 3)), k, x.shape)
    with pytest.raises(ValueError, match="multiples of groups"):
        ops.conv_kernel_gradient(x, np.ones((1, 4, 4, 3)), 3, groups=2)
    with pytest.raises(ValueError, match="spatial shape"):
        ops.conv_transpose_kernel_gradient(x, np.ones((1, 6, 6, 4)), 3, 2)


def test_kernel_module_checks_sizes():
    module = _kernels.load("_conv_grad")
    dims = np.array([1, 1, 1, 4, 1, 1, 1, 2, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1],
                    dtype=np.intp)
    kb = module.tile_info()[("d", "narrow")][1]
    with pytest.raises(ValueError, match="input size"):
        module.kernel_grad_d(np.zeros(3), np.zeros(2 * kb), np.zeros(3), dims, "narrow", 1)
    with pytest.raises(ValueError, match="unknown tile"):
        module.kernel_grad_d(np.zeros(4), np.zeros(2 * kb), np.zeros(3), dims, "big", 1)
    with pytest.raises(ValueError, match="geometry integers"):
        module.kernel_grad_d(np.zeros(4), np.zeros(2 * kb), np.zeros(3), dims[:5], "narrow", 1)
    # an output gradient read as given: whole blocks of channels, P * F items
    with pytest.raises(ValueError, match="whole blocks"):
        module.kernel_grad_d(np.zeros(4), np.zeros(2), np.zeros(3), dims, "narrow", 1,
                             packed=False)
    wide = dims.copy()
    wide[-1] = kb  # Fg = KB filters: one whole block
    with pytest.raises(ValueError, match="output gradient size"):
        module.kernel_grad_d(np.zeros(4), np.zeros(3 * kb), np.zeros(3 * kb), wide, "narrow",
                             1, packed=False)


@pytest.mark.parametrize("groups, filters", [(1, 128), (1, 32), (4, 64), (2, 20)])
def test_weight_gradient_reads_whole_blocks_unpacked(groups, filters):
    # Filters per group in whole blocks of the tile: the kernel reads dy as given, at a
    # position stride; otherwise (10 filters a group) ops pack it first. The sums are the
    # packed kernel's, bit for bit.
    rng = np.random.default_rng(3)
    c = 24  # more than the folded path takes
    x = rng.standard_normal((2, 9, 10, c))
    dy = rng.standard_normal((2, 9, 10, filters))
    got = ops.conv_kernel_gradient(x, dy, 3, padding="same", groups=groups)
    fg, cg = filters // groups, c // groups
    tile, kb = conv_grad._choose_tile(fg, np.float64, cg)
    flat, packed = conv_grad._pack_output_gradient(dy.reshape(2, 1, 9, 10, filters), groups, kb)
    assert packed == (fg % kb != 0)
    nblk = -(-fg // kb)
    padded = np.zeros((2 * 9 * 10, groups, nblk * kb))
    padded[..., :fg] = dy.reshape(-1, groups, fg)
    blocks = np.ascontiguousarray(
        padded.reshape(-1, groups, nblk, kb).transpose(1, 2, 0, 3)).reshape(-1)
    dims = np.array([2, 1, 9, 10, c, 1, 9, 10, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, groups, cg,
                     fg], dtype=np.intp)
    out = np.empty((1, 3, 3, cg, filters))
    _kernels.load("_conv_grad").kernel_grad_d(x.reshape(-1), blocks, out.reshape(-1), dims,
                                              tile, 1)
    assert np.array_equal(got, out[0])
    want = ref_grad.conv_gradients(x, np.zeros((3, 3, cg, filters)), dy, padding="same")[1]
    assert_close(got, want, reduction_size=2 * 9 * 10, dtype=np.float64)


def test_weight_gradient_mid_tile_gives_way_to_one_vector_tiles_on_short_rows():
    """Where the two-vector "mid" tile pads the filters no more than "narrow" (32 float32
    filters on avx512), it runs on tall row counts; on rows its taller blocks waste (16),
    the one-vector tile's exact fit is cheaper despite its broadcast per multiply-add."""
    info = _kernels.load("_conv_grad").tile_info()
    for dtype in (np.float32, np.float64):
        char = np.dtype(dtype).char
        (cb_mid, kb_mid), (cb_one, kb_one) = info[(char, "mid")], info[(char, "narrow")]
        if kb_mid == info[(char, "wide")][1]:
            assert conv_grad._choose_tile(kb_mid, dtype, 64)[0] == "wide"   # ties: wide
            continue
        assert conv_grad._choose_tile(kb_mid, dtype, 36 * cb_mid)[0] == "mid"
        assert conv_grad._choose_tile(kb_mid, dtype)[0] == "mid"
        assert conv_grad._choose_tile(kb_mid, dtype, cb_one)[0] == "narrow"
        assert conv_grad._choose_tile(kb_one, dtype, 36 * cb_mid)[0] == "narrow"   # filters


@pytest.mark.parametrize("rows, fg, expected", [(8, 4, "short"), (16, 4, None), (9, 4, None),
                                                (8, 64, "wide")])
def test_weight_gradient_tile_follows_rows(rows, fg, expected):
    """Among the one-vector tiles the one whose last tile wastes fewer rows is chosen (8 rows:
    "short" on every ISA copy); the wide/narrow choice still follows the filters alone."""
    info = _kernels.load("_conv_grad").tile_info()
    tile, kb = conv_grad._choose_tile(fg, np.float32, rows)
    assert kb == info[("f", tile)][1]
    if expected is not None:
        assert tile == expected
    if tile != "wide":
        cbs = {t: info[("f", t)][0] for t in ("narrow", "short")}
        assert -(-rows // cbs[tile]) * cbs[tile] == min(-(-rows // cb) * cb
                                                        for cb in cbs.values())
