"""The projector layout (issue 17, item 9): cells sized to their values, readable digits, the
picture before the settings, partner controls kept together, and the texts that were wrong.

The browser side (boxes measured at 1280×720 and 1024×768) is tests/e2e/test_e2e_layout.py.
"""

import numpy as np
import pytest
from convkit.widgets import (
    ConvExplorer,
    ImageFilterLab,
    ResampleExplorer,
    SeparableExplorer,
    TransposedConvExplorer,
)
from convkit.widgets.explorers.base import are_partners
from convkit.widgets.render import resample_drawing, scene_svg, transposed_drawing
from convkit.widgets.render.drawing import text_width
from convkit.widgets.render.grid import digit_size, fit_cell
from convkit.widgets.scene import (
    ResampleComputation,
    ResampleConfig,
    TransposedComputation,
    TransposedConfig,
)
from convkit.widgets.scene.text import fmt

from tests.support.svg import SVG, svg_root


def _fits(label: str, cs: int, digits: int) -> bool:
    return text_width(label, digits, bold=True) + 2 <= cs


# ---- the cell-size rule ----
@pytest.mark.parametrize("values", [
    np.array([10.25, 10.75]), np.array([-0.12, 0.5]), np.array([-36.0, 120.0]),
    np.array([12345.5]), np.array([np.nan, np.inf, -np.inf]), np.arange(0, 10)])
@pytest.mark.parametrize("cell", [16, 30, 56])
def test_every_label_fits_its_cell_with_the_base_cells_digits(values, cell):
    cs = fit_cell(cell, values)
    assert cs >= cell and cs % 2 == 0
    for v in values:
        assert _fits(fmt(v), cs, digit_size(cell)), (fmt(v), cs)


def test_small_integers_keep_the_chosen_cell_and_wide_values_widen_it():
    assert fit_cell(30, np.arange(1, 26)) == 30
    assert fit_cell(30, np.array([10.25])) > 30
    assert fit_cell(30) == 30  # nothing to print: the chosen size
    # the widest label decides, wherever it is
    assert fit_cell(30, np.ones((3, 3)), np.array([[-13.75]])) == fit_cell(30, [-13.75])


def test_digits_are_large_enough_for_a_projector():
    # the report: 30-px cells printed 12-px digits; half the cell is readable from the back
    assert digit_size(30) >= 15
    assert digit_size(4) >= 9  # tiny cells still print legible numbers


def _cell_texts(svg: str):
    """(label, font size, cell width) of every number drawn inside a ``rect.cell``."""
    root = svg_root(svg)
    cells = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
             for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    out = []
    for t in root.iter(f"{SVG}text"):
        x, y = float(t.get("x")), float(t.get("y"))
        for cx, cy, w, h in cells:
            if cx <= x <= cx + w and cy <= y <= cy + h:
                out.append((t.text, int(t.get("font-size")), w))
                break
    return out


def test_bilinear_values_never_overflow_their_cells():
    # the reported "10.2510.75": a 4×4 ramp upsampled ×2 with bilinear interpolation
    config = ResampleConfig("upsample", rank=2, size=2, interpolation="bilinear")
    scene = ResampleComputation(config, np.arange(1, 17, dtype=np.float32).reshape(4, 4)
                                ).scene(0)
    texts = _cell_texts(scene_svg(scene))
    assert any(label == "10.75" for label, _, _ in texts)
    for label, size, width in texts:
        assert text_width(label, size) + 2 <= width, (label, size, width)


@pytest.mark.parametrize("contrast", [False, True])
def test_no_explorer_draws_a_number_wider_than_its_cell(contrast):
    explorers = [ConvExplorer(), TransposedConvExplorer(),
                 ResampleExplorer(interpolation="bilinear"), SeparableExplorer(),
                 ConvExplorer(x=np.linspace(-1.5, 12.25, 16).reshape(4, 4))]
    try:
        for ex in explorers:
            ex.toolbar.contrast.value = contrast
            texts = _cell_texts(ex.view.value)
            assert texts, type(ex).__name__
            for label, size, width in texts:
                # bold in projector mode: measure bold
                assert text_width(label, size, bold=True) <= width, (type(ex), label, width)
    finally:
        for ex in explorers:
            ex.close()


def test_output_cells_keep_their_size_while_stepping():
    # sized from the final values, not this step's: the picture does not jump while playing
    def cell_sizes(drawing):
        return sorted({item[3] for item in drawing.items
                       if item[0] == "rect" and item[8] == "cell"})

    config = TransposedConfig(rank=2, kernel_size=3, strides=2)
    x = np.array([[1.5, -2.25], [3.75, 4.5]], dtype=np.float32)  # partial sums vary in width
    computation = TransposedComputation(config, x)
    sizes = [cell_sizes(transposed_drawing(computation.scene(s))) for s in range(4)]
    assert all(s == sizes[-1] for s in sizes) and max(sizes[-1]) > 30
    config = ResampleConfig("upsample", rank=2, size=2, interpolation="bilinear")
    computation = ResampleComputation(config, np.arange(9, dtype=np.float32).reshape(3, 3))
    sizes = [cell_sizes(resample_drawing(computation.scene(s))) for s in (0, 5, 20)]
    assert all(s == sizes[0] for s in sizes)


# ---- the explorer layout ----
def test_picture_comes_before_the_settings_and_the_panel_folds(widget_count):
    ConvExplorer().close()  # the first explorer of a process creates shared style models
    start = widget_count()
    ex = ConvExplorer()
    try:
        children = list(ex.children)
        assert children.index(ex.view) < children.index(ex.settings)
        assert children.index(ex.toolbar.caption) < children.index(ex.settings)
        assert ex.settings_toggle.value and ex._settings_panel.layout.display is None
        renders = ex.render_count
        ex.settings_toggle.value = False  # fold: only the view of the panel changes
        assert ex._settings_panel.layout.display == "none"
        assert "▸" in ex.settings_toggle.description and ex.render_count == renders
        ex.settings_toggle.value = True
        assert ex._settings_panel.layout.display is None
    finally:
        ex.close()
    assert widget_count() == start  # the panel and the partner boxes are released too


def _groups(ex):
    """The descriptions of the controls, row by row, partners as tuples."""
    rows = []
    for row in ex._settings_panel.children:
        rows.append([tuple(c.description for c in item.children)
                     if hasattr(item, "children") and item.children else item.description
                     for item in row.children])
    return rows


def test_partner_controls_share_a_box_that_does_not_wrap():
    ex = ConvExplorer()
    try:
        groups = [g for row in _groups(ex) for g in row if isinstance(g, tuple)]
        for pair in (("kernel h", "kernel w"), ("stride h", "stride w"),
                     ("dilation h", "dilation w"), ("use bias", "b"), ("row", "col"),
                     ("input height", "input width")):
            assert pair in groups, (pair, groups)
    finally:
        ex.close()
    ex = ResampleExplorer(source="Grace Hopper")
    try:
        groups = [g for row in _groups(ex) for g in row if isinstance(g, tuple)]
        assert ("patch row", "patch col") in groups and ("cell row", "cell col") in groups
    finally:
        ex.close()


def test_are_partners_pairs_only_the_two_axes_of_one_setting():
    import ipywidgets as W

    def s(d):
        return W.IntSlider(description=d)

    assert are_partners(s("stride h"), s("stride w"))
    assert are_partners(s("output row"), s("output col"))
    assert are_partners(W.Checkbox(description="use bias"), s("b"))
    assert not are_partners(s("kernel w"), s("stride h"))
    assert not are_partners(s("stride h"), s("dilation w"))
    assert not are_partners(W.Checkbox(description="a"), W.Checkbox(description="b"))


def test_toggle_buttons_keep_their_label_on_their_line():
    ex = ResampleExplorer()
    try:
        for control in (ex.operation, ex.rank):
            assert control.layout.display == "flex"
            assert control.layout.flex_flow == "row nowrap"
            assert control.style.button_width == "auto"
    finally:
        ex.close()


# ---- the texts that were wrong ----
def test_resample_taps_heading_is_a_paragraph_not_a_squeezed_table_caption():
    for kwargs in ({}, {"source": "Grace Hopper"}):
        ex = ResampleExplorer(interpolation="bilinear", **kwargs)
        try:
            assert "Taps of OUTPUT" in ex.taps.value
            assert "<caption>" not in ex.taps.value  # a caption wraps to the table's width
            assert ex.taps.value.index("Taps of OUTPUT") < ex.taps.value.index("<table>")
        finally:
            ex.close()


def test_transposed_output_size_once_per_axis_and_named():
    ex = TransposedConvExplorer(size=2, kernel_size=3, strides=2)
    try:
        formula = ex.toolbar.formula.value
        assert formula.count("output rows (axis 0): ") == 1
        assert formula.count("output cols (axis 1): ") == 1
        assert "output size" not in formula  # no unnamed size line any more
        ex.rank.value = 1
        formula = ex.toolbar.formula.value
        assert formula.count("output length: ") == 1 and "axis" not in formula
    finally:
        ex.close()


def test_image_filter_titles_and_legend_are_text_and_the_legend_says_grey():
    lab = ImageFilterLab(size=32, preset="Sobel x")
    try:
        assert "INPUT (photo, padding grey)" in lab.titles.value
        assert "OUTPUT (feature map)" in lab.titles.value
        assert "PADDING light grey" in lab.legend.value
        assert "PADDING hatched" not in lab.legend.value
        # the widget's raster holds the pictures only: no bitmap text
        drawing = lab._drawing(lab._scene(0), text=False)
        assert not [item for item in drawing.items if item[0] == "text"]
        # the exported frame still explains itself, with the same (correct) legend
        frame_texts = [item[3] for item in lab._drawing(lab._scene(0)).items
                       if item[0] == "text"]
        assert any("PADDING light grey" in t for t in frame_texts)
        assert not any("PADDING hatched" in t for t in frame_texts)
        lab.relu.value = True
        assert "OUTPUT (feature map, ReLU)" in lab.titles.value
    finally:
        lab.close()


def test_image_filter_magnifier_numbers_fit_their_cells():
    lab = ImageFilterLab(size=32, preset="Gaussian")  # weights such as 0.0625, pixels 0.12
    try:
        texts = _cell_texts(lab.magnifier.value)
        assert texts
        for label, size, width in texts:
            assert text_width(label, size) + 2 <= width, (label, width)
    finally:
        lab.close()


@pytest.mark.parametrize("contrast", [False, True])
def test_conv_extras_and_conv3d_slices_fit_their_numbers(contrast):
    # a Conv3D ramp sums to 4-digit values, and the extras' partial sums and filters are
    # numbers too: every one sized by the same rule as the main picture
    explorers = [ConvExplorer(rank=3, x=np.arange(125, dtype=np.float32).reshape(5, 5, 5)),
                 ConvExplorer(x=np.linspace(-1.5, 12.25, 48).reshape(4, 4, 3), filters=2)]
    try:
        for ex in explorers:
            ex.toolbar.contrast.value = contrast
            ex.toolbar.step.value = ex.toolbar.step.max  # every output cell computed
            for svg in (ex.view.value, ex.extras_view.value):
                for label, size, width in _cell_texts(svg):
                    assert text_width(label, size, bold=True) <= width, (label, width)
        assert any(len(label) >= 4 for label, _, _ in _cell_texts(explorers[0].view.value))
    finally:
        for ex in explorers:
            ex.close()
