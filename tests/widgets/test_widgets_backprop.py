"""BackpropExplorer: the three pictures of a conv's backward pass against ``layer.backward``.

T0 (scene, no ipywidgets) and T1 (headless widget). The reference is a real convkit Conv1D /
Conv2D; convkit's backward itself is checked against Keras in tests/test_grad_conv.py.
"""

import itertools

import numpy as np
import pytest
from convkit.widgets import BackpropExplorer
from convkit.widgets.scene.backprop import VIEWS, BackpropComputation, BackpropConfig
from convkit.widgets.scene.common import SceneError
from hypothesis import given, settings
from hypothesis import strategies as st

from convkit import layers, ops
from tests.support.svg import SVG, class_rects, svg_root
from tests.widgets.conftest import n_widgets
from tests.widgets.test_widgets_accessibility import (
    test_high_contrast_toggle_rerenders_once_bigger_and_bolder as high_contrast_rule,
)
from tests.widgets.test_widgets_explorers import (
    test_no_widget_leak_over_100_updates_and_close_releases_all as leak_rule,
)


@st.composite
def backprop_cases(draw, max_size=7):
    """A conv layer Keras accepts (stride or dilation above 1, never both) with ≥ 1 output."""
    rank = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    k = draw(st.integers(1, 4))
    dilated = draw(st.booleans())
    s = 1 if dilated else draw(st.integers(1, 3))
    d = draw(st.integers(2, 3)) if dilated else 1
    span = (k - 1) * d + 1
    n = draw(st.integers(span if padding == "valid" else 1, max(span, max_size)))
    channels = draw(st.integers(1, 2))
    filters = draw(st.integers(1, 2))
    return rank, padding, k, s, d, n, channels, filters, draw(st.integers(0, 999))


def _computation(case):
    rank, padding, k, s, d, n, C, F, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 4, size=(n,) * rank + (C,)).astype(np.float32)
    kernel = rng.integers(-2, 3, size=(k,) * rank + (C, F)).astype(np.float32)
    config = BackpropConfig(rank=rank, kernel_size=k, strides=s, dilation_rate=d,
                            padding=padding)
    return BackpropComputation(config, x, kernel, seed=seed), x, kernel


def _check_against_layer(case):
    c, x, kernel = _computation(case)
    rank, padding, k, s, d = case[:5]
    # the reference: an independent layer with the same weights
    cls = layers.Conv1D if rank == 1 else layers.Conv2D
    layer = cls(kernel.shape[-1], k, strides=s, padding=padding, dilation_rate=d,
                use_bias=False)
    layer.build((1,) + x.shape)
    layer.set_weights([kernel])
    dx, (dw,) = layer.backward(x[None], c.output_gradient[None])
    np.testing.assert_array_equal(c.input_gradient, dx[0])
    np.testing.assert_array_equal(c.weight_gradient, dw)
    # every picture equals it (small integers: exact in float32)
    np.testing.assert_allclose(c.scatter, dx[0], atol=1e-5)
    np.testing.assert_allclose(c.flipped, dx[0], atol=1e-5)
    np.testing.assert_allclose(c.correlation, dw, atol=1e-5)
    assert all(b.ok for b in c.badges), [b.text for b in c.badges]
    # the quiz's explanation: dx[cell] = Σ dy·w over the windows that read it (one filter,
    # one channel: the contributions are listed for filter 0, channel 0)
    if kernel.shape[-2:] == (1, 1):
        for cell in itertools.product(*(range(m) for m in c.in_spatial)):
            total = sum(g * w for _, _, g, w in c.contributions(cell))
            assert total == float(dx[0][cell + (0,)])
    # steps: output cells, input cells, kernel taps
    for view, count in zip(VIEWS, (np.prod(c.out_spatial), np.prod(c.in_spatial),
                                   np.prod(c.config.kernel_size)), strict=True):
        c.with_view(view)
        assert c.n_steps == count
        last = c.scene(c.n_steps - 1)
        first = c.scene(0)
        assert first.step == 0 and last.step == c.n_steps - 1
    # the scatter view's last partial is the whole padded buffer; padding is dropped
    c.with_view("scatter")
    final = c.scene(c.n_steps - 1).panes[3].values
    interior = final[tuple(slice(b, b + m) for (b, _), m in zip(c.pads, c.in_spatial,
                                                               strict=True))]
    np.testing.assert_allclose(interior, dx[0][..., 0], atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(backprop_cases())
def test_pictures_equal_layer_backward(case):
    _check_against_layer(case)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(backprop_cases(max_size=10))
def test_pictures_equal_layer_backward_sweep(case):
    _check_against_layer(case)


def test_contributions_sum_to_the_input_gradient_one_filter():
    config = BackpropConfig(kernel_size=3, strides=2, padding="same")
    x = np.arange(36, dtype=np.float32).reshape(6, 6) % 5 - 2
    c = BackpropComputation(config, x, seed=4)
    for cell in itertools.product(range(6), range(6)):
        total = sum(g * w for _, _, g, w in c.contributions(cell))
        assert total == float(c.input_gradient[cell + (0,)])
    assert c.input_gradient_formula((5, 5)).endswith(f"= {c.input_gradient[5, 5, 0]:g}")


def test_flipped_view_is_ops_conv_transpose_of_dy():
    # valid, stride 2, 7 → 3: the transposed conv gives 7 back with output_padding 0
    config = BackpropConfig(kernel_size=3, strides=2)
    x = np.ones((7, 7), np.float32)
    c = BackpropComputation(config, x, seed=1)
    # conv_transpose's kernel is (k…, out, in): the forward kernel (k…, C, F) read backwards
    y = ops.conv_transpose(c.output_gradient[None], c.kernel, strides=2, padding="valid",
                           output_padding=0, data_format="channels_last")[0]
    np.testing.assert_allclose(c.flipped, y, atol=1e-5)


@pytest.mark.parametrize("corrupt, failing", [
    ("output_gradient", {"scatter view", "flipped-kernel view", "correlation x ⋆ dy"}),
    ("kernel", {"scatter view", "flipped-kernel view"}),
    ("padded", {"correlation x ⋆ dy"}),
])
def test_badges_fail_when_one_input_of_the_pictures_is_corrupted(corrupt, failing):
    c = BackpropComputation(BackpropConfig(kernel_size=3, strides=2, padding="same"),
                            np.arange(25, dtype=np.float32).reshape(5, 5) % 4, seed=2)
    assert all(b.ok for b in c.badges)
    array = getattr(c, corrupt)
    index = {"output_gradient": (1, 1, 0), "kernel": (1, 1, 0, 0), "padded": (2, 2, 0)}[corrupt]
    array[index] += 1.0  # one cell of what the pictures are drawn from, not the layer's
    c.build_views()
    assert {b.name for b in c.badges if not b.ok} == failing
    assert all("DIFFERS" in b.text and "✗" in b.text for b in c.badges if not b.ok)


def test_explorer_shows_a_failing_badge_in_the_picture_and_the_readout():
    ex = BackpropExplorer(size=5, kernel_size=3)
    try:
        assert ex.badges.value.count("✓") == 3 and "✗" not in ex.view.value
        ex.computation.output_gradient[0, 0, 0] += 3.0
        ex.computation.build_views()
        ex._render()
        assert "DIFFERS" in ex.view.value
        assert ex.badges.value.count("✗") == 3
    finally:
        ex.close()


def test_bad_settings_become_a_banner_and_bad_arrays_a_clear_error():
    ex = BackpropExplorer(size=3, kernel_size=5)  # valid: the window never fits
    try:
        assert ex.computation is None and "Not possible" in ex.toolbar.banner.value
        assert ex.view.value == "" and ex.badges.value == ""
        ex.padding.value = "same"
        assert ex.computation is not None and ex.toolbar.banner.value == ""
        ex.strides.value = 2
        ex.dilation.value = 2  # Keras's Conv layers: never both
        assert "never both" in ex.toolbar.banner.value
    finally:
        ex.close()
    config = BackpropConfig(kernel_size=2)
    with pytest.raises(SceneError, match="output_gradient"):
        BackpropComputation(config, np.ones((4, 4)), output_gradient=np.ones((2, 2)))
    with pytest.raises(SceneError, match="NaN"):
        BackpropComputation(config, np.ones((4, 4)), output_gradient=np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="view"):
        BackpropComputation(config, np.ones((4, 4)), view="sideways")
    with pytest.raises(SceneError, match="rank"):
        BackpropComputation(config, np.ones((2, 4, 4, 1)))
    with pytest.raises(SceneError, match="`x` holds NaN"):
        BackpropComputation(config, np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="kernel"):
        BackpropComputation(config, np.ones((4, 4)), kernel=np.ones((3, 3, 1, 1)))
    nan = BackpropExplorer(x=np.full((4, 4), np.inf))
    try:
        assert nan.computation is None and "finite numbers" in nan.toolbar.banner.value
    finally:
        nan.close()


SETTINGS = [
    {},
    {"strides": 2},
    {"strides": 2, "padding": "same"},
    {"size": 6, "strides": 3, "kernel_size": 2},
    {"dilation_rate": 2, "size": 7},
    {"dilation_rate": 2, "padding": "same", "size": 4},
    {"kernel_size": 1, "size": 3},
    {"size": 1, "kernel_size": 3, "padding": "same"},
    {"rank": 1, "size": 9, "strides": 2},
    {"rank": 1, "size": 8, "padding": "causal", "dilation_rate": 2, "kernel_size": 2},
    {"rank": 1, "size": 6, "padding": "same", "kernel_size": 4},
    {"output_gradient": "one-hot", "strides": 2},
    {"output_gradient": "ones", "padding": "same", "view": "weight gradient"},
]


def _tooltip_values(svg: str, prefix: str) -> list:
    """Sorted values of the cell tooltips ``<prefix>[…] = value`` of a picture."""
    values = []
    for title in svg_root(svg).iter(f"{SVG}title"):
        name, _, value = (title.text or "").partition(" = ")
        if name.startswith(prefix + "[") and value:
            values.append(float(value))
    return sorted(values)


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_every_number_on_screen_is_the_layers_backward(kwargs):
    ex = BackpropExplorer(**kwargs)
    try:
        c = ex.computation
        assert c is not None and all(b.ok for b in c.badges)
        dx = sorted(c.input_gradient[..., 0].ravel().tolist())
        dw = sorted(c.weight_gradient[..., 0, 0].ravel().tolist())
        dy = sorted(c.output_gradient[..., 0].ravel().tolist())
        expected = {"scatter": {"dx": sorted(dx + dx), "dy": dy},  # so far (last step) + final
                    "flipped kernel": {"dx": dx},
                    "weight gradient": {"dW": dw, "dy": dy}}
        for view in VIEWS:
            ex.view_mode.value = view
            assert ex.toolbar.step.max == c.n_steps - 1
            ex.toolbar.step.value = ex.toolbar.step.max  # every cell computed
            for prefix, values in expected[view].items():
                assert _tooltip_values(ex.view.value, prefix) == pytest.approx(values,
                                                                               abs=1e-5)
        # this step's number is the layer's
        last = ex._scene(c.n_steps - 1)
        assert last.value == pytest.approx(float(c.weight_gradient[last.position + (0, 0)]))
        ex.view_mode.value = "flipped kernel"
        last = ex._scene(c.n_steps - 1)
        assert last.value == pytest.approx(float(c.input_gradient[last.position + (0,)]))
    finally:
        ex.close()


def test_one_render_per_action_and_keyboard_controls():
    ex = BackpropExplorer(size=4, kernel_size=2)
    try:
        view = ex.view
        count = ex.render_count
        ex.toolbar.step.value = 2  # arrow key on the focused step slider
        assert ex.render_count == count + 1 and ex.view is view
        assert "Step 3 of 9" in svg_root(ex.view.value).get("aria-label")
        window = class_rects(svg_root(ex.view.value), "window")
        assert len(window) == 4  # dy(0, 2) sends to the 2×2 cells its window read
        ex.view_mode.value = "weight gradient"
        assert ex.render_count == count + 2 and ex.toolbar.step.max == 3
        ex.strides.value = 2
        assert ex.render_count == count + 3
        # editing one dy cell (BoundedIntText: typed, or arrow keys) changes the gradients
        before = ex.computation.weight_gradient.copy()
        ex.dy_cell.value = 1
        assert ex.render_count == count + 3  # selecting a cell only shows its value
        ex.dy_value.value = ex.dy_value.value + 5
        assert ex.render_count == count + 4
        assert ex.computation.output_gradient.flat[1] == ex.dy_value.value
        assert not np.array_equal(before, ex.computation.weight_gradient)
        assert all(b.ok for b in ex.computation.badges)
        ex.dy_source.value = "one-hot"
        ex.dy_cell.value = 2
        assert ex.computation.output_gradient.sum() == 1.0
        assert ex.computation.output_gradient.flat[2] == 1.0
    finally:
        ex.close()


def test_quiz_hides_the_picture_until_answered_and_explains():
    ex = BackpropExplorer(size=4, kernel_size=2, strides=2, quiz=True)
    try:
        q = ex.quiz
        assert ex.view.layout.display == "none" and "Predict" in q.prompt.value
        assert q.question.answer == float(ex.computation.input_gradient[0, 0, 0])
        assert q.submit(str(q.question.answer + 1)) is False
        assert "Not quite" in q.feedback.value and "dx(0, 0) = dy(0, 0)·K(0, 0)" in q.feedback.value
        assert ex.view.layout.display is None  # revealed
        ex.toolbar.step.value = 1  # a new picture: predict again
        assert ex.view.layout.display == "none"
        q.kind.value = "weight gradient"
        tap = np.unravel_index(1, (2, 2))
        assert q.question.answer == float(ex.computation.weight_gradient[tap + (0, 0)])
        assert q.submit(f"{q.question.answer:g}") is True
        assert "Right" in q.feedback.value and q.score == [1, 2]
    finally:
        ex.close()


@pytest.mark.parametrize("rule", [leak_rule, high_contrast_rule])
def test_house_rules(rule):
    if rule is leak_rule:
        rule(BackpropExplorer, n_widgets)
    else:
        rule(BackpropExplorer)


def test_caption_once_as_html_and_in_the_export():
    ex = BackpropExplorer()
    try:
        scene = ex._scene(ex.toolbar.step.value)
        root = svg_root(ex.view.value)
        assert root.get("aria-label") == scene.caption
        assert scene.caption not in [t.text for t in root.iter(f"{SVG}text")]
        assert ex.toolbar.caption.value.count(scene.caption) == 1
        exported = svg_root(ex.to_svg())
        assert scene.caption in [t.text for t in exported.iter(f"{SVG}text")]
        assert ex.frame(0).shape[2] == 3
    finally:
        ex.close()


def test_labels_are_unique_in_both_new_explorers():
    from convkit.widgets import ReceptiveFieldExplorer

    for cls in (BackpropExplorer, ReceptiveFieldExplorer):
        ex = cls()
        try:
            labels = [w.description for w in ex._owned if getattr(w, "description", "")]
            assert len(labels) == len(set(labels)), labels
            toolbar = {id(w) for w in (ex.toolbar.step, ex.toolbar.speed, ex.toolbar.play)}
            controls = [w for w in ex._owned if type(w).__name__ in (
                "IntSlider", "Dropdown", "ToggleButtons", "BoundedIntText", "Text")
                and id(w) not in toolbar]
            assert [w.description for w in controls if not w.tooltip] == []
        finally:
            ex.close()
