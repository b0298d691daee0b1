"""T1: explorers headless — control values in, scene/SVG/PNG out, in place, no leaks."""

import io

import numpy as np
import pytest
from convkit.widgets import (
    ConvExplorer,
    ImageFilterLab,
    ResampleExplorer,
    TransposedConvExplorer,
)
from PIL import Image

from convkit import ops
from tests.support.svg import SVG, class_rects, svg_root
from tests.support.widget_cases import EXPLORERS


def test_conv_explorer_step_and_parameter_updates_in_place():
    ex = ConvExplorer(size=5, kernel_size=3, padding="valid")
    try:
        assert ex.render_count == 1
        assert ex.toolbar.step.max == 8  # 3×3 outputs
        view = ex.view
        root = svg_root(view.value)
        assert root.get("role") == "img"
        assert len(class_rects(root, "window")) == 9  # one outline per tap
        assert root.get("aria-label").startswith("Step 1 of 9")
        assert root.get("aria-label") in ex.toolbar.caption.value
        # SVG paints a rect without fill black: every rect must say fill or class
        assert all(r.get("fill") or r.get("class") for r in root.iter(f"{SVG}rect")
                   if r.get("width") != "6")

        ex.toolbar.step.value = 4
        assert ex.render_count == 2  # one render per action
        assert ex.view is view
        assert "Step 5 of 9" in svg_root(ex.view.value).get("aria-label")

        ex.padding.value = "same"
        assert ex.render_count == 3
        assert ex.toolbar.step.max == 24
        ex.stride_h.value = 2  # locked axes: both strides follow
        assert ex.render_count == 4
        assert ex.toolbar.step.max == 8
        assert "1 before, 1 after" in ex.toolbar.formula.value
    finally:
        ex.close()


def test_conv_explorer_numbers_are_the_ops_numbers():
    ex = ConvExplorer(size=6, padding="same", strides=2, channels=2, filters=2,
                      source="random ints", seed=7)
    try:
        ex.filter_index.value = 1
        computation = ex.computation
        expected = ops.conv(computation.x[None], computation.kernel, strides=(2, 2), padding="same",
                            bias=computation.bias)[0]
        np.testing.assert_array_equal(computation.output, expected)
        for step in range(computation.n_steps):
            ex.toolbar.step.value = step
            sc = ex._scene(step)
            assert sc.products.sum() + sc.bias[1] == pytest.approx(expected[sc.position + (1,)])
            # the output cell's tooltip carries the op's value
            tips = [t.text for t in svg_root(ex.view.value).iter(f"{SVG}title")]
            assert any(t.startswith(f"OUTPUT[{sc.position[0]}, {sc.position[1]}] = ")
                       and float(t.split("= ")[1]) == pytest.approx(sc.value, rel=1e-5)
                       for t in tips)
    finally:
        ex.close()


def test_conv_explorer_one_d_causal_and_banner_for_impossible_settings():
    ex = ConvExplorer(rank=1, size=8, kernel_size=3, padding="causal")
    try:
        assert ex.toolbar.step.max == 7
        assert ex.computation.pads == ((2, 0),)
        ex.rank.value = 2  # causal is Conv1D-only: a banner, not a traceback
        assert ex.toolbar.banner.layout.display is None
        assert "Conv1D only" in ex.toolbar.banner.value
        ex.padding.value = "valid"
        assert ex.toolbar.banner.value == ""
        ex.stride_h.value = 2
        ex.dilation_h.value = 2
        assert "dilation_rate" in ex.toolbar.banner.value
        assert "never both" in ex.toolbar.banner.value
    finally:
        ex.close()


def test_conv_explorer_inspect_modes_outline_cells():
    ex = ConvExplorer(size=5, kernel_size=3, strides=2)
    try:
        ex.inspect.value = "input → outputs"
        ex.inspect_row.value = 2
        ex.inspect_col.value = 2
        root = svg_root(ex.view.value)
        inspected = class_rects(root, "inspect")
        fed = ex.computation.outputs_fed_by((2, 2))
        assert len(inspected) == 1 + len(fed) == 5  # the centre cell feeds all 4 outputs
        ex.inspect.value = "weight → inputs"
        assert "weight sharing" in ex.toolbar.sentences.value
    finally:
        ex.close()


def test_presets_reproduce_conv_arithmetic_shapes():
    ex = ConvExplorer()
    try:
        expected = {"i4 k3 (no padding, unit stride)": 2, "i5 k4 p2 (arbitrary padding)": 6,
                    "i5 k3 p1 (half / same padding)": 5, "i5 k3 p2 (full padding)": 7,
                    "i5 k3 s2 (no padding, strides)": 2, "i5 k3 p1 s2 (padding, strides)": 3,
                    "i6 k3 p1 s2 (padding, strides, odd)": 3, "i7 k3 d2 (dilation)": 3}
        for name, side in expected.items():
            before = ex.render_count
            ex.preset.value = name
            assert ex.render_count == before + 1
            assert ex.computation.output.shape[:2] == (side, side)
    finally:
        ex.close()


@pytest.mark.parametrize("cls", EXPLORERS)
def test_no_widget_leak_over_100_updates_and_close_releases_all(cls, widget_count):
    n_widgets = widget_count
    start = n_widgets()
    ex = cls()
    built = n_widgets()
    assert built > start
    for i in range(100):
        ex.toolbar.step.value = i % (ex.toolbar.step.max + 1)
    assert n_widgets() == built
    ex.close()
    assert n_widgets() == start


def test_transposed_explorer_badge_and_ambiguity_strip():
    ex = TransposedConvExplorer(size=2, kernel_size=3, strides=2, padding="same")
    try:
        assert "identical ✓" in ex.view.value
        assert ex.computation.identical
        assert ex.computation.output.shape[:2] == (4, 4)
        assert "<b>[4]</b>" in ex.strip.value  # op None picks 4 of {3, 4}
        ex.output_padding.value = 0
        assert ex.computation.output.shape[:2] == (3, 3)
        assert "<b>[3]</b>" in ex.strip.value
        ex.output_padding.value = 2
        assert "strictly less than `strides`" in ex.toolbar.banner.value
        ex.output_padding.value = -1
        steps = []
        for s in range(ex.toolbar.step.max + 1):
            ex.toolbar.step.value = s
            steps.append(ex._scene(s).partial.copy())
        np.testing.assert_allclose(steps[-1], ex.computation.output)
    finally:
        ex.close()


def test_resample_explorer_lists_taps_for_every_mode():
    ex = ResampleExplorer("upsample", rank=2, size=4, interpolation="bicubic")
    try:
        ex.toolbar.step.value = 0
        assert "Σ weights = 1" in ex.taps.value
        assert "renormalised" in ex.taps.value
        for mode in ("nearest", "bilinear", "lanczos3", "lanczos5"):
            ex.interpolation.value = mode
            sc = ex._scene(ex.toolbar.step.value)
            assert sc.reconstructed == pytest.approx(sc.value, abs=1e-4)
        ex.operation.value = "pad"
        ex.rank.value = 3
        assert "hatched: PADDING zeros" in ex.view.value
        ex.operation.value = "crop"
        ex.before.value = 2
        ex.after.value = 2
        assert "Not possible" in ex.toolbar.banner.value
    finally:
        ex.close()


def test_image_filter_lab_png_updates_in_place_with_highlight():
    lab = ImageFilterLab(size=32, preset="Sobel x")
    try:
        image = lab.image
        before = lab.image.value
        png = Image.open(io.BytesIO(before)).convert("RGB")
        arr = np.asarray(png)
        assert (arr == (0, 0, 0)).all(axis=-1).any()  # the black window outline
        y = ops.conv(lab.computation.x[None, ..., None] if lab.computation.x.ndim == 2 else
                     lab.computation.x[None], lab.kernel()[..., None, None], padding="same")[0]
        np.testing.assert_array_equal(lab.computation.output, y)
        count = lab.render_count
        lab.toolbar.step.value = 40
        assert lab.image is image and lab.render_count == count + 1
        assert lab.image.value != before
        lab.relu.value = True
        assert lab.computation.output.min() >= 0
        lab.weights[6].value = 2.0  # row 1, col 1 of the 5-wide grid: now a custom kernel
        assert lab.preset.value == "(custom)"
        assert lab.kernel()[1, 1] == 2.0
    finally:
        lab.close()


def test_scene_render_import_does_not_pull_ipywidgets():
    import subprocess
    import sys

    code = ("import sys, numpy as np; import convkit.widgets.scene, convkit.widgets.render, "
            "convkit.widgets.export; assert 'ipywidgets' not in sys.modules, 'ipywidgets'; "
            "assert 'matplotlib.pyplot' not in sys.modules; import convkit; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_conv_explorer_1d_stem_plot_under_the_strip():
    ex = ConvExplorer(rank=1, size=9, kernel_size=3, padding="causal", dilation_rate=2,
                      source="random ints", seed=3)
    try:
        ex.toolbar.step.value = 4
        root = svg_root(ex.view.value)
        markers = [r for r in root.iter(f"{SVG}rect")
                   if (r.findtext(f"{SVG}title") or "").split(" signal[")[0] in
                   ("INPUT", "PADDING") and " signal[" in (r.findtext(f"{SVG}title") or "")]
        padded = ex.computation.padded[:, 0]
        assert len(markers) == padded.size  # one stem per padded cell
        for r in markers:
            index, value = r.findtext(f"{SVG}title").split("signal[")[1].split("] = ")
            assert float(value) == pytest.approx(float(padded[int(index)]))
        big = [r for r in markers if float(r.get("width")) > 6]
        assert sorted(int(r.findtext(f"{SVG}title").split("[")[1].split("]")[0])
                      for r in big) == list(ex._scene(4).window[0])
        ex.rank.value = 2  # causal is 1-D only: the banner, and no stems drawn
        assert "signal[" not in ex.view.value
    finally:
        ex.close()
