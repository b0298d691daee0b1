"""SeparableExplorer: T0 (scene vs ops and layers) and T1 (headless widget behaviour)."""

import numpy as np
import pytest
from convkit.widgets import SeparableExplorer
from convkit.widgets.scene import SceneError
from convkit.widgets.scene.separable import (
    SeparableComputation,
    SeparableConfig,
    cost_comparison,
    divisors,
)
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from convkit import layers, ops
from tests.support.svg import class_rects, svg_root


@st.composite
def separable_cases(draw):
    C, M, F = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"]))
    ek = (k - 1) * d + 1
    n = draw(st.integers(ek if padding == "valid" else 1, 7))
    return C, M, F, k, s, d, padding, n, draw(st.integers(0, 999)), draw(st.booleans())


@given(separable_cases())
def test_separable_scene_numbers_are_the_ops_numbers(case):
    C, M, F, k, s, d, padding, n, seed, use_bias = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 4, size=(n, n, C)).astype(np.float32)
    config = SeparableConfig(kernel_size=k, strides=s, dilation_rate=d, padding=padding,
                          depth_multiplier=M, filters=F, use_bias=use_bias)
    computation = SeparableComputation(config, x, seed=seed)
    kw = dict(strides=s, padding=padding, dilation_rate=d)
    bias = computation.bias if use_bias else None
    np.testing.assert_array_equal(
        computation.depthwise, ops.depthwise_conv(x[None], computation.depthwise_kernel, **kw)[0])
    np.testing.assert_array_equal(computation.output, ops.separable_conv(
        x[None], computation.depthwise_kernel, computation.pointwise_kernel, bias=bias, **kw)[0])
    assert computation.identical
    assert computation.n_steps == int(np.prod(computation.output.shape[:2]))
    for step in {0, computation.n_steps // 2, computation.n_steps - 1}:
        f = step % F
        sc = computation.scene(step, f)
        for w, size in zip(sc.window, computation.padded.shape[:2], strict=True):
            assert 0 <= w.min() and w.max() < size
        # depthwise: map q = c·M + m is channel c's window times its own kernel, nothing else
        for c in range(C):
            for m in range(M):
                assert sc.dw_products[..., c, m].sum() == pytest.approx(
                    computation.depthwise[sc.position + (c * M + m,)], abs=1e-3)
        # pointwise: Σ d_q · w_qf + b is the fused op's output cell
        assert sc.pw_products.sum() + sc.bias[f] == pytest.approx(sc.value, abs=1e-3)
        assert sc.value == computation.output[sc.position + (f,)]


def test_depthwise_stage_never_mixes_channels():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 6, 3)).astype(np.float32)
    config = SeparableConfig(depth_multiplier=2, filters=2)
    base = SeparableComputation(config, x)
    x2 = x.copy()
    x2[..., 1] += 10.0  # change channel 1 only
    moved = SeparableComputation(config, x2)
    changed = [q for q in range(6) if not np.allclose(base.depthwise[..., q],
                                                      moved.depthwise[..., q])]
    assert changed == [2, 3]  # exactly channel 1's M = 2 maps (q = c·M + m)


@pytest.mark.parametrize("C,M,F,g,k,use_bias", [(4, 1, 8, 1, 3, True), (3, 2, 6, 3, 3, False),
                                                (4, 2, 4, 2, 5, True), (1, 3, 2, 1, 1, True)])
def test_cost_formulas_agree_with_layer_count_params(C, M, F, g, k, use_bias):
    config = SeparableConfig(kernel_size=k, depth_multiplier=M, filters=F, groups=g,
                          use_bias=use_bias)
    c = cost_comparison(config, (7, 7), C)
    b = F if use_bias else 0
    assert c["separable"] == k * k * C * M + C * M * F + b
    assert c["plain"] == k * k * (C // g) * F + b
    assert c["depthwise"] == k * k * C * M
    sep = layers.SeparableConv2D(F, k, depth_multiplier=M, use_bias=use_bias)
    y = sep(np.ones((1, 7, 7, C), np.float32))
    assert c["out_spatial"] == y.shape[1:3]
    assert c["macs_separable_total"] == np.prod(y.shape[1:3]) * (k * k * C * M + C * M * F)
    assert c["macs_plain_total"] == np.prod(y.shape[1:3]) * k * k * (C // g) * F
    assert c["separable_formula"].endswith(f"= {c['separable']}")
    assert c["plain_formula"].endswith(f"= {c['plain']}")


def test_grouped_conv_with_groups_equal_channels_is_a_depthwise_conv():
    # the far end of the groups slider: groups = C, F = C·M is DepthwiseConv2D's computation
    rng = np.random.default_rng(2)
    C, M = 3, 2
    x = rng.normal(size=(1, 6, 6, C)).astype(np.float32)
    dk = rng.normal(size=(3, 3, C, M)).astype(np.float32)
    grouped = dk.reshape(3, 3, 1, C * M)  # output channel c·M + m reads channel c only
    np.testing.assert_allclose(ops.conv(x, grouped), ops.depthwise_conv(x, dk), atol=1e-5)
    c = cost_comparison(SeparableConfig(depth_multiplier=M, filters=C * M, groups=C,
                                        use_bias=False), (6, 6), C)
    assert c["plain"] == c["depthwise"]


def test_strides_with_dilation_allowed_but_noted_and_errors_explained():
    computation = SeparableComputation(SeparableConfig(strides=2, dilation_rate=2),
                                       np.ones((7, 7, 2)))
    assert computation.output.shape == (2, 2, 2)
    message, sentence = computation.costs["plain_error"]
    with pytest.raises(ValueError) as info:
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    assert message == str(info.value)
    assert "refuses" in sentence
    assert any("Conv2D refuses" in s for s in computation.sentences())
    with pytest.raises(SceneError) as bad:
        SeparableComputation(SeparableConfig(kernel_size=4, dilation_rate=2), np.ones((3, 3)))
    assert "not one window fits" in bad.value.explanation
    assert divisors(12) == [g for g in range(1, 13) if 12 % g == 0]


def test_separable_explorer_renders_both_stages_in_place():
    ex = SeparableExplorer(size=5, channels=2, depth_multiplier=2, filters=3)
    try:
        assert ex.render_count == 1
        assert ex.toolbar.step.max == ex.computation.n_steps - 1 == 8
        view = ex.view
        root = svg_root(view.value)
        assert len(class_rects(root, "window")) == 9 * 2  # the window in every channel
        # current: 4 depthwise maps + 4 pointwise column cells + the output cell
        assert len(class_rects(root, "current")) == 4 + 4 + 1
        assert root.get("aria-label") in ex.toolbar.caption.value
        assert "identical ✓" in view.value
        assert "SeparableConv2D" in ex.costs.value and str(ex.computation.costs["plain"]) in \
            ex.costs.value
        ex.toolbar.step.value = 4
        assert ex.render_count == 2 and ex.view is view
        assert "Step 5 of 9" in svg_root(ex.view.value).get("aria-label")
        ex.filter_index.value = 2
        assert ex.render_count == 3
        assert "[f=2]" in ex.toolbar.formula.value
    finally:
        ex.close()


def test_groups_slider_follows_channels_and_updates_costs():
    ex = SeparableExplorer(channels=4, filters=4)
    try:
        assert tuple(ex.groups.options) == (1, 2, 4)
        plain = ex.computation.costs["plain"]
        before = ex.render_count
        ex.groups.value = 4
        assert ex.render_count == before + 1
        k2 = 3 * 3  # default kernel 3×3, bias on: k·k·(C/g)·F + F
        assert (plain, ex.computation.costs["plain"]) == (k2 * 4 * 4 + 4, k2 * (4 // 4) * 4 + 4)
        assert "groups=4" in ex.costs.value
        ex.channels.value = 3  # 4 is not a divisor of 3: back to a valid choice
        assert tuple(ex.groups.options) == (1, 3)
        assert ex.groups.value == 1
        ex.groups.value = 3  # 3 does not divide the 4 filters: Conv2D's message, no traceback
        assert 'role="alert"' in ex.costs.value
        assert "evenly divisible" in ex.costs.value
        assert ex.computation is not None and ex.toolbar.banner.value == ""
    finally:
        ex.close()


def test_strides_and_dilation_note_and_impossible_banner():
    ex = SeparableExplorer(size=7)
    try:
        ex.strides.value = 2
        ex.dilation.value = 2
        assert ex.toolbar.banner.value == ""
        assert "Conv2D refuses" in ex.toolbar.sentences.value
        assert "dilation" in ex.costs.value
        ex.size.value = 3
        ex.kernel_size.value = 4
        assert "Not possible" in ex.toolbar.banner.value
        assert "not one window fits" in ex.toolbar.banner.value
        assert ex.costs.value == "" and ex.view.value == ""
        ex.dilation.value = 1
        ex.padding.value = "same"
        assert ex.toolbar.banner.value == ""
    finally:
        ex.close()


def test_separable_gif_export(tmp_path):
    ex = SeparableExplorer(size=4, channels=2)
    try:
        gif = Image.open(ex.to_gif(tmp_path / "sep.gif", fps=5))
        assert gif.n_frames == ex.computation.n_steps == 4
        assert gif.info["duration"] == 200
    finally:
        ex.close()
