"""TrainingLab: a Conv2D (one 3×3 filter, no bias) learning a known kernel from photos, live.

Training is convkit's own ``model.fit`` (a callback records each epoch's loss and redraws) and
``train_on_batch`` for "step one batch". To keep a notebook responsive it never runs one long
blocking ``fit``: an ipywidgets ``Play`` ticks in the browser and every tick trains one small
chunk (``epochs per frame`` epochs of three batches) and redraws the kernel grid, the feature
map and the loss curve in the *same* ``HTML`` widget. Pausing the ``Play`` stops the ticks; a
tick that arrives while paused trains nothing. Every run starts from the seeded kernel, so the
lab is deterministic (tests drive it tick by tick).
"""

import html

import ipywidgets as W
import numpy as np

from convkit import ops

from ..quiz import Question, Quiz, _grid_text
from ..render.training import training_rgb, training_svg
from ..scene.text import fmt
from ..scene.training import OPTIMIZERS, PHOTOS, TARGETS, TrainingRun
from ..toolbar import Owner, labelled
from .base import dropdown_row

#: Ticks a Play run may last (one chunk each); the Play stops by itself at the end.
MAX_TICKS = 1000


class TrainingLab(W.VBox, Owner):
    """Watch a convolution learn a kernel by gradient descent.

    Parameters
    ----------
    target : str, default "Sobel x"
        The kernel to learn, one of :data:`~convkit.widgets.scene.training.TARGETS`.
    optimizer : str, default "SGD + momentum"
        "SGD + momentum", "SGD", "Adam" or "RMSprop".
    learning_rate : float, optional
        Default: the optimizer's default.
    epochs_per_frame : int, default 1
        Epochs (of three batches) trained per Play tick.
    seed : int, default 0
        Seeds the starting kernel.
    size : int, default 48
        Photo side (48: a chunk + redraw stays well under 50 ms).
    cell : int, default 34
        Cell size in pixels of the kernels drawn (larger for projectors).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`).

    Attributes
    ----------
    run : TrainingRun
        The model, photos and loss curve.
    render_count : int
        How many redraws ran.

    Raises
    ------
    ValueError
        For a ``target`` or ``optimizer`` not among the choices above, a ``learning_rate``
        that is not a positive number, or a ``size`` below 3.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> lab = TrainingLab(target="Sobel y", size=16)  # small photos keep it quick
    >>> lab.train_chunk()  # what one Play tick does: one epoch of three batches
    >>> lab.run.epochs
    1
    >>> lab.close()  # releases every widget it made
    """

    def __init__(self, target: str = "Sobel x", optimizer: str = "SGD + momentum",
                 learning_rate: float | None = None, *, epochs_per_frame: int = 1,
                 seed: int = 0, size: int = 48, cell: int = 34, quiz: bool = False):
        self._init_owner()
        self.render_count = 0
        self._busy = False
        self.cell = cell
        # validates target, optimizer, learning rate and size with plain messages
        self.run = TrainingRun(target, optimizer, learning_rate, seed=seed, size=size)
        lab = self._labelled
        self.target = lab(W.Dropdown, "learn", "the known kernel the conv must discover",
                          options=TARGETS, value=target)
        self.optimizer = lab(W.Dropdown, "optimizer", "how each gradient step is taken",
                             options=tuple(OPTIMIZERS), value=optimizer)
        self.learning_rate = lab(W.BoundedFloatText, "learning rate",
                                 "step size; too large and the loss blows up", min=1e-4,
                                 max=1.0, step=0.01, value=self.run.learning_rate)
        self.seed = lab(W.BoundedIntText, "seed", "the starting kernel: default_rng(seed)",
                        min=0, max=9999, value=seed)
        self.photo = lab(W.Dropdown, "show photo", "whose feature map is drawn",
                         options=[(name, i) for i, name in enumerate(PHOTOS)], value=0)
        self.chunk = lab(W.BoundedIntText, "epochs per frame", "training per Play tick",
                         min=1, max=20, value=epochs_per_frame)
        self.play = self.make(W.Play, value=0, min=0, max=MAX_TICKS, step=1, interval=150,
                              description="train", tooltip="Play: train live / Pause",
                              show_repeat=False)
        self.step_button = self.make(W.Button, description="step one batch",
                                     tooltip="one train_on_batch on the next photo",
                                     layout=W.Layout(width="130px"))
        self.reset_button = self.make(W.Button, description="reset",
                                      tooltip="back to the seeded start kernel",
                                      layout=W.Layout(width="80px"))
        self.contrast = self.make(W.Checkbox, value=False, description="high contrast",
                                  tooltip="projector mode: black text, thicker outlines",
                                  indent=False, layout=W.Layout(width="130px"))
        self.view = self.make(W.HTML, value="")
        self.status = self.make(W.HTML, value="")
        self.badges = self.make(W.HTML, value="")
        self.caption = self.make(W.HTML, value="")
        self.sentences = self.make(W.HTML, value="")
        self.code = self.make(W.HTML, value="")
        for c in (self.target, self.learning_rate, self.seed):
            c.observe(self._on_setting, "value")
        self.optimizer.observe(self._on_optimizer, "value")
        for c in (self.photo, self.contrast):
            c.observe(lambda _: self._user_action(self._render), "value")
        self.play.observe(self._on_tick, "value")
        self.step_button.on_click(lambda _: self.step_batch())
        self.reset_button.on_click(lambda _: self.reset())
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.target, self.optimizer, self.learning_rate, self.seed),
            m(dropdown_row, self.play, self.step_button, self.reset_button, self.chunk,
              self.photo, self.contrast)])
        self.quiz = Quiz(self, self._question, self._exercise, ("feature map value",),
                         [self.view, self.caption], enabled=quiz, seed=seed)
        self._quiz_cell = (self.run.size // 2, self.run.size // 2)
        super().__init__([controls, self.quiz, self.status, self.view, self.badges,
                          self.caption, self.sentences, self.code])
        self._user_action(self._render)

    def _labelled(self, cls, description, tooltip, **kwargs):
        return labelled(self, cls, description, tooltip, layout=W.Layout(width="auto"),
                        **kwargs)

    def _user_action(self, work):
        if self._busy:
            return
        self._busy = True
        try:
            with self.hold_sync():
                work()
        finally:
            self._busy = False

    # ---- training ----
    def _on_tick(self, change):
        # the browser's Play moves value forward while playing; reset rewinds it to 0
        if change["new"] > change["old"] and self.play.playing:
            self.train_chunk()

    def train_chunk(self):
        """One frame of live training: ``fit`` for ``epochs per frame`` epochs, redraw.
        Stops the Play when the loss is no longer finite (too large a learning rate)."""
        def work():
            self.run.fit_epochs(int(self.chunk.value))
            if not np.isfinite(self.run.curve[-1][1]):
                self.play.playing = False
            self._render()
        self._user_action(work)

    def step_batch(self) -> float:
        """One ``train_on_batch`` on the next photo (pauses Play first); returns its loss."""
        out = []

        def work():
            self.play.playing = False
            out.append(self.run.step_batch())
            self._render()
        self._user_action(work)
        return out[0] if out else float("nan")

    def pause(self):
        """Stop live training (what Play's pause button does in the browser)."""
        self.play.playing = False

    def reset(self):
        """Stop, and go back to the seeded start: same kernel, fresh optimizer, no curve."""
        def work():
            self.play.playing = False
            self.play.value = 0
            self.run.reset()
            self._render()
        self._user_action(work)

    def _on_optimizer(self, change):
        # each optimizer has its own sensible step size: take it (the user may edit it
        # after), then one new run (the rate's own observer is held off by _user_action)
        def work():
            self.learning_rate.value = OPTIMIZERS[change["new"]]
            self._new_run()
        self._user_action(work)

    def _on_setting(self, change):
        # a new target, optimizer, rate or seed is a new run from the seeded start
        self._user_action(self._new_run)

    def _new_run(self):
        """Stop and start over with the controls' settings (called inside one action)."""
        self.play.playing = False
        self.play.value = 0
        self.run = TrainingRun(self.target.value, self.optimizer.value,
                               float(self.learning_rate.value), seed=int(self.seed.value),
                               size=self.run.size)
        self._render()

    # ---- drawing ----
    def scene(self):
        """The current :class:`~convkit.widgets.scene.training.TrainingScene`."""
        return self.run.scene(int(self.photo.value))

    def _render(self):
        scene = self.scene()
        self.view.value = training_svg(scene, cell=self.cell, contrast=self.contrast.value)
        self.badges.value = "".join(
            f'<p role="status" style="margin:2px 0;font-weight:bold;color:'
            f'{"#00704F" if b.ok else "#B34700"}">{html.escape(b.text)}</p>'
            for b in scene.badges)
        self.caption.value = f'<p aria-live="polite">{html.escape(scene.caption)}</p>'
        self.sentences.value = "".join(f"<p>{html.escape(s)}</p>" for s in scene.sentences)
        self.code.value = ("<pre style='background:#F4F4F4;padding:4px'>"
                           + html.escape(self.run.code()) + "</pre>")
        self.status.value = (
            f"<b>loss now {f'{scene.loss:.4g}' if np.isfinite(scene.loss) else 'not finite'}"
            f"</b> (model.evaluate over the 3 photos) · epoch {self.run.epochs} · batch "
            f"{self.run.batches}" + ("" if np.isfinite(scene.loss) else
                                     " — diverged: lower the learning rate and reset"))
        self.render_count += 1

    def frame(self, step=None):
        """RGB frame (uint8) of the current state, as the widget draws it."""
        return training_rgb(self.scene(), cell=self.cell, contrast=self.contrast.value)

    # ---- quiz ----
    def _question(self, kind: str) -> Question:
        r, c = self._quiz_cell
        photo = int(self.photo.value)
        padded = np.pad(self.run.photos[photo, :, :, 0], 1)
        patch = np.round(padded[r:r + 3, c:c + 3], 2)
        kernel = np.round(self.run.kernel(), 2)
        # the answer is convkit's conv of exactly the rounded numbers shown
        value = float(np.asarray(ops.conv(patch[None, :, :, None].astype(np.float32),
                                          kernel[:, :, None, None].astype(np.float32)))
                      .reshape(-1)[0])
        terms = " + ".join(f"{fmt(a)}·{fmt(b)}" for a, b in zip(patch.ravel(), kernel.ravel(),
                                                                 strict=True))
        return Question(
            prompt=(f"The learned kernel is now {_grid_text(kernel)}; the photo's 3×3 patch "
                    f"around pixel ({r}, {c}) is {_grid_text(patch)}. What is the learned "
                    "OUTPUT at that pixel? (multiply cell by cell, add up: no bias)"),
            answer=value, kind="value", why=f"{terms} = {fmt(value)}")

    def _exercise(self, rng):
        n = self.run.size
        self._quiz_cell = (int(rng.integers(0, n)), int(rng.integers(0, n)))
        self.photo.value = int(rng.integers(0, len(PHOTOS)))

    # ---- lifetime ----
    def close(self):
        """Close every widget this lab made, with their layouts and styles."""
        self.close_owned()
        self.layout.close()
        super().close()


__all__ = ["TrainingLab", "MAX_TICKS"]
