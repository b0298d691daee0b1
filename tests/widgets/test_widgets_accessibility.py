"""Projector and screen-reader details: high contrast, one visible caption, clear labels."""

import io

import numpy as np
import pytest
from convkit.widgets import ConvExplorer, ImageFilterLab
from convkit.widgets.render import scene_svg
from PIL import Image

from tests.support.svg import SVG, svg_root, svg_texts
from tests.support.widget_cases import EXPLORERS, SVG_EXPLORERS


@pytest.mark.parametrize("cls", EXPLORERS)
def test_high_contrast_toggle_rerenders_once_bigger_and_bolder(cls):
    ex = cls()
    try:
        before = ex.render_count
        frame = ex.frame(0)
        normal_view, normal_image = ex.view.value, ex.image.value
        ex.toolbar.contrast.value = True
        assert ex.render_count == before + 1
        big = ex.frame(0)
        assert big.shape[0] > frame.shape[0] and big.shape[1] > frame.shape[1]
        assert "font-size:1.3em" in ex.toolbar.caption.value
        if cls is ImageFilterLab:
            assert ex.image.value != normal_image
            assert "stroke-width:5" in ex.magnifier.value
        else:
            assert ex.view.value != normal_view
            root = svg_root(ex.view.value)
            assert "stroke-width:5" in root.find(f"{SVG}style").text
            fills = {t.get("fill") for t in root.iter(f"{SVG}text")}
            assert fills == {"#000000"}  # black text everywhere
        ex.toolbar.contrast.value = False
        assert ex.render_count == before + 2
        assert ex.frame(0).shape == frame.shape
    finally:
        ex.close()


@pytest.mark.parametrize("cls", SVG_EXPLORERS)
def test_caption_is_visible_once_and_kept_as_aria_label_and_in_exports(cls):
    ex = cls()
    try:
        scene = ex._scene(ex.toolbar.step.value)
        root = svg_root(ex.view.value)
        assert root.get("aria-label") == scene.caption
        assert scene.caption not in svg_texts(ex.view.value)  # not printed in the picture
        assert ex.toolbar.caption.value.count(scene.caption) == 1  # printed once, as HTML
        # an exported frame explains itself: the caption is drawn there
        assert scene.caption in svg_texts(scene_svg(scene, **ex._render_kwargs()))
    finally:
        ex.close()


def test_image_filter_caption_only_in_the_export_frame():
    lab = ImageFilterLab(size=32)
    try:
        shown = np.asarray(Image.open(io.BytesIO(lab.image.value)).convert("RGB"))
        frame = lab.frame(lab.toolbar.step.value)
        caption = lab._scene(lab.toolbar.step.value).caption
        # the widget's picture is the two pictures alone: titles, legend and caption are
        # HTML text around it (the caption once); the exported frame prints them below
        assert shown.shape[0] < frame.shape[0] and shown.shape[1] < frame.shape[1]
        assert (shown[-3:] == 255).all() and not (frame[-44:-26] == 255).all()
        assert lab.toolbar.caption.value.count(caption) == 1
        assert "INPUT" in lab.titles.value and "PADDING light grey" in lab.legend.value
    finally:
        lab.close()


def test_conv_explorer_labels_are_not_duplicated():
    ex = ConvExplorer()
    try:
        labels = [w.description for w in ex._owned if getattr(w, "description", "")]
        assert len(labels) == len(set(labels))
        row = " ".join(c.description for c in (ex.use_bias, ex.bias))
        assert "bias bias" not in row
        assert ex.bias.tooltip.startswith("the bias value")
    finally:
        ex.close()
