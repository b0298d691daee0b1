"""Issue 17, item 6: ConvExplorer's editable kernel (``kernel=`` and the weight editor), the
convolution / cross-correlation toggle, multi-channel sums and every filter's output, the
groups picture and Conv3D as depth slices.

Numbers are checked against Keras 3 (jax) as the oracle, and against ``np.convolve`` for the
flip (a true convolution computed by NumPy, not by convkit); the live badges are checked to
turn ✗ when a picture is corrupted.
"""

import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from convkit.widgets import ConvExplorer
from convkit.widgets.scene.conv import ConvComputation, ConvConfig, check_kernel, default_kernel
from convkit.widgets.scene.conv_more import (
    conv_extras,
    convolution_by_definition,
    dense_output,
    layer_output,
)

import convkit
from tests.support.keras_oracle import assert_close, keras

from .conftest import n_widgets

SVG = "{http://www.w3.org/2000/svg}"


def keras_output(explorer) -> np.ndarray:
    """The explorer's layer run by Keras: the shown settings, the kernel that slides (flipped
    for a convolution) and the bias, on the explorer's own input."""
    c = explorer.computation
    config = c.config
    padded_outside = config.padding in ("full", "explicit")
    layer = getattr(keras.layers, f"Conv{config.rank}D")(
        filters=c.kernel.shape[-1], kernel_size=config.kernel_size, strides=config.strides,
        padding="valid" if padded_outside else config.padding,
        dilation_rate=config.dilation_rate, groups=c.groups, use_bias=config.use_bias)
    x = (c.padded if padded_outside else c.x)[None]
    layer.build(x.shape)
    layer.set_weights([c.kernel, c.bias] if config.use_bias else [c.kernel])
    return np.asarray(layer(x))[0]


def badge_texts(explorer) -> list:
    return [html.unescape(t) for t in re.findall(r"<p[^>]*>(.*?)</p>", explorer.badges.value)]


def all_badges_ok(explorer) -> bool:
    return bool(explorer.extras.badges) and all(b.ok for b in explorer.extras.badges)


# ---- defaults and a dozen settings ----

def test_defaults_show_the_new_panels_and_every_badge_is_green():
    ex = ConvExplorer()
    try:
        assert ex.operation.value == "cross-correlation"
        assert "what Keras computes" in ex.operation.options[0][0]
        assert ex.groups.value == 1
        assert len(ex.weight_cell.options) == 9  # every weight of the 3×3 kernel
        assert ex.weight.value == float(ex.kernel_array[0, 0, 0, 0])
        texts = badge_texts(ex)
        assert texts and all(t.endswith("✓") for t in texts)
        assert any("convkit.layers.Conv2D" in t for t in texts)
        root = ET.fromstring(ex.extras_view.value)
        assert "Σ over channels" in root.get("aria-label")
        assert "Σ over channels" in ex.toolbar.formula.value
        assert ex.render_count == 1
    finally:
        ex.close()


SETTINGS = [
    dict(),
    dict(rank=1, size=9, kernel_size=3, channels=2, filters=2),
    dict(rank=1, size=8, padding="causal", dilation_rate=2, operation="convolution"),
    dict(size=6, strides=2, padding="same", channels=3, filters=3),
    dict(size=7, kernel_size=3, dilation_rate=2, operation="convolution"),
    dict(size=5, padding="full", channels=2, filters=2, operation="convolution"),
    dict(size=6, padding="explicit", channels=4, filters=2, groups=2),
    dict(size=5, channels=4, filters=4, groups=4, use_bias=False),
    dict(size=5, channels=3, filters=3, groups=3, operation="convolution", source="random ints",
         seed=3),
    dict(rank=3, size=4, kernel_size=2),
    dict(rank=3, size=4, kernel_size=2, strides=2, padding="same", channels=2, filters=2),
    dict(rank=3, size=3, kernel_size=2, channels=2, filters=2, groups=2,
         operation="convolution"),
    dict(kernel=np.arange(6.0).reshape(2, 3) - 2, operation="convolution", size=6),
]


def numpy_output(explorer) -> np.ndarray:
    """The explorer's conv by NumPy alone (float64): np.pad with the shown pads, every
    window via sliding_window_view, each filter summed over its group's channels."""
    c = explorer.computation
    config = c.config
    rank = config.rank
    x = np.pad(c.x.astype(np.float64), [*c.pads, (0, 0)])
    spans = [(k - 1) * d + 1 for k, d in zip(config.kernel_size, config.dilation_rate,
                                              strict=True)]
    windows = np.lib.stride_tricks.sliding_window_view(x, spans, axis=tuple(range(rank)))
    windows = windows[tuple(slice(None, None, s) for s in config.strides)]
    windows = windows[(Ellipsis, *(slice(None, None, d) for d in config.dilation_rate))]
    kernel = c.kernel.astype(np.float64)
    cg, filters = kernel.shape[-2:]
    fg = filters // c.groups
    out = np.zeros(windows.shape[:rank] + (filters,))
    for f in range(filters):
        chans = slice((f // fg) * cg, (f // fg + 1) * cg)
        w = np.moveaxis(kernel[..., f], -1, 0)  # (cg, k...)
        out[..., f] = np.tensordot(windows[(Ellipsis, chans) + (slice(None),) * rank], w,
                                   axes=rank + 1) + c.bias[f]
    return out


@pytest.mark.parametrize("kwargs", SETTINGS, ids=range(len(SETTINGS)))
def test_a_dozen_settings_match_numpy_and_every_badge_is_green(kwargs):
    ex = ConvExplorer(**kwargs)
    try:
        assert ex.computation is not None, ex.toolbar.banner.value
        assert_close(ex.computation.output, numpy_output(ex),
                     reduction_size=ex.computation.kernel[..., 0].size)
        ex.toolbar.step.value = ex.toolbar.step.max  # the last step too
        assert all_badges_ok(ex), badge_texts(ex)
        filters = ex.computation.kernel.shape[-1]
        assert len(ex.extras.filter_panes) == (filters if filters > 1 else 0)
        ET.fromstring(ex.view.value)
        ET.fromstring(ex.extras_view.value)
    finally:
        ex.close()


#: a few settings against Keras in every run (flip, groups, 3-D, causal); all of them in the
#: slow run (each distinct shape costs Keras a jax compilation)
KERAS_FAST = (2, 6, 11, 12)


@pytest.mark.parametrize("kwargs", [
    pytest.param(kw, marks=() if i in KERAS_FAST else pytest.mark.slow)
    for i, kw in enumerate(SETTINGS)], ids=range(len(SETTINGS)))
def test_settings_match_keras(kwargs):
    ex = ConvExplorer(**kwargs)
    try:
        assert_close(ex.computation.output, keras_output(ex),
                     reduction_size=ex.computation.kernel[..., 0].size)
    finally:
        ex.close()


# ---- (a) the editable kernel ----

@pytest.mark.parametrize("rank, kernel, expected", [
    (2, [[1, 0, -1], [2, 0, -2]], (2, 3, 1, 1)),
    (2, np.ones((2, 2, 1, 3)), (2, 2, 1, 3)),
    (1, [1, -1], (2, 1, 1)),
    (3, np.ones((2, 2, 2)), (2, 2, 2, 1, 1)),
])
def test_kernel_argument_fixes_the_kernel_controls_and_is_used(rank, kernel, expected):
    ex = ConvExplorer(rank=rank, kernel=kernel)
    try:
        assert ex.kernel_array.shape == expected
        np.testing.assert_array_equal(ex.kernel_array.reshape(-1),
                                      np.asarray(kernel, np.float32).reshape(-1))
        sliders = {1: [ex.kernel_w], 2: [ex.kernel_h, ex.kernel_w],
                   3: [ex.kernel_d, ex.kernel_h, ex.kernel_w]}[rank]
        assert [s.value for s in sliders] == list(expected[:rank])
        assert ex.filters.value == expected[-1]
        assert all(c.disabled for c in (*sliders, ex.filters, ex.rank, ex.preset))
        assert ex.kernel_h.tooltip.startswith("off: your kernel")
        assert_close(ex.computation.output, keras_output(ex), reduction_size=9)
    finally:
        ex.close()


def test_kernel_with_x_sets_the_groups_the_channels_imply():
    x = np.arange(24.0).reshape(6, 4)  # 1-D signal, 4 channels
    ex = ConvExplorer(rank=1, x=x, kernel=np.ones((3, 2, 2)))
    try:
        assert ex.groups.value == 2 and ex.groups.disabled
        assert ex.extras.groups == [(0, (0, 1)), (1, (2, 3))]
        assert_close(ex.computation.output, keras_output(ex), reduction_size=6)
    finally:
        ex.close()


def test_kernel_without_x_channels_follow_groups():
    ex = ConvExplorer(kernel=np.ones((3, 3, 1, 2)))
    try:
        assert ex.channels.value == 1 and ex.channels.disabled
        ex.groups.value = 2
        assert ex.channels.value == 2 and ex.computation.groups == 2
        assert all_badges_ok(ex)
    finally:
        ex.close()


@pytest.mark.parametrize("kernel, error, words", [
    (np.ones((3,)), ValueError, "kernel must have 2 axes"),
    (np.ones((3, 3, 1)), ValueError, "kernel must have 2 axes"),
    (np.ones((3, 0)), ValueError, "kernel must have at least one weight"),
    (np.ones((3, 3, 0, 1)), ValueError, "kernel must have at least one weight"),
    ([[1.0, np.nan], [0.0, 1.0]], ValueError, "kernel must hold finite weights"),
    ([[1.0, np.inf], [0.0, 1.0]], ValueError, "kernel must hold finite weights"),
    ([[1e300, 0.0], [0.0, 1.0]], ValueError, "kernel must hold weights float32 can represent"),
    (np.float64(2.0), ValueError, "kernel must have 2 axes"),
    ([["a", "b"]], TypeError, "kernel must be an array of real numbers"),
    (np.ones((2, 2), complex), TypeError, "kernel must be an array of real numbers"),
    (np.ones((2, 2), bool), TypeError, "kernel must be an array of real numbers"),
    ([[1, 2], [3]], TypeError, "kernel must be an array of real numbers"),
])
def test_bad_kernel_argument_is_refused_naming_kernel(kernel, error, words):
    before = n_widgets()
    with pytest.raises(error, match=words):
        ConvExplorer(kernel=kernel)
    assert n_widgets() == before  # refused before any widget was made


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(operation="conv"), ValueError, "`operation` must be one of"),
    (dict(groups=0), ValueError, "`groups` must be an integer from 1 to 4"),
    (dict(groups=2.0), TypeError, "`groups` must be an integer"),
    (dict(rank=4), ValueError, "`rank` must be one of"),
])
def test_bad_new_arguments_are_refused_naming_them(kwargs, error, words):
    before = n_widgets()
    with pytest.raises(error, match=words):
        ConvExplorer(**kwargs)
    assert n_widgets() == before


def test_kernel_whose_channels_do_not_divide_x_is_refused():
    with pytest.raises(ValueError, match=r"kernel has 2 input channel\(s\) per group"):
        ConvExplorer(x=np.ones((5, 5, 3)), kernel=np.ones((3, 3, 2, 1)))


def test_check_kernel_accepts_integers_as_float32():
    kernel = check_kernel(np.arange(4).reshape(2, 2), 2)
    assert kernel.dtype == np.float32 and kernel.shape == (2, 2, 1, 1)


def test_editing_a_weight_recomputes_through_convkit():
    ex = ConvExplorer(channels=2, filters=2)
    try:
        ex.filter_index.value = 1
        ex.weight_cell.value = (1, 2, 1)  # row 1, col 2, channel 1 of filter 1
        renders = ex.render_count
        ex.weight.value = 5.0
        assert ex.render_count == renders + 1  # one render per edit
        assert ex.kernel_array[1, 2, 1, 1] == 5.0
        assert ex.extras.kernel_panes[0].outline == [(1, 2)]
        assert "selected weight outlined" in ex.extras.kernel_panes[0].title
        assert_close(ex.computation.output, keras_output(ex), reduction_size=18)
        # the edit survives a change that keeps the kernel's shape, and a filter switch
        ex.stride_h.value = 2
        ex.filter_index.value = 0
        assert ex.kernel_array[1, 2, 1, 1] == 5.0
        assert ex.weight.value == float(ex.kernel_array[1, 2, 1, 0])
        ex.reset_kernel.click()
        np.testing.assert_array_equal(ex.kernel_array, default_kernel((3, 3), 2, 2, seed=0))
    finally:
        ex.close()


def test_editing_a_weight_of_a_user_kernel():
    ex = ConvExplorer(kernel=np.zeros((2, 2)), size=3)
    try:
        assert np.all(ex.computation.output == 1.0)  # zeros + bias 1
        ex.weight_cell.value = (0, 0, 0)
        ex.weight.value = 2.0
        # y = 2·x[i, j] + 1 with the ramp 1..9
        ramp = np.arange(1.0, 10.0).reshape(3, 3)
        np.testing.assert_array_equal(ex.computation.output[..., 0], 2 * ramp[:2, :2] + 1)
    finally:
        ex.close()


def test_non_finite_weight_is_refused_with_a_banner():
    ex = ConvExplorer()
    try:
        before = ex.kernel_array.copy()
        ex.weight.value = float("nan")
        assert "value must be a finite number" in ex.toolbar.banner.value
        np.testing.assert_array_equal(ex.kernel_array, before)
        with pytest.raises(ValueError, match="value must be a finite number"):
            ex.edit_weight((0, 0, 0, 0), float("inf"))
        ex.weight.value = 1e300
        assert "value must fit float32" in ex.toolbar.banner.value
        np.testing.assert_array_equal(ex.kernel_array, before)
        with pytest.raises(ValueError, match="index must point into the kernel"):
            ex.edit_weight((3, 0, 0, 0), 1.0)
        ex.edit_weight((0, 0, 0, 0), 4.0)
        assert "finite" not in ex.toolbar.banner.value and ex.kernel_array[0, 0, 0, 0] == 4
    finally:
        ex.close()


# ---- (b) convolution vs cross-correlation ----

def test_convolution_is_numpy_convolve_and_shows_the_flipped_kernel():
    x = np.array([1.0, 3.0, -2.0, 4.0, 0.0, 5.0, 2.0])
    k = np.array([1.0, 2.0, -1.0])
    ex = ConvExplorer(rank=1, x=x, kernel=k, operation="convolution", use_bias=False)
    try:
        # a true convolution by NumPy (not by convkit)
        np.testing.assert_allclose(ex.computation.output[:, 0], np.convolve(x, k, "valid"))
        typed, flipped = ex.extras.kernel_panes
        np.testing.assert_array_equal(typed.values, k)
        np.testing.assert_array_equal(flipped.values, k[::-1])
        assert "flipped" in flipped.title
        assert "(convolution: the flipped kernel slides)" in ex._scene(0).caption
        assert any("Keras's Conv layers compute the cross-correlation" in s
                   for s in ex.computation.sentences())
        ex.operation.value = "cross-correlation"
        np.testing.assert_allclose(ex.computation.output[:, 0], np.correlate(x, k, "valid"))
        assert len(ex.extras.kernel_panes) == 1
    finally:
        ex.close()


def test_convolution_2d_is_the_correlation_with_the_flipped_kernel():
    ex = ConvExplorer(channels=2, filters=2, operation="convolution", size=6)
    try:
        kernel = np.flip(ex.kernel_array, axis=(0, 1))
        expected = convkit.ops.conv(ex.computation.x[None], kernel,
                                    bias=ex.computation.bias,
                                    data_format="channels_last")[0]
        np.testing.assert_array_equal(ex.computation.output, expected)
        assert all_badges_ok(ex)
    finally:
        ex.close()


def test_convolution_code_line_runs_and_reproduces_the_output():
    ex = ConvExplorer(operation="convolution", padding="full", size=4)
    try:
        code = ex.computation.code()
        assert "np.flip(kernel, axis=(0, 1))" in code["convkit"]
        space = {"convkit": convkit, "np": np, "x": ex.computation.x[None],
                 "kernel": ex.kernel_array, "bias": ex.computation.bias}
        exec(code["convkit"], space)  # noqa: S102 — the explorer's own code line under test
        np.testing.assert_array_equal(space["y"][0], ex.computation.output)
    finally:
        ex.close()


# ---- (c) multi-channel ----

def test_sigma_line_lists_every_channel_partial_sum_and_adds_up():
    ex = ConvExplorer(channels=3, filters=2, size=5)
    try:
        ex.toolbar.step.value = 4
        ex.filter_index.value = 1
        scene = ex._scene(4)
        line = ex.extras.sigma_line
        for c in range(3):
            assert f"ch{c} " in line
        total = scene.partial_sums.sum() + scene.bias[1]
        assert_close(total, scene.value, reduction_size=27)
        assert line.endswith(f"= {scene.value:g}") or f"= {int(scene.value)}" in line
        # all filters side by side, each the op's output of that filter
        assert [p.title.split(" (")[0] for p in ex.extras.filter_panes] == [
            "OUTPUT filter 0", "OUTPUT filter 1"]
        assert "(shown above)" in ex.extras.filter_panes[1].title
        for g, pane in enumerate(ex.extras.filter_panes):
            np.testing.assert_array_equal(pane.values, ex.computation.output[..., g])
            assert pane.current == [scene.position]
        titles = [t.text for t in ET.fromstring(ex.extras_view.value).iter(f"{SVG}text")]
        assert "OUTPUT filter 0" in titles
    finally:
        ex.close()


# ---- (d) groups ----

def test_groups_picture_says_which_channels_each_filter_reads():
    ex = ConvExplorer(channels=4, filters=4, groups=2)
    try:
        assert ex.extras.group_lines == [
            "filter 0 reads input channel(s) 0, 1", "filter 1 reads input channel(s) 0, 1",
            "filter 2 reads input channel(s) 2, 3", "filter 3 reads input channel(s) 2, 3"]
        assert ex.kernel_array.shape == (3, 3, 2, 4)  # C // groups channels per filter
        ex.filter_index.value = 3
        scene = ex._scene(ex.toolbar.step.value)
        assert scene.channels_seen == (2, 3)
        assert scene.partial_sums[0] == 0 and scene.partial_sums[1] == 0
        assert "channels 0, 1 are another group's: not read" in ex.extras.sigma_line
        assert "filter 3 reads channels 2–3 only (groups=2)" in scene.caption
        root = ET.fromstring(ex.extras_view.value)
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert "filter 3 ◀ shown" in texts and "INPUT ch3" in texts
        # one arrow per (filter, channel read) pair: 4 filters × 2 channels
        assert sum(1 for _ in root.iter(f"{SVG}line")) >= 8
        assert any("groups=2" in s for s in ex.computation.sentences())
        assert "groups=2" in ex.computation.code()["keras"]
    finally:
        ex.close()


def test_groups_the_layer_refuses_show_its_message():
    ex = ConvExplorer(channels=3, filters=3)
    try:
        ex.groups.value = 2
        assert ex.computation is None
        assert "evenly divisible by the number of groups" in ex.toolbar.banner.value
        assert ex.badges.value == "" and ex.extras_view.value == ""
        ex.groups.value = 3
        assert ex.computation is not None and all_badges_ok(ex)
    finally:
        ex.close()


# ---- (e) Conv3D as depth slices ----

def test_conv3d_draws_depth_slices_with_the_window_on_the_slices_it_spans():
    ex = ConvExplorer(rank=3, size=4, kernel_size=2, channels=1)
    try:
        ex.toolbar.step.value = 5  # position (0, 1, 2) of the 3×3×3 output
        scene = ex._scene(5)
        assert scene.position == (0, 1, 2)
        root = ET.fromstring(ex.view.value)
        titles = [t.text for t in root.iter(f"{SVG}text")]
        assert [t for t in titles if t.startswith("INPUT depth")] == [
            "INPUT depth 0 ◆ window", "INPUT depth 1 ◆ window", "INPUT depth 2",
            "INPUT depth 3"]
        windows = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "window"]
        assert len(windows) == 2 * 2 * 2  # 2×2 taps on each of the 2 slices the window spans
        currents = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "current"]
        assert len(currents) == 1
        assert "OUTPUT depth 0 ◆ this step" in titles
        assert root.get("aria-label") == scene.caption
        assert "depths 0–1" in scene.caption
        assert ex.depth.layout.display is None and ex.kernel_d.layout.display is None
        assert ex.computation.shape_formula()[0].startswith("depth:")
        # the typed kernel's depth slices sit left to right: weight (1, 0, 1) is column 2 + 1
        ex.weight_cell.value = (1, 0, 1, 0)
        assert ex.extras.kernel_panes[0].outline == [(0, 3)]
        assert ex.extras.kernel_panes[0].values.shape == (2, 4)
        assert "depth slices left to right" in ex.extras.kernel_panes[0].title
    finally:
        ex.close()


def test_conv3d_inspect_and_export_use_the_depth_slices(tmp_path):
    ex = ConvExplorer(rank=3, size=3, kernel_size=2)
    try:
        ex.inspect.value = "input → outputs"
        ex.inspect_depth.value = 1
        ex.inspect_row.value = 1
        ex.inspect_col.value = 1
        root = ET.fromstring(ex.view.value)
        assert [r for r in root.iter(f"{SVG}rect") if r.get("class") == "inspect"]
        assert ex.to_svg(0).startswith("<svg")
        assert ex.frame(0).ndim == 3
        path = ex.to_gif(tmp_path / "conv3d.gif", steps=[0, 1])
        assert path.exists()
        ex.rank.value = 2
        assert ex.depth.layout.display == "none"
    finally:
        ex.close()


# ---- badges that fail when a picture is wrong ----

def test_badges_turn_red_when_a_picture_is_corrupted():
    computation = ConvComputation(ConvConfig(), np.arange(100.0).reshape(5, 5, 4),
                                  kernel=np.ones((3, 3, 2, 2)), flip=True)
    scene = computation.scene(2, 1)
    good = conv_extras(computation, scene, layer_output(computation),
                       dense_output(computation))
    assert [b.ok for b in good.badges] == [True, True, True, True]
    # a wrong partial sum (the Σ line's picture)
    scene.partial_sums = scene.partial_sums + np.array([0, 0, 1.0, 0])
    bad = conv_extras(computation, scene, layer_output(computation),
                      dense_output(computation))
    assert not bad.badges[0].ok and "DIFFERS" in bad.badges[0].text
    # a kernel drawn unflipped while a convolution is claimed
    scene = computation.scene(2, 1)
    scene.typed_kernel = computation.kernel
    scene.typed_kernel[0, 0, 0, 1] += 3
    assert convolution_by_definition(scene) != scene.value
    assert not conv_extras(computation, scene).badges[1].ok
    # an output that is not what the layer or the dense kernel compute
    scene = computation.scene(2, 1)
    corrupted = computation.output.copy()
    corrupted[0, 0, 0] += 1
    scene.output = corrupted
    badges = conv_extras(computation, scene, layer_output(computation),
                         dense_output(computation)).badges
    assert [b.ok for b in badges[2:]] == [False, False]


def test_a_corrupted_op_output_shows_a_red_badge_in_the_widget():
    ex = ConvExplorer(channels=2, filters=2)
    try:
        ex._layer_out = ex._layer_out + 1  # as if the picture and the layer disagreed
        ex.toolbar.step.value = 1
        texts = badge_texts(ex)
        assert any("DIFFERS from convkit.layers.Conv2D" in t for t in texts)
        assert "#B34700" in ex.badges.value
    finally:
        ex.close()


# ---- keyboard, labels and leaks ----

def test_new_controls_are_keyboard_controls_with_labels_and_tooltips():
    ex = ConvExplorer(channels=2)
    try:
        import ipywidgets as W

        assert isinstance(ex.weight_cell, W.Dropdown)  # arrow keys pick a weight
        assert isinstance(ex.weight, W.FloatText)
        assert isinstance(ex.operation, W.ToggleButtons)
        for c in (ex.weight_cell, ex.weight, ex.operation, ex.groups, ex.depth, ex.kernel_d,
                  ex.inspect_depth, ex.reset_kernel):
            assert c.description and c.tooltip
        # the step slider (keyboard: arrows) still steps and renders once per move
        renders = ex.render_count
        ex.toolbar.step.value = 3
        assert ex.render_count == renders + 1
        assert "Step 4 of 9" in ex.toolbar.caption.value
        labels = [w.description for w in ex._owned if getattr(w, "description", "")]
        assert len(labels) == len(set(labels))
    finally:
        ex.close()


def test_no_widget_leaks_over_edits_and_after_close(widget_count):
    start = widget_count()
    ex = ConvExplorer(channels=2, filters=2)
    made = widget_count()
    for k in range(20):
        ex.weight.value = float(k % 3)
        ex.operation.value = ("convolution", "cross-correlation")[k % 2]
        ex.kernel_h.value = 2 + k % 2
        ex.rank.value = (2, 3)[k % 2]
    assert widget_count() == made
    ex.close()
    assert widget_count() == start


# ---- predict-then-reveal keeps working ----

def test_quiz_hides_the_extras_and_asks_conv3d_values():
    ex = ConvExplorer(rank=3, size=3, kernel_size=2, quiz=True)
    try:
        # every output value and the Σ line are in the extras: hidden until answered
        assert ex.extras_view.layout.display == "none" and ex.badges.layout.display == "none"
        ex.quiz.kind.value = "output value"
        assert " | " in ex.quiz.question.prompt  # the window's two depth slices
        assert ex.quiz.submit(str(ex._scene(0).value)) is True
        assert ex.extras_view.layout.display is None and ex.badges.layout.display is None
    finally:
        ex.close()


def test_a_large_user_kernel_widens_its_controls_and_keeps_its_shape():
    ex = ConvExplorer(kernel=np.ones((7, 2, 1, 6)), size=9)
    try:
        assert (ex.kernel_h.value, ex.kernel_h.max, ex.filters.value) == (7, 7, 6)
        assert ex.filter_index.max == 5
        ex.kernel_h.value = 3  # disabled in the widget; set from code it changes nothing
        assert ex.computation.config.kernel_size == (7, 2)
        assert all_badges_ok(ex)
    finally:
        ex.close()
