"""T3: GIF / PNG frames / HTML export from the same renderers the widgets use."""

import io
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import numpy as np
from convkit.widgets import ConvExplorer, TransposedConvExplorer
from convkit.widgets.render import png_bytes, scene_png, scene_svg
from convkit.widgets.scene import ConvComputation, ConvConfig
from PIL import Image


def test_gif_frames_duration_and_first_frame_equals_png(tmp_path):
    ex = ConvExplorer(size=5, kernel_size=3, strides=2)
    try:
        path = ex.to_gif(tmp_path / "conv.gif", fps=4)
        gif = Image.open(path)
        assert gif.n_frames == ex.computation.n_steps == 4
        assert gif.info["duration"] == 250
        assert gif.info["loop"] == 0
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))
        step0 = np.asarray(Image.open(io.BytesIO(ex.png(0))).convert("RGB"))
        np.testing.assert_array_equal(first, step0)
        sub = ex.to_gif(tmp_path / "two.gif", fps=2, steps=[1, 3])
        assert Image.open(sub).n_frames == 2
    finally:
        ex.close()
    assert plt.get_fignums() == []


def test_frames_and_html_player(tmp_path):
    ex = TransposedConvExplorer(size=2)
    try:
        paths = ex.to_frames(tmp_path / "frames")
        assert len(paths) == ex.computation.n_steps == 4
        assert all(Image.open(p).format == "PNG" for p in paths)
        page = ex.to_html()
        assert page.count('class="f"') == 4
        assert "http://" not in page and "https://" not in page
        assert "INPUT (0, 0)" in page  # captions travel with the frames
    finally:
        ex.close()
    assert plt.get_fignums() == []


def test_plain_script_render_svg_parses_with_aria_label():
    computation = ConvComputation(ConvConfig(padding="same"), np.arange(16.0).reshape(4, 4))
    scene = computation.scene(5)
    root = ET.fromstring(scene_svg(scene))
    assert root.get("aria-label") == scene.caption
    png = Image.open(io.BytesIO(scene_png(scene)))
    assert png.format == "PNG" and png.size[0] > 100
    assert png_bytes(np.zeros((3, 3, 3), np.uint8)).startswith(b"\x89PNG")


def test_to_svg_of_a_step_for_every_explorer(tmp_path):
    from convkit.widgets import (
        ImageFilterLab,
        ResampleExplorer,
        SeparableExplorer,
    )

    for cls in (ConvExplorer, TransposedConvExplorer, ResampleExplorer, SeparableExplorer,
                ImageFilterLab):
        ex = cls()
        try:
            step = ex.toolbar.step.max  # not the shown step: export any step
            path = tmp_path / f"{cls.__name__}.svg"
            svg = ex.to_svg(step, path=path)
            root = ET.fromstring(path.read_text(encoding="utf-8"))
            caption = ex._scene(step).caption
            assert svg == path.read_text(encoding="utf-8")
            assert root.get("aria-label") == caption
            texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
            assert caption in texts  # an exported picture explains itself
            assert ex.to_svg() != svg or ex.toolbar.step.max == 0
        finally:
            ex.close()
    assert plt.get_fignums() == []


def test_to_svg_refuses_invalid_settings_with_a_plain_error():
    ex = ConvExplorer(size=3, kernel_size=5)
    try:
        assert ex.computation is None
        try:
            ex.to_svg(0)
        except ValueError as exc:
            assert "not valid" in str(exc)
        else:
            raise AssertionError("to_svg should refuse when nothing is drawn")
    finally:
        ex.close()
