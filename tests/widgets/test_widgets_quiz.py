"""Predict-then-reveal (widgets/quiz.py): parsing, checking, hiding, seeded exercises."""

import numpy as np
import pytest
from convkit.widgets import ConvExplorer
from convkit.widgets.quiz import Question, is_right, parse_answer

from convkit import ops


@pytest.mark.parametrize("text, kind, expected", [
    ("3x3", "shape", (3, 3)), ("(4, 5)", "shape", (4, 5)), (" 7 ", "shape", (7,)),
    ("3×2", "shape", (3, 2)), ("−2.5", "value", -2.5), ("-36", "value", -36.0),
    ("1e2", "value", 100.0), (".5", "value", 0.5),
])
def test_parse_answer(text, kind, expected):
    assert parse_answer(text, kind) == expected


@pytest.mark.parametrize("text, kind, message", [
    ("", "value", "Type a number"), ("seven", "shape", "Type a size"),
    ("1 2", "value", "one number"), ("2.5x3", "shape", "whole numbers"),
])
def test_parse_answer_explains_what_to_type(text, kind, message):
    with pytest.raises(ValueError, match=message):
        parse_answer(text, kind)
    with pytest.raises(ValueError, match="kind"):
        parse_answer("3", "colour")


def test_is_right_values_to_two_decimals_and_square_shapes():
    value = Question("", 1.2345, "value", "")
    assert is_right(1.23, value) and is_right(1.2345, value) and not is_right(1.25, value)
    assert is_right(7, Question("", (7, 7), "shape", ""))
    assert not is_right((7,), Question("", (7, 5), "shape", ""))
    assert not is_right((3, 3, 3), Question("", (3, 3), "shape", ""))


def test_conv_explorer_without_quiz_shows_everything():
    ex = ConvExplorer()
    try:
        assert ex.quiz.question is None and ex.view.layout.display is None
        assert ex.quiz._body.layout.display == "none"  # only the toggle shows
    finally:
        ex.close()


def test_conv_explorer_quiz_hides_value_until_answered():
    ex = ConvExplorer(size=5, kernel_size=3, quiz=True)
    try:
        q = ex.quiz
        hidden = (ex.view, ex.toolbar.caption, ex.toolbar.formula, ex.toolbar.code)
        assert all(w.layout.display == "none" for w in hidden)
        scene = ex._scene(0)
        expected = ops.conv(ex.computation.x[None], ex.computation.kernel, padding="valid",
                            bias=ex.computation.bias)[0][0, 0, 0]
        assert q.question.answer == scene.value == expected
        assert "window [1 2 3 / 6 7 8 / 11 12 13]" in q.question.prompt
        renders = ex.render_count
        assert q.submit("banana") is None  # not a number: a hint, still hidden
        assert "Type a number" in q.feedback.value and ex.view.layout.display == "none"
        assert q.submit(f"{expected + 1:g}") is False
        assert all(w.layout.display is None for w in hidden)
        assert scene.formula in q.feedback.value.replace("&#x27;", "'")  # why, with numbers
        assert ex.render_count == renders  # answering never re-renders
        ex.toolbar.step.value = 4  # next window: predict again
        assert ex.view.layout.display == "none" and q.feedback.value == ""
        assert q.submit(f"{ex._scene(4).value:g}") is True
        assert q.score == [1, 2]
        q.kind.value = "output shape"
        assert q.submit("3x3") is True and "⌊(5 − 3)/1⌋ + 1 = 3" in q.feedback.value
        q.toggle.value = False  # quiz off: everything shows
        assert ex.view.layout.display is None and q.question is None
    finally:
        ex.close()


def test_new_exercises_are_reproducible_from_the_seed():
    def exercises(seed, n=3):
        ex = ConvExplorer(quiz=True)
        try:
            ex.quiz.kind.value = "output shape"
            ex.quiz.seed.value = seed
            out = []
            for _ in range(n):
                ex.quiz.new_exercise()
                c = ex.computation
                out.append((c.in_spatial, c.config.kernel_size, c.config.strides,
                            c.config.padding, ex.quiz.question.answer))
                # the exercise's answer is the op's output shape
                assert ex.quiz.question.answer == tuple(c.output.shape[:-1])
            return out
        finally:
            ex.close()

    first = exercises(11)
    assert first == exercises(11)
    assert first != exercises(12)
    assert len({row[:4] for row in first}) > 1  # the exercises differ from each other


def test_quiz_value_exercise_answer_is_the_op_output():
    ex = ConvExplorer(quiz=True, seed=3)
    try:
        for _ in range(4):
            ex.quiz.new_exercise()
            c = ex.computation
            sc = ex._scene(ex.toolbar.step.value)
            y = ops.conv(c.x[None], c.kernel, strides=c.config.strides,
                         padding=c.config.padding, dilation_rate=c.config.dilation_rate,
                         bias=c.bias)[0]
            assert ex.quiz.question.answer == pytest.approx(float(y[sc.position + (0,)]))
            assert np.isfinite(ex.quiz.question.answer)
    finally:
        ex.close()
