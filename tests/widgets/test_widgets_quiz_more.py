"""Predict-then-reveal in TransposedConvExplorer, SeparableExplorer, ResampleExplorer and
ImageFilterLab: off by default, hides the answer, accepts the right one, explains a wrong one
with the formula in numbers, draws the same exercises from the same seed, toggles.

Every expected answer here is recomputed from convkit's ops or layers on the explorer's data,
never read back from the question."""

import re

import numpy as np
import pytest
from convkit.widgets import (
    ImageFilterLab,
    ResampleExplorer,
    SeparableExplorer,
    TransposedConvExplorer,
)

from convkit import layers, ops

CL = {"data_format": "channels_last"}


def _hidden(ex):
    """The widgets each explorer's quiz hides until the answer is in."""
    t = ex.toolbar
    if isinstance(ex, ImageFilterLab):
        return [ex.image, ex.magnifier, t.caption, t.formula]
    extra = {TransposedConvExplorer: lambda: [ex.strip], SeparableExplorer: lambda: [ex.costs],
             ResampleExplorer: lambda: [ex.taps]}[type(ex)]()
    return [ex.view, t.caption, t.formula, *extra]


# small settings, so each test builds quickly
FACTORIES = {
    "transposed": lambda **kw: TransposedConvExplorer(size=2, kernel_size=3, strides=2, **kw),
    "separable": lambda **kw: SeparableExplorer(size=5, channels=2, filters=2, **kw),
    "resample": lambda **kw: ResampleExplorer("upsample", rank=2, size=4, **kw),
    "image filter": lambda **kw: ImageFilterLab(size=32, **kw),
}


@pytest.fixture(params=sorted(FACTORIES))
def make(request):
    made = []

    def build(**kw):
        ex = FACTORIES[request.param](**kw)
        made.append(ex)
        return ex

    yield build
    for ex in made:
        ex.close()


def _cell(prompt: str) -> tuple:
    """The cell a value prompt asks about: the last "(r, c)" or bare index before "?"."""
    found = re.findall(r"\(([\d, ]+)\)|OUTPUT (\d+)\b", prompt)
    tuple_text, bare = found[-1]
    return tuple(int(v) for v in (tuple_text or bare).split(","))


_FACTOR = r"\(?−?\d+(?:\.\d+)?\)?"


def _sum_in_why(why: str) -> float:
    """Evaluate the "a·b + c·d + …" the explanation prints (its numbers, not its names)."""
    # the products, then " = " or a bias " + b = "
    products = re.search(rf"(?<![\w.])({_FACTOR}·{_FACTOR}(?: \+ {_FACTOR}·{_FACTOR})*)"
                         rf"(?=(?: \+ {_FACTOR})? =)", why)
    assert products, why
    total = 0.0
    for term in products.group(1).split(" + "):
        a, b = (float(f.strip("()").replace("−", "-")) for f in term.split("·"))
        total += a * b
    return total


# ---- what every explorer's quiz does ----
def test_quiz_is_off_by_default_and_hides_nothing(make):
    ex = make()
    q = ex.quiz
    assert q.question is None and not q.active
    assert q._body.layout.display == "none"  # only the toggle shows
    assert all(w.layout.display is None for w in _hidden(ex))
    # the panel opens the explorer, above the picture (the settings follow the picture)
    assert q.toggle in ex.children[0].children
    assert list(ex.children).index(q) < list(ex.children).index(ex.settings)


def test_quiz_true_hides_until_a_right_answer(make):
    ex = make(quiz=True)
    q = ex.quiz
    assert q.question is not None and "Predict" in q.prompt.value
    assert all(w.layout.display == "none" for w in _hidden(ex))
    renders = ex.render_count
    assert q.submit("no idea") is None  # not a number: a hint, the picture stays hidden
    assert q.feedback.value and all(w.layout.display == "none" for w in _hidden(ex))
    answer = q.question.answer
    assert q.submit(f"{answer:.6g}") is True
    assert "✓ Right" in q.feedback.value and q.score == [1, 1]
    assert all(w.layout.display is None for w in _hidden(ex))
    assert ex.render_count == renders  # answering only reveals, never re-renders
    ex.toolbar.step.value = 1  # a new picture: predict again
    assert q.feedback.value == "" and all(w.layout.display == "none" for w in _hidden(ex))


def test_every_kind_explains_a_wrong_answer(make):
    ex = make(quiz=True)
    q = ex.quiz
    for kind in q.kind.options:
        q.kind.value = kind
        question = q.question
        wrong = (tuple(a + 1 for a in question.answer) if question.kind == "shape" else
                 question.answer + 1 + question.slack)
        text = "x".join(map(str, wrong)) if question.kind == "shape" else f"{wrong:.6g}"
        assert q.submit(text) is False, kind
        feedback = q.feedback.value
        assert "Not quite" in feedback and "Why:" in feedback
        assert "=" in feedback.split("Why:")[1]  # the formula, with its numbers
        assert all(w.layout.display is None for w in _hidden(ex))


def test_toggle_turns_the_quiz_on_and_off(make):
    ex = make()
    q = ex.quiz
    q.toggle.value = True
    assert q.question is not None and all(w.layout.display == "none" for w in _hidden(ex))
    assert q._body.layout.display is None
    q.toggle.value = False
    assert q.question is None and all(w.layout.display is None for w in _hidden(ex))
    assert q._body.layout.display == "none"
    q.new_exercise()  # a new exercise turns the quiz on
    assert q.active and q.question is not None


def _exercises(make, seed, n=3) -> list:
    ex = make(quiz=True)
    q = ex.quiz
    q.seed.value = seed
    out = []
    for i in range(n):
        q.kind.value = q.kind.options[i % len(q.kind.options)]
        q.new_exercise()
        assert q.question is not None, q.prompt.value  # every exercise is a valid setting
        out.append((q.question.prompt, q.question.answer))
    return out


def test_exercises_are_reproducible_from_the_seed(make):
    first = _exercises(make, 5)
    assert first == _exercises(make, 5)
    assert first != _exercises(make, 6)
    assert len({prompt for prompt, _ in first}) == len(first)


# ---- TransposedConvExplorer ----
def _conv_transpose(ex):
    c = ex.computation
    config = c.config
    return ops.conv_transpose(c.x[None], c.kernel, config.strides, padding=config.padding,
                              output_padding=config.output_padding,
                              dilation_rate=config.dilation_rate, **CL)[0]


def test_transposed_value_is_the_sum_of_the_stamps_landing_there():
    ex = TransposedConvExplorer(size=2, kernel_size=3, strides=2, quiz=True)
    try:
        q = ex.quiz
        # ramp [1 2 / 3 4], K = 1…9: the four stamps overlap on the middle cell
        assert "What is OUTPUT (2, 2)?" in q.question.prompt
        assert q.question.answer == float(_conv_transpose(ex)[2, 2, 0]) == 36.0
        assert q.submit("35") is False
        assert ("x(0, 0)·K(2, 2) + x(0, 1)·K(2, 0) + x(1, 0)·K(0, 2) + x(1, 1)·K(0, 0) = "
                "1·9 + 2·7 + 3·3 + 4·1 = 36") in q.feedback.value
        ex.toolbar.step.value = 3  # INPUT (1, 1) stamps last: still the overlap cell
        assert q.submit("36") is True
    finally:
        ex.close()


def test_transposed_shape_includes_output_padding():
    ex = TransposedConvExplorer(size=3, kernel_size=3, strides=2, padding="same",
                                output_padding=1, quiz=True)
    try:
        q = ex.quiz
        q.kind.value = "output shape"
        assert "output_padding 1×1" in q.question.prompt
        assert q.question.answer == _conv_transpose(ex).shape[:-1] == (6, 6)
        assert q.submit("5x5") is False
        assert "(3 − 1)·2 + 1 + 1 = 6" in q.feedback.value
        ex.output_padding.value = 0  # the other size stride 2 allows: ask again
        assert q.feedback.value == "" and q.submit("5") is True
    finally:
        ex.close()


def test_transposed_exercise_values_are_the_ops_output():
    ex = TransposedConvExplorer(quiz=True)
    try:
        q = ex.quiz
        crops = set()
        for _ in range(10):
            q.new_exercise()
            y = _conv_transpose(ex)
            assert q.question.answer == pytest.approx(float(y[_cell(q.question.prompt)][0]))
            if "no stamp lands" not in q.question.why:  # the explanation adds up
                assert _sum_in_why(q.question.why) == pytest.approx(q.question.answer)
            crops.add(ex.computation.crop)
        assert any(any(c) for c in crops)  # 'same' crops were among them
    finally:
        ex.close()


# ---- SeparableExplorer ----
def test_separable_depthwise_pointwise_and_parameter_answers():
    ex = SeparableExplorer(size=5, channels=3, filters=4, quiz=True)
    try:
        q, c = ex.quiz, ex.computation
        dw = ops.depthwise_conv(c.x[None], c.depthwise_kernel, **CL)[0]
        assert q.question.kind == "value" and "Depthwise map d0" in q.question.prompt
        assert q.question.answer == float(dw[0, 0, 0])
        ex.toolbar.step.value = 4  # the maps take turns: step 4 asks about d1 = channel 1
        assert "Depthwise map d1 (input channel 1" in q.question.prompt
        assert q.question.answer == float(dw[1, 1, 1])
        assert q.submit(f"{dw[1, 1, 1] + 2:g}") is False
        assert "reads channel 1 only" in q.feedback.value

        q.kind.value = "pointwise value"
        y = ops.separable_conv(c.x[None], c.depthwise_kernel, c.pointwise_kernel,
                               bias=c.bias, **CL)[0]
        assert q.question.answer == pytest.approx(float(y[1, 1, 0]))
        assert q.submit(f"{float(y[1, 1, 0]):g}") is True

        q.kind.value = "parameters"
        separable = layers.SeparableConv2D(4, 3)
        separable.build((None, 5, 5, 3))
        plain = layers.Conv2D(4, 3)
        plain.build((None, 5, 5, 3))
        assert q.question.answer == separable.count_params() == 43
        assert q.submit("112") is False  # the full Conv2D's count, not the separable one
        why = q.feedback.value
        assert "9·3·1 + 3·1·4 + 4 = 43" in why and f"= {plain.count_params()}" in why
    finally:
        ex.close()


def test_separable_exercises_change_the_shown_channel_in_one_render():
    ex = SeparableExplorer(quiz=True)
    try:
        q = ex.quiz
        q.kind.value = "pointwise value"
        for _ in range(4):
            renders = ex.render_count
            q.new_exercise()
            assert ex.render_count - renders <= 2  # the recompute, then the step/channel
            c = ex.computation
            y = ops.separable_conv(c.x[None], c.depthwise_kernel, c.pointwise_kernel,
                                   strides=c.config.strides, padding=c.config.padding,
                                   bias=c.bias if c.config.use_bias else None, **CL)[0]
            cell = _cell(q.question.prompt.split(" channel")[0] + "?")
            assert q.question.answer == pytest.approx(
                float(y[cell + (ex.filter_index.value,)]))
            assert f"channel {ex.filter_index.value}?" in q.question.prompt
            bias = float(c.bias[ex.filter_index.value]) if c.config.use_bias else 0.0
            assert _sum_in_why(q.question.why) + bias == pytest.approx(q.question.answer), \
                q.question.why
    finally:
        ex.close()


# ---- ResampleExplorer ----
def test_resample_bilinear_value_and_crop_shape():
    ex = ResampleExplorer("upsample", rank=2, size=4, interpolation="bilinear", quiz=True)
    try:
        q = ex.quiz
        ex.toolbar.step.value = 1 * 8 + 2  # OUTPUT (1, 2)
        y = ops.upsample(ex.computation.x[None], 2, interpolation="bilinear", **CL)[0]
        assert "OUTPUT (1, 2)" in q.question.prompt
        assert q.question.answer == float(y[1, 2, 0]) == 2.75  # ramp: 1 + 4·0.25 + 0.75
        assert q.submit("3") is False
        assert "u = (1 + 0.5)/2 − 0.5 = 0.25; u = (2 + 0.5)/2 − 0.5 = 0.75" in q.feedback.value
        assert "0.5625·x(0, 1)" in q.feedback.value  # weights to 4 decimals, not 0.56
    finally:
        ex.close()
    ex = ResampleExplorer("crop", rank=2, size=5, before=1, after=2, quiz=True)
    try:
        q = ex.quiz
        q.kind.value = "output shape"
        y = ops.crop(ex.computation.x[None], ((1, 2), (1, 2)), **CL)[0]
        assert q.question.answer == y.shape[:-1] == (2, 2)
        assert q.submit("3x3") is False and "5 − 1 − 2 = 2" in q.feedback.value
    finally:
        ex.close()


def test_resample_photo_value_prints_its_neighbourhood():
    ex = ResampleExplorer("upsample", source="Grace Hopper", quiz=True)
    try:
        q = ex.quiz
        scene = ex._scene(ex.toolbar.step.value)
        x = ex.computation.x
        y = ops.upsample(x[None, ..., None], 2, interpolation="bilinear", **CL)[0, ..., 0]
        assert q.question.answer == pytest.approx(float(y[scene.position]))
        assert "(of 32×32)" in q.question.prompt  # not all 1024 pixels
        # the shown pixels are rounded: their weighted sum is accepted, a bit more is not
        shown = sum(w * round(float(x[i]), 2) for i, w in scene.taps)
        assert q.submit(f"{shown + q.question.slack + 0.02:.6g}") is False
        q.ask()
        assert q.submit(f"{shown:.6g}") is True
    finally:
        ex.close()


def test_resample_exercise_values_are_the_ops_output():
    ex = ResampleExplorer(quiz=True)
    try:
        q = ex.quiz
        for _ in range(6):
            q.new_exercise()
            c = ex.computation
            config = c.config
            x = c.x[None]
            y = (ops.crop(x, config.amounts, **CL) if config.operation == "crop" else
                 ops.zero_pad(x, config.amounts, **CL) if config.operation == "pad" else
                 ops.upsample(x, config.size, interpolation=config.interpolation, **CL))[0]
            cell = _cell(q.question.prompt.replace(" (indices from 0)", ""))
            assert q.question.answer == pytest.approx(float(y[cell + (0,)]))
    finally:
        ex.close()


# ---- ImageFilterLab ----
def test_image_filter_value_from_the_patch_and_kernel():
    lab = ImageFilterLab(size=32, preset="Sobel x", quiz=True)
    try:
        q = lab.quiz
        lab.toolbar.step.value = 5 * 32 + 7  # feature map cell (5, 7)
        c = lab.computation
        kernel = lab.kernel()
        y = ops.conv(c.x[None], kernel[..., None, None], padding="same", **CL)[0]
        assert "Feature map cell (5, 7)" in q.question.prompt
        assert q.question.answer == pytest.approx(float(y[5, 7, 0]))
        # the prompt prints the pixels to 2 decimals: their sum of products is accepted
        patch = np.pad(c.x[..., 0], 1)[5:8, 7:10]
        shown = float(np.sum(np.round(patch, 2) * kernel))
        assert q.submit(f"{shown + q.question.slack + 0.02:.6g}") is False
        assert "from the numbers shown" in q.feedback.value
        assert f"gives {float(y[5, 7, 0]):.4g}" in q.feedback.value
        q.ask()
        assert q.submit(f"{shown:.6g}") is True
    finally:
        lab.close()


def test_image_filter_kernel_weights_keep_four_decimals_and_relu():
    lab = ImageFilterLab(size=32, preset="Gaussian", quiz=True)
    try:
        q = lab.quiz
        assert "0.0625" in q.question.prompt and "0.125" in q.question.prompt
        lab.relu.value = True
        lab.preset.value = "Sobel y"
        c = lab.computation
        y = ops.conv(c.x[None], lab.kernel()[..., None, None], padding="same",
                     activation="relu", **CL)[0]
        cell = _cell(q.question.prompt.split(" (3×3")[0] + "?")
        assert ", then ReLU" in q.question.prompt
        assert q.question.answer == pytest.approx(float(y[cell + (0,)]))
        assert q.question.answer >= 0
    finally:
        lab.close()


def test_image_filter_size_question_and_exercise_presets():
    lab = ImageFilterLab(size=32, quiz=True)
    try:
        q = lab.quiz
        q.kind.value = "output size"
        lab.stride.value = 2
        lab.padding.value = "valid"
        y = ops.conv(lab.computation.x[None], lab.kernel()[..., None, None], strides=2, **CL)[0]
        assert q.question.answer == y.shape[:-1] == (15, 15)
        assert q.submit("16") is False and "⌊(32 − 3)/2⌋ + 1 = 15" in q.feedback.value
        from convkit.widgets.scene.filters import kernel_for

        for _ in range(4):
            renders = lab.render_count
            q.new_exercise()
            assert lab.render_count - renders <= 2  # one recompute, one step render
            # the exercise's preset is applied at its kernel size (the weights are its own)
            np.testing.assert_allclose(
                lab.kernel(), np.round(kernel_for(lab.preset.value, lab.kernel_size.value), 4),
                atol=1e-6)
            assert q.question.answer == lab.computation.out_spatial
            q.kind.value = "feature map value"
            question = q.question
            total = _sum_in_why(question.why)
            if lab.relu.value:
                total = max(total, 0.0)
            assert abs(total - question.answer) <= question.slack + 1e-6
            q.kind.value = "output size"
    finally:
        lab.close()
