"""PoolingExplorer: every window's max/average and where dy goes, against convkit's layers.

T0 (scene, no ipywidgets) and T1 (headless widget). The reference is a real convkit pooling
layer's forward and ``layer.backward``; convkit's pooling itself is checked against Keras in
the pooling layer tests.
"""

import itertools

import numpy as np
import pytest
from convkit.widgets import PoolingExplorer
from convkit.widgets.scene.common import SceneError
from convkit.widgets.scene.pooling import KINDS, PoolingComputation, PoolingConfig
from hypothesis import given, settings
from hypothesis import strategies as st

from convkit import layers
from tests.support.svg import class_rects, svg_root
from tests.widgets.conftest import n_widgets
from tests.widgets.test_widgets_accessibility import (
    test_high_contrast_toggle_rerenders_once_bigger_and_bolder as high_contrast_rule,
)
from tests.widgets.test_widgets_explorers import (
    test_no_widget_leak_over_100_updates_and_close_releases_all as leak_rule,
)


@st.composite
def pooling_cases(draw, max_size=7):
    rank = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(KINDS))
    padding = draw(st.sampled_from(["valid", "same"]))
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    n = draw(st.integers(k if padding == "valid" else 1, max(k, max_size)))
    return rank, kind, padding, k, s, n, draw(st.integers(0, 999))


def _check(case):
    rank, kind, padding, k, s, n, seed = case
    # small integers in −2..2: ties are common, which is the point
    x = np.random.default_rng(seed).integers(-2, 3, size=(n,) * rank).astype(np.float32)
    c = PoolingComputation(PoolingConfig(rank=rank, kind=kind, kernel_size=k, strides=s,
                                         padding=padding), x, seed=seed)
    name = c.config.layer_name()
    layer = getattr(layers, name)() if kind.startswith("global") else getattr(layers, name)(
        pool_size=k, strides=s, padding=padding)
    y = np.asarray(layer(x[None, ..., None]))
    dx, _ = layer.backward(x[None, ..., None], c.output_gradient.reshape(y.shape))
    np.testing.assert_array_equal(c.output, y[0])
    np.testing.assert_array_equal(c.input_gradient, np.asarray(dx)[0])
    np.testing.assert_allclose(c.forward.reshape(-1), y.reshape(-1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(c.backward, np.asarray(dx)[0, ..., 0], rtol=1e-6, atol=1e-6)
    assert all(b.ok for b in c.badges), [b.text for b in c.badges]
    for step in range(c.n_steps):
        scene = c.scene(step)
        assert scene.value == pytest.approx(float(y.reshape(-1)[step]), rel=1e-6, abs=1e-6)
        assert scene.count == len(c.window(scene.position)) >= 1
    return c


@given(pooling_cases())
@settings(max_examples=25, deadline=None)
def test_pictures_equal_the_layers_forward_and_backward(case):
    _check(case)


@pytest.mark.slow
@given(pooling_cases(max_size=11))
@settings(max_examples=300, deadline=None)
def test_pictures_equal_the_layers_forward_and_backward_sweep(case):
    _check(case)


def test_same_padding_split_extra_cell_after_and_not_counted():
    # n = 4, k = 3, s = 2: ⌈4/2⌉ = 2 outputs, total padding 1 → 0 before, 1 after (Keras)
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    c = PoolingComputation(PoolingConfig(kind="average", kernel_size=3, strides=2,
                                         padding="same"), x)
    assert c.pads == ((0, 1), (0, 1))
    last = c.scene(3)  # the bottom-right window holds 2×2 real cells and 5 padding cells
    assert last.count == 4
    assert last.value == pytest.approx(np.mean([10, 11, 14, 15]))
    assert "/ 4 =" in last.formula
    assert any("0 before, 1 after" in s for s in last.sentences)
    # the hatched padding row/column is drawn
    assert c.scene(0).panes[0].hatch.sum() == 5 * 5 - 16


def test_max_ties_first_in_window_order_global_max_splits_evenly():
    x = np.array([[3, 1], [3, 3]], dtype=np.float32)
    windowed = PoolingComputation(PoolingConfig(kind="max", kernel_size=2, strides=2), x,
                                  output_gradient=[6.0])
    assert windowed.scene(0).chosen == (0, 0)
    np.testing.assert_array_equal(windowed.backward, [[6, 0], [0, 0]])
    glob = PoolingComputation(PoolingConfig(kind="global max"), x, output_gradient=[6.0])
    np.testing.assert_array_equal(glob.backward, [[2, 0], [2, 2]])
    assert "split evenly between the 3 tied maxima" in glob.scene(0).caption
    assert all(b.ok for b in windowed.badges + glob.badges)


@pytest.mark.parametrize("corrupt, failing", [("x", 0), ("output_gradient", 1)])
def test_badges_fail_when_one_input_of_the_pictures_is_corrupted(corrupt, failing):
    c = PoolingComputation(PoolingConfig(kind="max", kernel_size=2, strides=1),
                           np.arange(9, dtype=np.float32).reshape(3, 3))
    assert all(b.ok for b in c.badges)
    array = getattr(c, corrupt)
    array.flat[-1] += 5.0   # the layer's numbers stay; the pictures are rebuilt from this
    c.build_views()
    assert not c.badges[failing].ok and "DIFFERS" in c.badges[failing].text
    assert c.badges[1 - failing].ok


def test_explorer_shows_a_failing_badge_in_the_readout():
    ex = PoolingExplorer(kind="average", size=4)
    try:
        ex.computation.x.flat[0] += 1.0
        ex.computation.build_views()
        ex.toolbar.step.value = 1
        assert "DIFFERS" in ex.badges.value and "✗" in ex.view.value
    finally:
        ex.close()


def test_bad_settings_become_a_banner_and_bad_arrays_a_clear_error():
    ex = PoolingExplorer(size=2, pool_size=2)
    try:
        ex.pool.value = 3  # a 3×3 window on a 2×2 input with valid padding
        assert "Not possible" in ex.toolbar.banner.value and ex.computation is None
        ex.padding.value = "same"
        assert ex.toolbar.banner.layout.display == "none" and ex.computation is not None
    finally:
        ex.close()
    with pytest.raises(ValueError, match="`kind`"):
        PoolingExplorer(kind="median")
    with pytest.raises(ValueError, match="`padding`"):
        PoolingExplorer(padding="full")
    with pytest.raises(SceneError, match="NaN"):
        PoolingComputation(PoolingConfig(), np.array([[np.nan, 1.0], [0.0, 1.0]]))
    with pytest.raises(SceneError, match="rank"):
        PoolingComputation(PoolingConfig(rank=2), np.zeros((2, 2, 2, 2)))
    with pytest.raises(SceneError, match="output_gradient"):
        PoolingComputation(PoolingConfig(kernel_size=2, strides=2), np.zeros((4, 4)),
                           output_gradient=[1.0, 2.0])


SETTINGS = [dict(), dict(kind="average"), dict(kind="global max"), dict(kind="global average"),
            dict(rank=1, size=9, pool_size=3, strides=2), dict(rank=1, kind="average",
                                                                padding="same", size=7),
            dict(pool_size=3, strides=2, padding="same", size=7),
            dict(kind="average", pool_size=3, strides=1, padding="same", size=5),
            dict(source="photo"), dict(source="photo", rank=1, kind="global average"),
            dict(x=np.arange(12.0).reshape(3, 4), pool_size=2, strides=1),
            dict(size=1, pool_size=1, strides=1), dict(seed=7, pool_size=4, strides=3,
                                                       padding="same", size=10)]


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_every_number_on_screen_is_the_layers(kwargs):
    ex = PoolingExplorer(**kwargs)
    try:
        c = ex.computation
        assert all(b.ok for b in c.badges), [b.text for b in c.badges]
        assert ex.badges.value.count("✓") == 2
        for step in (0, ex.toolbar.step.max):
            ex.toolbar.step.value = step
            scene = ex._scene(step)
            assert scene.value == pytest.approx(float(c.output.reshape(-1)[step]), rel=1e-6)
            assert svg_root(ex.view.value).get("aria-label") == scene.caption
    finally:
        ex.close()


def test_one_render_per_action_and_keyboard_controls():
    ex = PoolingExplorer(size=4, pool_size=2, strides=1)
    try:
        view, count = ex.view, ex.render_count
        ex.toolbar.step.value = 4  # arrow key on the focused step slider
        assert ex.render_count == count + 1 and ex.view is view
        assert "Step 5 of 9" in svg_root(ex.view.value).get("aria-label")
        assert len(class_rects(svg_root(ex.view.value), "window")) == 4
        ex.kind.value = "average"   # dropdown by keyboard
        assert ex.render_count == count + 2
        ex.padding.value = "same"
        assert ex.render_count == count + 3 and ex.toolbar.step.max == 15
        ex.kind.value = "global max"  # the window settings hide; one step
        assert ex.pool.layout.display == "none" and ex.toolbar.step.max == 0
    finally:
        ex.close()


def test_quiz_output_value_and_shape_right_and_wrong():
    ex = PoolingExplorer(size=5, pool_size=2, strides=2, padding="same", quiz=True)
    try:
        q = ex.quiz
        assert ex.view.layout.display == "none" and "Predict" in q.prompt.value
        assert q.question.answer == float(ex.computation.output[0, 0, 0])
        assert q.submit(str(q.question.answer + 1)) is False
        assert "Not quite" in q.feedback.value and ex.view.layout.display is None
        ex.toolbar.step.value = 8   # bottom-right: a window with padding, shown as "pad"
        assert "pad" in q.prompt.value
        assert q.submit(f"{q.question.answer:g}") is True
        q.kind.value = "output shape"
        assert q.question.answer == (3, 3)
        assert q.submit("3x3") is True and "⌈5/2⌉ = 3" in q.feedback.value
        assert q.score == [2, 3]
        q.new_exercise()  # reproducible from the seed
        first = q.question.prompt
        again = PoolingExplorer(quiz=True)
        try:
            again.quiz.kind.value = "output shape"
            again.quiz.new_exercise()
            assert again.quiz.question.prompt == first
        finally:
            again.close()
    finally:
        ex.close()


@pytest.mark.parametrize("rule", [leak_rule, high_contrast_rule])
def test_house_rules(rule):
    if rule is leak_rule:
        rule(PoolingExplorer, n_widgets)
    else:
        rule(PoolingExplorer)


def test_labels_are_unique_and_explained():
    ex = PoolingExplorer()
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


def test_one_pixel_and_one_cell_windows():
    for rank, kind in itertools.product((1, 2), KINDS):
        c = PoolingComputation(PoolingConfig(rank=rank, kind=kind, kernel_size=1, strides=1),
                               np.full((1,) * rank, 2.0))
        assert c.n_steps == 1 and c.scene(0).value == 2.0 and all(b.ok for b in c.badges)


@pytest.mark.parametrize("kind, routed", [("max", [[6, 0], [0, 0]]),
                                          ("global max", [[2, 0], [2, 2]])])
def test_tie_rule_shown_is_keras_jax_backends(kind, routed):
    """The routing the explorer draws on ties is what ``jax.vjp`` of the Keras layer gives."""
    import jax

    from tests.support.keras_oracle import keras

    x = np.array([[3, 1], [3, 3]], dtype=np.float32)
    config = PoolingConfig(kind=kind, kernel_size=2, strides=2)
    c = PoolingComputation(config, x, output_gradient=[6.0])
    layer = keras.layers.MaxPooling2D(2) if kind == "max" else keras.layers.GlobalMaxPooling2D()
    y, vjp = jax.vjp(lambda v: layer(v), x[None, :, :, None])
    (dx,) = vjp(np.full(y.shape, 6.0, dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(dx)[0, :, :, 0], routed)
    np.testing.assert_array_equal(c.backward, routed)


def test_same_average_divisor_shown_is_keras_jax_backends():
    from tests.support.keras_oracle import keras

    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    c = PoolingComputation(PoolingConfig(kind="average", kernel_size=3, strides=2,
                                         padding="same"), x)
    y = np.asarray(keras.layers.AveragePooling2D(3, strides=2, padding="same")(
        x[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(c.forward, y, rtol=1e-6)
    assert [c.counts[o] for o in sorted(c.counts)] == [9, 6, 6, 4]
