"""Issue 17, item 8: the audited explorer bugs, one test each (written before the fix).

The code-line tests execute what the learner reads: the text shown in the toolbar's code
block is unescaped, ``eval``-ed/``exec``-ed with convkit and Keras (jax backend), given the
explorer's own kernel and bias, and must reproduce the explorer's output.
"""

import datetime
import html
import io
import re

import numpy as np
import pytest
from convkit.widgets import ConvExplorer, ImageFilterLab
from convkit.widgets.scene.filters import kernel_for
from PIL import Image

import convkit
from convkit import ops
from tests.support.keras_oracle import assert_close, keras


def shown_code(explorer) -> dict:
    """The code block as the learner reads it: ``{"convkit": line, "layer": …, "keras": …}``."""
    text = html.unescape(re.sub(r"<[^>]+>", "", explorer.toolbar.code.value))
    parts = re.split(r"^# (\w+)\n", text, flags=re.M)[1:]
    return {k: v.strip() for k, v in zip(parts[::2], parts[1::2], strict=True)}


def run_layer_line(line: str, namespace: dict, x, kernel, bias):
    """``eval`` a layer line (one layer or a Sequential), give its conv layer the explorer's
    weights, and call it on ``x``."""
    compile(line, "<code line>", "eval")  # valid Python expression, or SyntaxError here
    layer = eval(line, namespace)  # noqa: S307 — the explorer's own code line under test
    layer(x)  # builds every layer
    conv = layer.layers[-1] if hasattr(layer, "layers") else layer
    conv.set_weights([kernel, bias] if conv.use_bias else [kernel])
    return np.asarray(layer(x))


def check_code_lines(explorer):
    computation = explorer.computation
    code = shown_code(explorer)
    assert set(code) == {"convkit", "layer", "keras"}
    x = computation.x[None]
    want = computation.output[None]
    n_products = int(np.prod(computation.kernel.shape[:-1]))
    namespace = {"convkit": convkit, "x": x, "kernel": computation.kernel,
                 "bias": computation.bias}
    exec(compile(code["convkit"], "<convkit line>", "exec"), namespace)  # noqa: S102
    assert_close(namespace["y"], want, n_products)
    got = run_layer_line(code["layer"], {"convkit": convkit}, x, computation.kernel,
                         computation.bias)
    assert_close(got, want, n_products)
    got = run_layer_line(code["keras"], {"keras": keras}, x, computation.kernel,
                         computation.bias)
    assert_close(got, want, n_products)
    return code


@pytest.mark.parametrize("rank, padding, use_bias", [
    (2, "full", True), (2, "explicit", True), (1, "full", False), (1, "explicit", True),
    (2, "same", True), (1, "causal", False), (2, "valid", False)])
def test_conv_explorer_code_lines_run_and_reproduce_the_output(rank, padding, use_bias):
    ex = ConvExplorer(rank=rank, size=6, padding=padding, use_bias=use_bias, filters=2,
                      strides=2 if padding != "explicit" else 1, source="random ints",
                      seed=4)
    try:
        ex.pad_amount.value = 2
        assert ex.computation is not None
        code = check_code_lines(ex)
        if padding in ("full", "explicit"):
            assert f"ZeroPadding{rank}D" in code["keras"]
    finally:
        ex.close()


def test_image_filter_lab_code_lines_say_relu_and_run():
    lab = ImageFilterLab(size=32, preset="Sobel x")
    try:
        lab.relu.value = True
        code = check_code_lines(lab)
        for line in code.values():
            assert "activation='relu'" in line
        lab.relu.value = False
        assert "relu" not in lab.toolbar.code.value
    finally:
        lab.close()


def test_image_filter_kernel_size_switch_reapplies_the_preset_centred():
    lab = ImageFilterLab(size=32, preset="Gaussian")
    try:
        three = lab.computation.output.copy()
        lab.kernel_size.value = 5
        assert lab.preset.value == "Gaussian"
        np.testing.assert_allclose(lab.kernel(), kernel_for("Gaussian", 5), atol=1e-4)
        lab.preset.value = "Sobel x"
        lab.kernel_size.value = 3
        np.testing.assert_allclose(lab.kernel(), kernel_for("Sobel x", 3))
        sobel3 = lab.computation.output.copy()
        lab.kernel_size.value = 5  # no 5×5 Sobel: the 3×3 sits in the centre, no shift
        assert lab.preset.value == "Sobel x"
        np.testing.assert_allclose(lab.computation.output, sobel3, rtol=1e-5, atol=1e-6)
        # a custom kernel stays centred too, so the picture does not move
        lab.kernel_size.value = 3
        lab.weights[0].value = 1.0
        custom = lab.computation.output.copy()
        lab.kernel_size.value = 5
        assert lab.preset.value == "(custom)"
        assert lab.kernel()[1, 1] == 1.0 and lab.kernel()[0].sum() == 0
        np.testing.assert_allclose(lab.computation.output, custom, rtol=1e-5, atol=1e-6)
        assert three.shape == custom.shape
    finally:
        lab.close()


def test_image_filter_preset_name_clears_after_any_edit():
    lab = ImageFilterLab(size=32, preset="box blur")
    try:
        lab.weights[0].value = lab.weights[0].value + 0.0005  # a small edit is an edit
        assert lab.preset.value == "(custom)"
        assert "Box blur" not in lab.toolbar.sentences.value
        lab.preset.value = "emboss"  # choosing a preset is not an edit
        assert lab.preset.value == "emboss"
        np.testing.assert_allclose(lab.kernel(), kernel_for("emboss", 3))
    finally:
        lab.close()


def _upload(lab, rgb: np.ndarray):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    data = buf.getvalue()
    lab.upload.value = ({"name": "mine.png", "type": "image/png", "size": len(data),
                         "content": memoryview(data),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)


def test_image_filter_photo_and_size_selectors_work_after_set_image_and_upload():
    from convkit.widgets import samples

    lab = ImageFilterLab(size=32)
    try:
        lab.set_image(np.arange(40 * 40, dtype=np.float32).reshape(40, 40))
        assert lab.computation.x.shape[:2] == (32, 32)  # fitted to the size selector
        lab.size.value = 48
        assert lab.computation.x.shape[:2] == (48, 48)
        lab.source.value = "MRI slice"
        np.testing.assert_array_equal(lab.computation.x[..., 0], samples.mri_slice((48, 48)))
        _upload(lab, np.full((20, 20, 3), 200, np.uint8))
        assert lab.computation.x.shape[:2] == (48, 48)
        assert lab.computation.x.max() == pytest.approx(200 / 255, abs=1e-6)
        lab.source.value = "Grace Hopper"
        np.testing.assert_array_equal(lab.computation.x[..., 0],
                                      samples.grace_hopper((48, 48)))
        lab.size.value = 32
        assert lab.computation.x.shape[:2] == (32, 32)
    finally:
        lab.close()


def test_image_filter_upload_keeps_its_aspect_ratio():
    lab = ImageFilterLab(size=64)
    try:
        # 120 wide × 60 high; a white square 30×30 in the middle of the left half
        rgb = np.zeros((60, 120, 3), np.uint8)
        rgb[15:45, 15:45] = 255
        _upload(lab, rgb)
        x = lab.computation.x[..., 0]
        assert x.shape == (32, 64)  # the longer side fits the size, the shorter one follows
        rows, cols = np.nonzero(x > 0.5)
        assert rows.max() - rows.min() == cols.max() - cols.min()  # still a square
    finally:
        lab.close()


def test_to_html_reads_a_steps_generator_once():
    ex = ConvExplorer(size=4)
    try:
        page = ex.to_html(steps=(s for s in (0, 1, 3)))
        assert page.count('<img class="f"') == 3
        assert "Step 4 of 4" in page
    finally:
        ex.close()


def test_conv_explorer_with_an_array_disables_size_sliders_and_says_why():
    x = np.arange(30, dtype=np.float32).reshape(5, 6)
    ex = ConvExplorer(x=x)
    try:
        for control in (ex.height, ex.width, ex.source, ex.channels, ex.lock):
            assert control.disabled, control.description
            assert "your array" in control.tooltip
        assert "your array" in ex.toolbar.sentences.value
        assert "5×6" in ex.toolbar.sentences.value
        assert ex.computation.output.shape[:2] == (3, 4)
    finally:
        ex.close()


def test_bias_tooltip_says_what_the_op_adds_per_filter():
    ex = ConvExplorer(size=4, filters=3, bias=-1, source="random ints", seed=2)
    try:
        computation = ex.computation
        np.testing.assert_array_equal(computation.bias, [-1, 0, 1])  # b + f
        assert "b + f" in ex.bias.tooltip
        want = ops.conv(computation.x[None], computation.kernel, bias=computation.bias)[0]
        np.testing.assert_array_equal(computation.output, want)
        ex.filter_index.value = 2
        assert "bias 1" in ex.toolbar.caption.value
    finally:
        ex.close()


@pytest.mark.parametrize("pair", [("width", "height"), ("kernel_w", "kernel_h"),
                                  ("stride_w", "stride_h"), ("dilation_w", "dilation_h")])
def test_locked_axes_follow_the_w_slider_instead_of_snapping_back(pair):
    w_name, h_name = pair
    ex = ConvExplorer(size=7, kernel_size=2)
    try:
        count = ex.render_count
        getattr(ex, w_name).value = 3
        assert getattr(ex, w_name).value == 3
        assert getattr(ex, h_name).value == 3
        assert ex.render_count == count + 1
        ex.lock.value = False
        getattr(ex, w_name).value = 1
        assert getattr(ex, h_name).value == 3  # unlocked: the axes are independent
    finally:
        ex.close()


def test_image_filter_main_picture_has_a_text_alternative():
    lab = ImageFilterLab(size=32, preset="Sobel x")
    try:
        text = lab.image.tooltip
        assert text and "INPUT" in text and "OUTPUT" in text
        # the front end reads the model's description to place a tooltip: without one the
        # Image view fails to render (ipywidgets 8.1), so the state must carry it, empty
        assert lab.image.get_state()["description"] == ""
        assert "32×32" in text and "Sobel x" in text
        lab.toolbar.step.value = 5
        assert "Step 6 of" in lab.image.tooltip
    finally:
        lab.close()


@pytest.mark.parametrize("image, error, words", [
    (np.ones((4, 4, 3)), ValueError, "2-D greyscale array"),
    (np.ones((0, 5)), ValueError, "non-empty 2-D"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "NaN or infinity"),
    (np.array([["a", "b"]]), TypeError, "numeric array"),
])
def test_set_image_refuses_what_is_not_a_picture(image, error, words):
    lab = ImageFilterLab(size=32)
    try:
        with pytest.raises(error, match=f"image must be .*{words}|{words}"):
            lab.set_image(image)
        assert lab.source.value == "Grace Hopper"  # nothing changed
    finally:
        lab.close()


def test_unreadable_upload_becomes_a_banner_not_a_traceback():
    lab = ImageFilterLab(size=32)
    try:
        lab.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 5,
                             "content": memoryview(b"hello"),
                             "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
        assert "Pillow could not read" in lab.toolbar.banner.value
        assert lab.source.value == "Grace Hopper"
    finally:
        lab.close()
