"""Issue 17 item 7: ResampleExplorer on a real photo — cropped, zero-padded, upsampled; the
five UpSampling2D modes side by side on one zoomed patch; a magnifier with the numbers and
taps under the selected cell, which the keyboard moves. Every number from convkit's ops."""

import io

import numpy as np
import pytest
from convkit.widgets import ResampleExplorer, samples
from convkit.widgets.scene import SceneError
from convkit.widgets.scene.resample_photo import (
    MODE_ORDER,
    PhotoConfig,
    PhotoResampleComputation,
    strongest_edge_origin,
)
from PIL import Image

from convkit import ops
from tests.support.svg import svg_root, svg_texts


def photo(side=24):
    return samples.make_input("Grace Hopper", (side, side))


@pytest.mark.parametrize("factor", [2, 3])
def test_every_mode_is_the_ops_upsample_of_the_whole_photo(factor):
    x = photo()
    c = PhotoResampleComputation(PhotoConfig(factor=factor, interpolation="lanczos3"), x)
    assert tuple(c.modes) == MODE_ORDER
    for mode, comp in c.modes.items():
        want = ops.upsample(x[None, ..., None], (factor, factor), interpolation=mode)[0]
        np.testing.assert_array_equal(comp.output, want)
        r, col = c.view_origin
        h, w = c.view_shape
        np.testing.assert_array_equal(c.mode_patch(mode), want[r:r + h, col:col + w, 0])
    for step in range(0, c.n_steps, 7):
        sc = c.scene(step)
        assert sum(w for _, w in sc.taps) == pytest.approx(1.0, abs=1e-9)
        assert sum(w for _, w in sc.row_taps) == pytest.approx(1.0, abs=1e-9)
        assert sc.reconstructed == pytest.approx(sc.value, rel=1e-5, abs=1e-6)
        assert sc.mode_values == {m: float(comp.output[sc.position + (0,)])
                                  for m, comp in c.modes.items()}
        local = tuple(p - o for p, o in zip(sc.position, c.view_origin, strict=True))
        assert all(0 <= i < n for i, n in zip(local, c.view_shape, strict=True))


def test_crop_and_pad_of_a_photo_are_the_ops_and_name_their_pixels():
    x = photo()
    crop = PhotoResampleComputation(PhotoConfig("crop", amounts=((3, 2), (1, 4))), x)
    np.testing.assert_array_equal(crop.output, ops.crop(x[None, ..., None],
                                                        ((3, 2), (1, 4)))[0, ..., 0])
    assert crop.n_steps == 19 * 19 and not crop.modes
    sc = crop.scene(0)
    assert sc.taps == [((3, 1), 1.0)] and sc.value == x[3, 1]
    pad = PhotoResampleComputation(PhotoConfig("pad", amounts=2), x)
    want = ops.zero_pad(x[None, ..., None], ((2, 2), (2, 2)))[0, ..., 0]
    np.testing.assert_array_equal(pad.output, want)
    corner = pad.scene(0)
    assert corner.taps == [] and corner.value == 0 and "PADDING" in corner.caption
    inside = pad.scene(2 * 28 + 2)
    assert inside.taps == [((0, 0), 1.0)] and inside.value == x[0, 0]


def test_patch_defaults_to_the_strongest_edge_and_clamps():
    x = np.zeros((12, 12), np.float32)
    x[:, 7:] = 1  # a vertical edge between columns 6 and 7
    r, c = strongest_edge_origin(x, 4)
    assert c <= 6 < 7 <= c + 3
    comp = PhotoResampleComputation(PhotoConfig(patch_origin=(50, -3), patch_size=4), x)
    assert comp.patch == (8, 0, 4)  # clamped inside the photo
    tiny = PhotoResampleComputation(PhotoConfig(factor=4, patch_size=6), np.ones((2, 3)))
    assert tiny.patch[2] == 2 and tiny.view_shape == (8, 8)


def test_photo_computation_refuses_bad_input():
    with pytest.raises(SceneError, match="2-D photo"):
        PhotoResampleComputation(PhotoConfig(), np.ones((4, 4, 3)))
    with pytest.raises(SceneError):
        PhotoResampleComputation(PhotoConfig("crop", amounts=12), np.ones((8, 8)))


def test_explorer_on_a_photo_shows_five_modes_and_a_magnifier():
    ex = ResampleExplorer(source="Grace Hopper", interpolation="bicubic", photo_size=24)
    try:
        c = ex.computation
        assert isinstance(c, PhotoResampleComputation)
        assert ex.toolbar.step.max == c.n_steps - 1 == 143  # 6×6 patch, ×2
        root = svg_root(ex.view.value)
        assert root.get("role") == "img"
        assert root.get("aria-label").startswith("Step 1 of 144: OUTPUT pixel")
        texts = svg_texts(ex.view.value)
        for mode in MODE_ORDER:
            assert any(t.startswith(mode) for t in texts), mode
        assert "bicubic (selected)" in texts
        assert any(t.startswith("MAGNIFIER: INPUT pixels under OUTPUT") for t in texts)
        sc = ex._scene(0)
        assert f"op value = {sc.value:.5g}" in ex.taps.value
        for mode in MODE_ORDER:
            assert f"{mode}: " in ex.taps.value
        assert ex.patch_row.layout.display is None and ex.size.layout.display == "none"
    finally:
        ex.close()


def test_cell_sliders_and_step_move_the_selected_cell_with_one_render_each():
    ex = ResampleExplorer(source="MRI slice", photo_size=24)
    try:
        view = ex.view
        count = ex.render_count
        ex.cursor_row.value = 3  # keyboard: the slider handle takes arrow keys
        assert ex.render_count == count + 1
        ex.cursor_col.value = 5
        assert ex.render_count == count + 2
        width = ex.computation.view_shape[1]
        assert ex.toolbar.step.value == 3 * width + 5
        assert f"Step {3 * width + 6} of" in ex.toolbar.caption.value
        ex.toolbar.step.value = 2 * width + 1  # the step (Play, prev/next) moves the cell too
        assert (ex.cursor_row.value, ex.cursor_col.value) == (2, 1)
        assert ex.render_count == count + 3 and ex.view is view
        r0, c0 = ex.computation.view_origin
        assert ex._scene(ex.toolbar.step.value).position == (r0 + 2, c0 + 1)
        ex.patch_row.value = 0  # choosing the patch by hand
        ex.patch_col.value = 1
        assert ex.computation.patch[:2] == (0, 1)
        ex.interpolation.value = "nearest"  # the patch stays where the learner put it
        assert ex.computation.patch[:2] == (0, 1)
        assert "nearest (selected)" in svg_texts(ex.view.value)
    finally:
        ex.close()


def test_photo_crop_pad_export_and_rank_switch():
    ex = ResampleExplorer("crop", source="Grace Hopper", photo_size=16)
    try:
        assert ex.before.max == 5  # a photo gets wider borders to crop
        ex.before.value = 4
        assert ex.computation.output.shape == (11, 11)  # 16 − 4 − 1 on both axes
        png = Image.open(io.BytesIO(ex.png(0)))
        assert png.size[0] >= 640
        ex.operation.value = "pad"
        assert "added zero" in ex.toolbar.caption.value
        html = ex.to_html(steps=iter([0, 1]))
        assert html.count('<img class="f"') == 2
        ex.rank.value = 1  # photos are 2-D: the source falls back to numbers
        assert "Grace Hopper" not in ex.source.options and ex.source.value == "ramp"
        assert not isinstance(ex.computation, PhotoResampleComputation)
        assert ex.photo_size.layout.display == "none"
    finally:
        ex.close()


def test_photo_mode_leaves_no_widgets_behind(widget_count):
    before = widget_count()
    ex = ResampleExplorer(source="Grace Hopper", photo_size=16)
    during = widget_count()
    for step in range(20):
        ex.toolbar.step.value = step
    ex.interpolation.value = "lanczos5"
    assert widget_count() == during
    ex.close()
    assert widget_count() == before
