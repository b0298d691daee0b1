"""Predict-then-reveal: a quiz panel any explorer can carry (``quiz=True`` and a toggle).

While the quiz is on, the explorer's revealing widgets (the picture, the caption, the formula)
are hidden and a question takes their place, with the numbers needed to answer it in text.
The student types an answer and presses Enter (or "check"): the panel says right or wrong and
why — the formula with the numbers — and reveals the picture. Any new picture (a step, a
slider) asks again. "new exercise" draws new settings from ``default_rng([seed, n])``, so the
n-th exercise of a seed is the same for every student.

An explorer supplies two functions: ``ask(kind) -> Question`` for its current state, and
``exercise(rng)``, which sets its controls to a random exercise.
"""

import html
import re
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from .toolbar import labelled

_NUMBER = re.compile(r"[-−]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[-−]?\.\d+")


@dataclass
class Question:
    """One exercise.

    Attributes
    ----------
    prompt : str
        What to predict, with every number needed to answer (the picture is hidden).
    answer : float or tuple of int
        A number (``kind="value"``) or a shape / per-axis sizes (``kind="shape"``).
    kind : {"value", "shape"}
    why : str
        The explanation shown after answering: the formula with the numbers.
    slack : float
        Extra absolute tolerance of a ``value`` answer when the prompt shows rounded numbers
        (a photo's pixels to two decimals): the distance between the exact answer and the
        one the shown numbers give (see :func:`rounding_slack`).
    """

    prompt: str
    answer: object
    kind: str
    why: str
    slack: float = 0.0


def parse_answer(text: str, kind: str):
    """The student's text as a float (``value``) or a tuple of ints (``shape``).

    Shapes may be typed ``3x3``, ``3×3``, ``(3, 3)`` or ``3 3``. Raises ``ValueError`` with a
    hint for text that holds no number.

    Examples
    --------
    >>> parse_answer(" (3, 4) ", "shape"), parse_answer("−2.5", "value")
    ((3, 4), -2.5)
    """
    if kind not in ("value", "shape"):
        raise ValueError(f"`kind` must be 'value' or 'shape'. Received: {kind!r}")
    numbers = [m.replace("−", "-") for m in _NUMBER.findall(str(text))]
    if not numbers:
        raise ValueError("Type a number such as 3 or −2.5." if kind == "value" else
                         "Type a size such as 3 or a shape such as 3x3.")
    if kind == "value":
        if len(numbers) != 1:
            raise ValueError("Type one number.")
        return float(numbers[0])
    if any("." in n or "e" in n.lower() for n in numbers):
        raise ValueError("Sizes are whole numbers: type a shape such as 3x3.")
    return tuple(int(n) for n in numbers)


def is_right(given, question: Question) -> bool:
    """Whether ``given`` (from :func:`parse_answer`) answers ``question``.

    Values match to the two decimals the cells print; a shape typed as one number matches a
    shape whose axes are all that number (``7`` for 7×7).

    Examples
    --------
    >>> square, wide = Question("", (7, 7), "shape", ""), Question("", (7, 5), "shape", "")
    >>> is_right(7, square), is_right((7,), wide)
    (True, False)
    """
    if question.kind == "value":
        expected = float(question.answer)
        return abs(float(given) - expected) <= 0.006 + 1e-4 * abs(expected) + question.slack
    expected = tuple(int(a) for a in question.answer)
    given = tuple(given) if isinstance(given, (tuple, list)) else (int(given),)
    if len(given) == 1 and len(expected) > 1:
        given = given * len(expected)
    return given == expected


class Quiz(W.VBox):
    """The quiz panel: toggle, question kind, question, answer box, feedback, new exercise.

    Parameters
    ----------
    owner : Explorer
        Makes (and later closes) every widget; its ``view`` is watched for new pictures.
    ask : callable
        ``ask(kind) -> Question`` for the explorer's current state.
    exercise : callable
        ``exercise(rng)`` sets the explorer's controls to a new exercise.
    kinds : sequence of str
        The question kinds offered (labels of a toggle), passed to ``ask``.
    hides : sequence of Widget
        Shown only once the question is answered (the picture, caption, formula, ...).
    enabled : bool
        Start with the quiz on.
    seed : int
        Seed of the exercises.

    Attributes
    ----------
    question : Question or None
        The open question (None while the quiz is off).
    score : list
        ``[right, answered]``.
    """

    def __init__(self, owner, ask, exercise, kinds, hides, *, enabled: bool = False,
                 seed: int = 0):
        self._ask, self._exercise, self._hides = ask, exercise, list(hides)
        self.question = None
        self.revealed = False
        self.score = [0, 0]
        self._exercises = 0
        m = owner.make
        self.toggle = labelled(owner, W.ToggleButton, "quiz: predict first",
                               "hide the answer until you have typed your prediction",
                               value=bool(enabled), layout=W.Layout(width="190px"))
        self.kind = labelled(owner, W.ToggleButtons, "ask", "what you predict",
                             options=list(kinds), value=kinds[0],
                             layout=W.Layout(width="auto"))
        self.seed = labelled(owner, W.BoundedIntText, "quiz seed",
                             "the same seed gives every student the same exercises",
                             min=0, max=9999, value=seed, layout=W.Layout(width="160px"))
        self.prompt = m(W.HTML, value="")
        self.answer = labelled(owner, W.Text, "your answer", "type it, then press Enter",
                               value="", continuous_update=False, placeholder="e.g. 3 or 3x3",
                               layout=W.Layout(width="260px"))
        self.check = m(W.Button, description="check", tooltip="check your answer",
                       layout=W.Layout(width="80px"))
        self.new = m(W.Button, description="new exercise",
                     tooltip="random settings from the quiz seed",
                     layout=W.Layout(width="120px"))
        self.feedback = m(W.HTML, value="")
        self.toggle.observe(self._on_toggle, "value")
        self.kind.observe(lambda _: self.ask(), "value")
        self.answer.observe(lambda _: self._check(), "value")
        self.check.on_click(lambda _: self.submit())
        self.new.on_click(lambda _: self.new_exercise())
        self.seed.observe(self._on_seed, "value")
        owner.view.observe(self._on_picture, "value")
        image = getattr(owner, "image", None)
        if image is not None:
            image.observe(self._on_picture, "value")
        self._body = m(W.VBox, [
            m(W.HBox, [self.kind, self.seed, self.new], layout=W.Layout(flex_flow="row wrap")),
            self.prompt,
            m(W.HBox, [self.answer, self.check], layout=W.Layout(flex_flow="row wrap")),
            self.feedback])
        super().__init__([self.toggle, self._body])
        owner._owned.append(self)
        self._sync_visibility()

    # ---- state ----
    @property
    def active(self) -> bool:
        """True while the quiz is on."""
        return bool(self.toggle.value)

    def _on_toggle(self, change):
        if self.active:
            self.ask()
        else:
            self.question = None
            self.revealed = False
        self._sync_visibility()

    def _on_seed(self, change):
        self._exercises = 0

    def _on_picture(self, change):
        # a new picture (step, slider, exercise) is a new question: predict again
        if self.active:
            self.ask()

    def _sync_visibility(self):
        hide = self.active and not self.revealed
        for w in self._hides:
            w.layout.display = "none" if hide else None
        self._body.layout.display = None if self.active else "none"

    def ask(self):
        """Pose the question for the explorer's current state; hide the answer."""
        if not self.active:
            return
        try:
            self.question = self._ask(self.kind.value)
        except (ValueError, AttributeError, TypeError) as exc:
            # invalid settings leave nothing to ask about (the banner says why)
            self.question = None
            self.prompt.value = f"<p>No question for these settings: {html.escape(str(exc))}</p>"
        else:
            self.prompt.value = f'<p aria-live="polite"><b>Predict:</b> ' \
                                f'{html.escape(self.question.prompt)}</p>'
        self.revealed = False
        self.feedback.value = ""
        self.answer.value = ""  # its observer sees no answer and does nothing
        self._sync_visibility()

    def submit(self, text: str | None = None) -> bool | None:
        """Check ``text`` (default: what the answer box holds). Returns True/False, or None
        when the text is not an answer (the hint says what to type) or nothing is asked."""
        if text is not None and text != self.answer.value:
            self.answer.value = text  # the box's observer checks it
        else:
            self._check()
        return self._last

    def _check(self):
        if self.revealed:  # answered already: a second click changes nothing
            return
        self._last = None
        if not self.active or self.question is None or not self.answer.value.strip():
            return
        q = self.question
        try:
            given = parse_answer(self.answer.value, q.kind)
        except ValueError as exc:
            self.feedback.value = f'<p role="alert">{html.escape(str(exc))}</p>'
            return
        right = is_right(given, q)
        self.score[0] += right
        self.score[1] += 1
        shown = ("×".join(map(str, q.answer)) if q.kind == "shape" else
                 f"{float(q.answer):.6g}")
        verdict = ("✓ Right" if right else f"✗ Not quite: the answer is {shown}")
        colour = "#009E73" if right else "#D55E00"
        self.feedback.value = (
            f'<div role="status" style="border-left:6px solid {colour};padding:4px 8px">'
            f"<b>{html.escape(verdict)}</b> (score {self.score[0]}/{self.score[1]})<br>"
            f'<span style="font-family:monospace">Why: {html.escape(q.why)}</span></div>')
        self.revealed = True
        self._sync_visibility()
        self._last = right

    _last = None

    def new_exercise(self):
        """Set the explorer to exercise number n of the seed (reproducible), then ask."""
        rng = np.random.default_rng([int(self.seed.value), self._exercises])
        self._exercises += 1
        if not self.active:
            self.toggle.value = True
        self._exercise(rng)
        self.ask()


def conv_quiz(explorer, enabled: bool = False, seed: int = 0, also_hide=()) -> Quiz:
    """The quiz of :class:`~convkit.widgets.ConvExplorer`: predict the output shape or the
    value of the current output cell; ``also_hide``: more widgets that show the answer."""
    t = explorer.toolbar
    return Quiz(explorer, lambda kind: _conv_question(explorer, kind),
                lambda rng: _conv_exercise(explorer, rng), ("output value", "output shape"),
                [explorer.view, t.caption, t.formula, t.sentences, t.code, *also_hide],
                enabled=enabled, seed=seed)


def _grid_text(a, text=None) -> str:
    """A 1-D, 2-D or 3-D array as prompt text: rows split by " / ", depth slices by " | ";
    each number written by ``text`` (default the cells' own ``fmt``)."""
    a = np.asarray(a, dtype=np.float64)
    if text is None:
        from .scene.text import fmt as text

    if a.ndim == 1:
        return "[" + " ".join(text(v) for v in a) + "]"
    if a.ndim == 3:
        return " | ".join(_grid_text(depth, text) for depth in a)
    return "[" + " / ".join(" ".join(text(v) for v in row) for row in a) + "]"


def weight_text(value) -> str:
    """A kernel weight as a prompt prints it: up to 4 decimals, so 1/16 reads 0.0625 (the
    cells' two-decimal labels would print 0.06 and make the arithmetic wrong)."""
    v = float(np.round(float(value), 4))
    return f"{v:g}" if v != 0 else "0"


def as_shown(a, text=None) -> np.ndarray:
    """The numbers of ``a`` as a prompt prints them (``text``, default ``fmt``), read back:
    what a student computes with."""
    if text is None:
        from .scene.text import fmt as text
    a = np.asarray(a, dtype=np.float64)
    return np.array([float(text(v)) for v in a.ravel()], dtype=np.float64).reshape(a.shape)


def rounding_slack(exact: float, from_shown: float) -> float:
    """How far the answer computed from a prompt's rounded numbers lies from the exact one
    (convkit's op on the real data): the extra tolerance a :class:`Question` grants, so a
    student who multiplies the printed two-decimal pixels is right, and no more."""
    return float(abs(float(exact) - float(from_shown)))


def products_text(left, right, text_left=None, text_right=None) -> str:
    """``"a·b + c·d + …"`` with negative factors parenthesised, numbers as the prompt shows
    them."""
    from .scene.text import fmt

    def factor(v, text):
        t = (text or fmt)(v)
        return f"({t.replace('-', '−')})" if t.startswith("-") else t

    return " + ".join(f"{factor(a, text_left)}·{factor(b, text_right)}"
                      for a, b in zip(np.ravel(left), np.ravel(right), strict=True))


def _conv_question(explorer, kind: str) -> Question:
    computation = explorer.computation
    if computation is None:
        raise ValueError("the settings are not valid")
    config = computation.config
    if kind == "output shape":
        n = "×".join(map(str, computation.in_spatial))
        return Question(
            prompt=(f"INPUT {n}, kernel {'×'.join(map(str, config.kernel_size))}, stride "
                    f"{'×'.join(map(str, config.strides))}, dilation "
                    f"{'×'.join(map(str, config.dilation_rate))}, padding '{config.padding}'"
                    + (f" (p = {config.explicit_pad})" if config.padding == "explicit" else "")
                    + ": what is the OUTPUT's shape?"),
            answer=tuple(computation.out_spatial), kind="shape",
            why="; ".join(computation.shape_formula()))
    scene = explorer._scene(explorer.toolbar.step.value)
    f = scene.filter_index
    window = scene.padded[np.ix_(*scene.window, np.arange(scene.padded.shape[-1]))]
    channels = [f"channel {c}: window {_grid_text(window[..., c])} · kernel "
                f"{_grid_text(scene.kernel[..., c, f])}" for c in range(window.shape[-1])]
    bias = f" + bias {scene.bias[f]:g}" if config.use_bias else ""
    return Question(
        prompt=(f"OUTPUT {tuple(scene.position)}: " + "; ".join(channels) + bias
                + " — what number comes out? (multiply cell by cell, add up)"),
        answer=scene.value, kind="value", why=scene.formula)


def _conv_exercise(explorer, rng):
    ex = explorer
    size = int(rng.integers(3, 9))
    k = int(rng.integers(1, 5))
    padding = str(rng.choice(["valid", "same"]))
    dilated = rng.random() < 0.25
    s = 1 if dilated else int(rng.integers(1, 4))
    d = int(rng.integers(2, 3)) if dilated else 1
    if padding == "valid":
        k = min(k, max(1, (size - 1) // d + 1))
    with ex.hold_sync():
        ex._busy = True
        try:
            ex.preset.value = "(custom)"
            ex.rank.value = 2
            ex.lock.value = True
            ex.source.value = "random ints"
            ex.seed.value = int(rng.integers(0, 100))
            for control, value in ((ex.height, size), (ex.width, size), (ex.kernel_h, k),
                                   (ex.kernel_w, k), (ex.stride_h, s), (ex.stride_w, s),
                                   (ex.dilation_h, d), (ex.dilation_w, d),
                                   (ex.padding, padding)):
                control.value = value
        finally:
            ex._busy = False
        ex._on_param(None)
        ex.toolbar.step.value = int(rng.integers(0, ex.toolbar.step.max + 1))


__all__ = ["Question", "Quiz", "parse_answer", "is_right", "conv_quiz", "as_shown",
           "rounding_slack", "products_text", "weight_text"]
