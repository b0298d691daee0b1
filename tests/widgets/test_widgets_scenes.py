"""T0: scenes against convkit's ops — the numbers shown are the numbers computed."""

import numpy as np
import pytest
from convkit.widgets.scene import (
    ConvComputation,
    ConvConfig,
    ResampleComputation,
    ResampleConfig,
    SceneError,
    SeparableComputation,
    SeparableConfig,
    TransposedComputation,
    TransposedConfig,
)
from convkit.widgets.scene.conv import receptive_field
from convkit.widgets.scene.resample import axis_taps
from convkit.widgets.scene.separable import cost_comparison
from hypothesis import given
from hypothesis import strategies as st

import convkit
from convkit import ops
from convkit.ops import shapes
from tests.support.widget_cases import transposed_cases


@st.composite
def conv_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from(["valid", "same", "full", "explicit"]
                                   + (["causal"] if rank == 1 else [])))
    k = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    dilated = draw(st.booleans())
    s = tuple(1 if dilated else draw(st.integers(1, 3)) for _ in range(rank))
    d = tuple(draw(st.integers(1, 3)) if dilated else 1 for _ in range(rank))
    ek = [(kk - 1) * dd + 1 for kk, dd in zip(k, d, strict=True)]
    # smallest input with at least one window: valid needs ek, explicit (2 per side) ek − 4;
    # k = 4, d = 3 gives ek = 10, above the usual cap of 9, so the cap never goes below it
    low = {"valid": lambda e: e, "explicit": lambda e: max(1, e - 4)}.get(padding, lambda e: 1)
    n = tuple(draw(st.integers(low(e), max(low(e), 9))) for e in ek)
    channels = draw(st.integers(1, 2))
    filters = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 1000))
    return rank, padding, k, s, d, n, channels, filters, seed


@given(conv_cases())
def test_conv_scene_sums_equal_op_output(case):
    rank, padding, k, s, d, n, C, F, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 4, size=n + (C,)).astype(np.float32)
    kernel = rng.integers(-1, 3, size=k + (C, F)).astype(np.float32)
    bias = rng.integers(-2, 3, size=F).astype(np.float32)
    config = ConvConfig(rank=rank, kernel_size=k, strides=s, dilation_rate=d, padding=padding,
                     explicit_pad=2)
    computation = ConvComputation(config, x, kernel=kernel, bias=bias)
    # steps = product of the output dims; the op's output is what the scene holds
    assert computation.n_steps == int(np.prod(computation.output.shape[:-1]))
    if padding in ("valid", "same", "causal"):
        expected = ops.conv(x[None], kernel, strides=s, padding=padding, dilation_rate=d,
                            bias=bias)[0]
        np.testing.assert_array_equal(computation.output, expected)
        assert computation.output.shape[:-1] == tuple(
            shapes.conv_output_length(m, kk, ss, dd, padding)
            for m, kk, ss, dd in zip(n, k, s, d, strict=True))
    # the padded input is the input plus zeros exactly where the mask says
    interior = computation.padded[~computation.pad_mask]
    np.testing.assert_array_equal(interior.reshape(x.shape), x)
    assert not computation.padded[computation.pad_mask].any()
    for step in {0, computation.n_steps // 2, computation.n_steps - 1}:
        for f in range(F):
            sc = computation.scene(step, f)
            for w, size in zip(sc.window, computation.padded.shape[:-1], strict=True):
                assert 0 <= w.min() and w.max() < size  # window inside the padded input
            total = sc.products.sum() + sc.bias[f]
            assert total == pytest.approx(sc.value, abs=1e-3)
            assert sc.value == computation.output[sc.position + (f,)]
            assert sc.partial_sums.sum() == pytest.approx(sc.products.sum())


@pytest.mark.parametrize("n,k,s,expect", [(6, 3, 2, (0, 1)), (5, 3, 2, (1, 1)),
                                          (5, 4, 1, (1, 2)), (5, 2, 1, (0, 1))])
def test_same_split_matches_impulse_through_ops(n, k, s, expect):
    computation = ConvComputation(ConvConfig(rank=1, kernel_size=k, strides=s, padding="same"),
                           np.zeros(n))
    assert computation.pads == (expect,)
    assert "before" in computation.shape_formula()[0]
    # impulse probe: input position p shows up at output o with tap t = p + before − o·s
    kernel = np.arange(1, k + 1, dtype=np.float32).reshape(k, 1, 1)
    for p in range(n):
        x = np.zeros((1, n, 1), np.float32)
        x[0, p, 0] = 1
        y = ops.conv(x, kernel, strides=s, padding="same")[0, :, 0]
        for o, v in enumerate(y):
            t = p + expect[0] - o * s
            assert v == (kernel[t, 0, 0] if 0 <= t < k else 0)


def test_causal_pads_left_only_and_never_sees_the_future():
    computation = ConvComputation(ConvConfig(rank=1, kernel_size=3, dilation_rate=2,
                                      padding="causal"), np.arange(1.0, 9.0))
    assert computation.pads == ((4, 0),)
    for step in range(computation.n_steps):
        sc = computation.scene(step)
        assert sc.window[0].max() - computation.pads[0][0] <= sc.position[0]  # only inputs <= t
    assert receptive_field([3, 3], [1, 2]) == 7


def test_strides_with_dilation_is_explained_not_raised_raw():
    with pytest.raises(SceneError) as info:
        ConvComputation(ConvConfig(strides=2, dilation_rate=2), np.ones((6, 6)))
    assert "dilation_rate" in info.value.message
    assert "never both" in info.value.explanation


def test_kernel_larger_than_input_gives_the_ops_message():
    with pytest.raises(SceneError) as info:
        ConvComputation(ConvConfig(kernel_size=5), np.ones((3, 3)))
    assert "not one window fits" in info.value.explanation


def test_inspect_input_and_weight_mappings_are_consistent():
    computation = ConvComputation(ConvConfig(kernel_size=3, strides=2, padding="same"),
                           np.ones((6, 6)))
    for tap in [(0, 0), (1, 2)]:
        for cell in computation.inputs_of_tap(tap):
            outs = [o for o, t in computation.outputs_fed_by(cell) if t == tap]
            assert len(outs) == 1
            win = computation.window(outs[0])
            assert (win[0][tap[0]], win[1][tap[1]]) == cell
    # a corner cell feeds fewer outputs than an interior one
    assert len(computation.outputs_fed_by((0, 0))) < len(computation.outputs_fed_by((2, 2)))


@given(transposed_cases(max_kernel=5, max_stride=3, max_dilation=3, max_size=4))
def test_transposed_views_agree_with_ops(case):
    rank, k, s, d, padding, op, n, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 4, size=(n,) * rank).astype(np.float32)
    kernel = rng.integers(-1, 3, size=(k,) * rank + (1, 1)).astype(np.float32)
    config = TransposedConfig(rank=rank, kernel_size=k, strides=s, dilation_rate=d,
                           padding=padding, output_padding=op)
    if shapes.transpose_output_length(n, k, s, d, padding, op) == 0:
        with pytest.raises(SceneError, match="output would have shape"):
            TransposedComputation(config, x, kernel=kernel)
        return
    computation = TransposedComputation(config, x, kernel=kernel)
    ref = ops.conv_transpose(x[None, ..., None], kernel, s, padding=padding, output_padding=op,
                             dilation_rate=d)[0]
    np.testing.assert_allclose(computation.scatter, ref, atol=1e-4)
    np.testing.assert_allclose(computation.zero_insertion, ref, atol=1e-4)
    assert computation.identical
    # every ambiguity-strip size maps back to n through the forward conv
    for row in computation.ambiguity:
        for m in row["candidates"]:
            assert shapes.conv_output_length(m, k, s, d, padding) == n
        if padding == "valid":
            assert row["maps_back"] and len(row["candidates"]) == s


def test_adjoint_identity_with_the_same_kernel_array():
    # <conv(x, K), y> = <x, conv_transpose(y, K)>: Keras's transposed layout is the forward one
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 7, 7, 2)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)
    y_shape = ops.conv(x, kernel, strides=2).shape
    y = rng.normal(size=y_shape).astype(np.float32)
    back = ops.conv_transpose(y, kernel, 2, output_padding=0)
    assert back.shape == x.shape
    lhs = float((ops.conv(x, kernel, strides=2) * y).sum())
    assert lhs == pytest.approx(float((x * back).sum()), rel=1e-4)


def test_output_padding_at_or_above_stride_becomes_a_banner():
    with pytest.raises(SceneError) as info:
        TransposedComputation(TransposedConfig(strides=2, output_padding=2), np.ones((2, 2)))
    assert "output_padding" in info.value.message
    assert "below the stride" in info.value.explanation


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"])
def test_upsampling_taps_sum_to_one_and_reproduce_ops(mode):
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    computation = ResampleComputation(ResampleConfig("upsample", rank=2, size=(2, 3),
                                              interpolation=mode), x)
    np.testing.assert_array_equal(
        computation.output, ops.upsample(x[None, ..., None], (2, 3), interpolation=mode)[0])
    for step in range(computation.n_steps):
        sc = computation.scene(step)
        assert sum(w for _, w in sc.taps) == pytest.approx(1.0)
        assert sc.reconstructed == pytest.approx(sc.value, abs=1e-4)


def test_bilinear_ramp_matches_keras_numbers():
    computation = ResampleComputation(ResampleConfig("upsample", rank=2, size=(1, 2),
                                              interpolation="bilinear"),
                               np.arange(1.0, 5.0).reshape(1, 4))
    np.testing.assert_allclose(computation.output[0, :, 0],
                               [1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4], atol=1e-6)
    assert axis_taps(1, 4, 2, "bilinear") == [(0, 0.75), (1, 0.25)]


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("operation", ["crop", "pad", "upsample"])
def test_crop_pad_nearest_taps_reproduce_ops(rank, operation):
    x = np.arange(1.0, 4.0 ** rank + 1).reshape((4,) * rank)
    computation = ResampleComputation(ResampleConfig(operation, rank=rank,
                                              amounts=((1, 0),) * rank, size=2), x)
    marked = computation.in_mask.sum() if operation == "crop" else computation.out_mask.sum()
    assert (marked > 0) == (operation != "upsample")
    for step in range(0, computation.n_steps, 3):
        sc = computation.scene(step)
        assert sc.reconstructed == sc.value
        if operation == "pad":
            assert (not sc.taps) == bool(computation.out_mask[sc.position])


def _scene_numbers():
    """Every array and count the scenes show, for settings that touch every op they call."""
    x = np.arange(1.0, 37.0).reshape(6, 6) % 7 - 3
    conv = [ConvComputation(ConvConfig(kernel_size=3, padding=p), x)
            for p in ("same", "full", "valid")]
    transposed = TransposedComputation(TransposedConfig(kernel_size=3, strides=2,
                                                        padding="same"), x[:2, :2])
    separable = SeparableComputation(SeparableConfig(kernel_size=3, padding="same",
                                                     filters=4), np.stack([x, -x, x], -1))
    resample = [ResampleComputation(ResampleConfig(op, rank=2, amounts=((1, 0), (0, 1)),
                                                   size=2, interpolation="bilinear"), x)
                for op in ("crop", "pad", "upsample")]
    arrays = [a for c in conv for a in (c.output, c.padded)]
    arrays += [transposed.output, transposed.zero_insertion, transposed.inserted]
    arrays += [separable.depthwise, separable.output, separable.composed, separable.padded]
    arrays += [r.output for r in resample]
    costs = cost_comparison(SeparableConfig(kernel_size=3, padding="valid", filters=4),
                            (6, 6), 3)
    return arrays, costs


def test_scenes_ignore_a_channels_first_session_default():
    """A class that set channels_first for its own layers still sees the same scenes."""
    arrays, costs = _scene_numbers()
    convkit.config.set_image_data_format("channels_first")
    try:
        arrays_cf, costs_cf = _scene_numbers()
    finally:
        convkit.config.set_image_data_format("channels_last")
    assert len(arrays) == len(arrays_cf)
    for a, b in zip(arrays, arrays_cf, strict=True):
        np.testing.assert_array_equal(a, b)
    assert costs == costs_cf


def test_configs_normalise_their_window_and_amounts_once():
    # one WindowConfig rule for every conv-like config; amounts through ops' standardize_pairs
    assert ConvConfig(rank=1, kernel_size=3, padding="SAME").padding == "same"
    assert TransposedConfig(rank=1, output_padding=1).output_padding == (1,)
    assert TransposedConfig().strides == (2, 2)
    separable = SeparableConfig(kernel_size=(3, 1), dilation_rate=2)
    assert (separable.rank, separable.kernel_size, separable.dilation_rate) == (2, (3, 1), (2, 2))
    with pytest.raises(TypeError):
        SeparableConfig(rank=1)
    assert ResampleConfig("pad", rank=2, amounts=1).amounts == ((1, 1), (1, 1))
    assert ResampleConfig("crop", rank=2, amounts=((1, 0), 2)).amounts == ((1, 0), (2, 2))
    with pytest.raises(ValueError, match="amounts"):
        ResampleConfig("crop", rank=1, amounts=-1)
