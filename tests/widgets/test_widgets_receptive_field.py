"""ReceptiveFieldExplorer: traced cells and the r/j/start formula against brute force.

The brute force perturbs every input cell of a ones-weight copy of the stack and runs
convkit's forward pass; a cell belongs to an output's receptive field iff that output moves.
"""

import itertools

import numpy as np
import pytest
from convkit.widgets import ReceptiveFieldExplorer
from convkit.widgets.explorers.receptive_field import PRESETS, build_stack, layer_kinds
from convkit.widgets.scene.common import SceneError
from convkit.widgets.scene.receptive_field import (
    ReceptiveFieldComputation,
    brute_force_dependencies,
    geometry_of,
    trace_axis,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from convkit import layers, models
from tests.support.svg import SVG, svg_root
from tests.widgets.conftest import n_widgets
from tests.widgets.test_widgets_accessibility import (
    test_high_contrast_toggle_rerenders_once_bigger_and_bolder as high_contrast_rule,
)
from tests.widgets.test_widgets_explorers import (
    test_no_widget_leak_over_100_updates_and_close_releases_all as leak_rule,
)


@st.composite
def stacks(draw, max_layers=3, max_size=12):
    """``(rank, size, specs)`` of a conv stack the Conv layers accept."""
    rank = draw(st.sampled_from([1, 2]))
    specs = []
    for _ in range(draw(st.integers(1, max_layers))):
        dilated = draw(st.booleans())
        specs.append({"kind": "conv", "k": draw(st.integers(1, 3)),
                      "s": 1 if dilated else draw(st.integers(1, 3)),
                      "d": draw(st.integers(2, 3)) if dilated else 1,
                      "padding": draw(st.sampled_from(
                          ["valid", "same"] + (["causal"] if rank == 1 else [])))})
    return rank, draw(st.integers(1, max_size)), specs


def _agrees_with_brute_force(rank, size, specs):
    stack = build_stack(rank, specs, size)
    try:
        c = ReceptiveFieldComputation(stack, (size,) * rank)
    except SceneError:
        return False  # the stack shrinks the map below one cell: nothing to trace
    brute = brute_force_dependencies(stack, (size,) * rank)
    for cell in itertools.product(*(range(m) for m in c.out_spatial)):
        expected = sorted(tuple(int(i) for i in row) for row in np.argwhere(brute[(...,) + cell]))
        assert sorted(c.input_cells(cell)) == expected, (cell, specs)
        assert c.badge(cell).ok
        # the span formula bounds the cells (an output may read padding only: no cells)
        for (a, b), axis_cells in zip(c.span(cell), zip(*expected, strict=True), strict=False):
            assert a <= min(axis_cells) and max(axis_cells) <= b
    return True


@settings(max_examples=30, deadline=None)
@given(stacks())
def test_traced_cells_equal_brute_force(case):
    _agrees_with_brute_force(*case)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(stacks(max_layers=4, max_size=16))
def test_traced_cells_equal_brute_force_sweep(case):
    _agrees_with_brute_force(*case)


def test_presets_formula_numbers():
    sizes = {}
    for name, (rank, size, specs) in PRESETS.items():
        c = ReceptiveFieldComputation(build_stack(rank, specs, size), (size,) * rank)
        sizes[name] = c.size
        assert _agrees_with_brute_force(rank, size, specs)
    # three 3×3 convs see as far as one 7×7 (with 27 instead of 49 weights)
    assert sizes["three 3×3 convs"] == sizes["one 7×7 conv"] == (7, 7)
    # WaveNet: 1 + (2 − 1)·(1 + 2 + 4 + 8) = 16
    assert sizes["WaveNet: dilations 1, 2, 4, 8 (1-D, k=2, causal)"] == (16,)
    # strided: r = 1 + 2·1 + 2·2 + 2·4 = 15
    assert sizes["strided stack (3×3 s2, 3×3 s2, 3×3)"] == (15, 15)
    trace = trace_axis([geometry_of(layer, 2) for layer in build_stack(
        2, PRESETS["strided stack (3×3 s2, 3×3 s2, 3×3)"][2], 15).layers], 0, 15)
    assert (trace.r, trace.j, trace.sizes) == ([1, 3, 7, 15], [1, 2, 4, 4], [15, 7, 3, 1])
    assert "r = 7 + (3 − 1)·1·4 = 15" in trace.lines[-1]


def test_dilation_holes_and_padding_start_offsets():
    c = ReceptiveFieldComputation([layers.Conv2D(1, 3, dilation_rate=2)], (7, 7))
    cells = c.input_cells((1, 1))
    assert len(cells) == 9 and c.size == (5, 5)  # a 5×5 span with 16 holes
    assert sorted({i for i, _ in cells}) == [1, 3, 5]
    same = ReceptiveFieldComputation([layers.Conv1D(1, 3, padding="same"),
                                      layers.Conv1D(1, 3, strides=2, padding="same")], (8,))
    t = same.traces[0]
    assert (t.r, t.j, t.start) == ([1, 3, 5], [1, 1, 2], [0, -1, -1])
    assert same.span((0,)) == ((-1, 3),)  # reaches one cell into the padding
    assert same.input_cells((0,)) == [(0,), (1,), (2,), (3,)]
    sentences = same.scene(2, (0,)).sentences
    assert any("padding" in s for s in sentences)


class _MaxPoolLike:
    """A pooling layer as the explorer sees one: attributes only (pool_size, strides,
    padding). Max pooling reads the same cells as a conv with the same window and stride."""

    def __init__(self, pool_size, strides, padding="valid", name="pool"):
        self.pool_size, self.strides, self.padding, self.name = pool_size, strides, padding, name


def test_pooling_is_read_through_its_attributes():
    pool = getattr(layers, "MaxPooling2D", None)
    real = pool is not None
    pooling = pool(pool_size=2, strides=2) if real else _MaxPoolLike((2, 2), (2, 2))
    stack = [layers.Conv2D(1, 3), pooling, layers.Conv2D(1, 3)]
    g = geometry_of(pooling, 2)
    assert (g.kind, g.kernel, g.strides, g.dilation) == ("max pool", (2, 2), (2, 2), (1, 1))
    c = ReceptiveFieldComputation(stack, (12, 12), check=real)
    assert c.size == (8, 8) and c.out_spatial == (3, 3)  # 1 + 2 + 1 + 2·2
    # brute force through convkit: the real pooling layer, or the conv with its window
    brute_stack = stack if real else [layers.Conv2D(1, 3), layers.Conv2D(1, 2, strides=2),
                                      layers.Conv2D(1, 3)]
    brute = brute_force_dependencies(brute_stack, (12, 12))
    for cell in itertools.product(range(3), range(3)):
        expected = sorted(tuple(int(i) for i in r) for r in np.argwhere(brute[..., cell[0],
                                                                            cell[1]]))
        assert sorted(c.input_cells(cell)) == expected
    assert ("max pool" in layer_kinds(2)) == real


def test_layers_without_a_window_are_named():
    class Dense:
        name = "dense"
    with pytest.raises(SceneError, match="dense"):
        geometry_of(Dense(), 2)
    with pytest.raises(SceneError, match="no kernel_size"):
        geometry_of(layers.Conv2DTranspose(1, 3), 2)
    with pytest.raises(TypeError, match="Sequential"):
        ReceptiveFieldExplorer(model=[layers.Conv2D(1, 3)])
    with pytest.raises(ValueError, match="preset"):
        ReceptiveFieldExplorer(preset="five 9×9 convs")


def test_explorer_defaults_trace_all_layers_and_badge():
    ex = ReceptiveFieldExplorer()
    try:
        assert ex.toolbar.step.max == 3 and ex.toolbar.step.value == 3
        assert "✓" in ex.badges.value and "Receptive field 7×7" in ex.toolbar.caption.value
        assert "r = 5 + (3 − 1)·1·1 = 7" in ex.toolbar.formula.value
        root = svg_root(ex.view.value)
        marks = [t for t in root.iter(f"{SVG}text") if t.text == "●"]
        assert len(marks) == 49 + 25 + 9 + 1  # input, conv1, conv2, output
        ex.toolbar.step.value = 1  # traced back one layer: conv2's 3×3 and the cell itself
        marks = [t for t in svg_root(ex.view.value).iter(f"{SVG}text") if t.text == "●"]
        assert len(marks) == 9 + 1
        # keyboard: the output-cell sliders move the traced cell
        before = ex.render_count
        ex.toolbar.step.value = 3
        ex.out_row.value = 2
        ex.out_col.value = 1
        assert ex.render_count == before + 3
        assert "OUTPUT cell (2, 1)" in ex.toolbar.caption.value
        assert "input 2…8, 1…7" in ex.toolbar.caption.value
        tips = [t.text for t in svg_root(ex.view.value).iter(f"{SVG}title")]
        assert "INPUT[2, 1]: in the receptive field" in tips
        assert "INPUT[1, 1]: not read" in tips
    finally:
        ex.close()


EDITS = [
    ("kernel", 5, (9, 9)), ("stride", 2, (9, 9)), ("dilation", 2, (9, 9)),
    ("padding", "same", (7, 7)),
]


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_in_the_explorer(preset):
    ex = ReceptiveFieldExplorer(preset=preset)
    try:
        c = ex.computation
        for cell in itertools.product(*(range(m) for m in c.out_spatial)):
            assert c.badge(cell).ok
        assert ex.toolbar.step.max == len(c.layers)
        assert f"Receptive field {'×'.join(map(str, c.size))}" in ex.toolbar.caption.value
    finally:
        ex.close()


@pytest.mark.parametrize("control, value, size", EDITS)
def test_editing_a_layer_makes_a_custom_stack(control, value, size):
    ex = ReceptiveFieldExplorer()
    try:
        ex.layer_index.value = 2
        getattr(ex, control).value = value
        assert ex.preset.value == "(custom)"
        assert ex.computation.size == size
        assert "✓" in ex.badges.value and "✗" not in ex.badges.value
    finally:
        ex.close()


def test_your_model_and_banner_for_impossible_stacks():
    model = models.Sequential([layers.Conv1D(1, 2, dilation_rate=d, padding="causal")
                               for d in (1, 2, 4, 8, 16)])
    ex = ReceptiveFieldExplorer(model, rank=1, input_size=40)
    try:
        assert ex.preset.value == "(your model)" and ex.computation.size == (32,)
        assert ex._editor.layout.display == "none"
        ex.preset.value = "three 3×3 convs"
        ex.size.value = 5  # three valid 3×3 convs need 7 cells
        assert ex.computation is None and "Not possible" in ex.toolbar.banner.value
        ex.size.value = 7
        assert ex.computation.out_spatial == (1, 1)
        ex.layer_index.value = 1
        ex.dilation.value = 2
        ex.stride.value = 2  # never both: the Conv layer's own message
        assert "Not possible" in ex.toolbar.banner.value
    finally:
        ex.close()


def test_large_inputs_skip_the_live_check_and_say_so():
    ex = ReceptiveFieldExplorer(preset="strided stack (3×3 s2, 3×3 s2, 3×3)")
    try:
        assert "✓" in ex.badges.value
        ex.size.value = 17  # 289 cells > LIVE_CHECK_CELLS
        assert ex.computation.dependencies is None and ex.badges.value == ""
        assert "No live brute-force check" in ex.toolbar.sentences.value
        # the tracing itself is the same code the smaller inputs check live
        assert _agrees_with_brute_force(2, 17, PRESETS[ex.preset.value][2]
                                        if ex.preset.value in PRESETS else ex._specs)
    finally:
        ex.close()


def test_your_model_with_channels_declared_input_and_activation():
    model = models.Sequential([layers.Conv1D(4, 3, activation="relu", input_shape=(20, 3)),
                               layers.Conv1D(2, 3, strides=2)])
    ex = ReceptiveFieldExplorer(model)
    try:
        assert ex.rank.value == 1 and ex.size.value == 20
        c = ex.computation
        assert c.size == (5,) and c.out_spatial == (8,)
        assert all(c.badge((o,)).ok for o in range(8))
    finally:
        ex.close()


def test_quiz_receptive_field_and_output_shape():
    ex = ReceptiveFieldExplorer(quiz=True)
    try:
        q = ex.quiz
        assert ex.view.layout.display == "none"
        assert q.question.answer == (7, 7)
        assert q.submit("5") is False
        assert "Not quite: the answer is 7×7" in q.feedback.value
        assert "r = 5 + (3 − 1)·1·1 = 7" in q.feedback.value
        assert ex.view.layout.display is None
        q.kind.value = "output shape"
        assert ex.view.layout.display == "none"
        assert q.submit("3x3") is True
        q.new_exercise()
        first = (ex.computation.in_spatial, [g.describe() for g in ex.computation.geometries])
        assert ex.view.layout.display == "none" and ex.preset.value == "(custom)"
    finally:
        ex.close()
    again = ReceptiveFieldExplorer(quiz=True)
    try:
        again.quiz.new_exercise()  # the same seed gives the same first exercise
        assert (again.computation.in_spatial,
                [g.describe() for g in again.computation.geometries]) == first
    finally:
        again.close()


@pytest.mark.parametrize("rule", [leak_rule, high_contrast_rule])
def test_house_rules(rule):
    if rule is leak_rule:
        rule(ReceptiveFieldExplorer, n_widgets)
    else:
        rule(ReceptiveFieldExplorer)
