"""The shared toolbar: ⏮ · ▶/⏸ · ⏭, step and speed sliders, caption, formula, code, banner.

Core ipywidgets only, so it works in JupyterLab, Notebook 7, Voila, VS Code and Colab offline.
``Play`` is ``jslink``-ed to the step slider (smooth in the browser; the kernel only observes
the slider); in Colab, where ``jslink`` has been unreliable, a kernel-side ``link`` is used.
"""

import html
import sys

import ipywidgets as W


class Owner:
    """Create widgets through :meth:`make` so :meth:`close_owned` can release every one of
    them together with its ``Layout`` and style objects (``Widget.close`` alone leaves those
    in the registry)."""

    def _init_owner(self):
        self._owned = []

    def make(self, cls, *args, **kwargs):
        w = cls(*args, **kwargs)
        self._owned.append(w)
        return w

    def close_owned(self):
        # an explorer whose constructor raised before _init_owner is still closed by
        # Widget.__del__: it owns nothing then
        for w in reversed(getattr(self, "_owned", ())):
            for extra in (getattr(w, "layout", None), getattr(w, "style", None)):
                if isinstance(extra, W.Widget):
                    extra.close()
            w.close()
        self._owned = []


class Toolbar(W.VBox):
    """Step controls and the text readouts every explorer shows.

    Attributes: ``play``, ``step`` (the slider the kernel observes), ``prev``, ``next``,
    ``speed`` (ms per frame), ``caption`` (the plain-text twin of the SVG ``aria-label``),
    ``formula``, ``code``, ``banner`` (errors, hidden when empty), ``sentences``.

    Examples
    --------
    >>> owner = Owner()
    >>> owner._init_owner()
    >>> bar = Toolbar(owner)
    >>> bar.step.min, bar.play.value
    (0, 0)
    >>> owner.close_owned()
    """

    def __init__(self, owner: Owner, step_label: str = "step"):
        m = owner.make
        # Play is off by default: no motion until the user presses it
        self.play = m(W.Play, value=0, min=0, max=0, step=1, interval=700,
                      description="Play", show_repeat=True, tooltip="Play / pause")
        self.step = m(W.IntSlider, value=0, min=0, max=0, description=step_label,
                      continuous_update=True, style={"description_width": "initial"},
                      layout=W.Layout(width="280px"))
        self.prev = m(W.Button, description="◀ prev", tooltip="previous step",
                      layout=W.Layout(width="80px"))
        self.next = m(W.Button, description="next ▶", tooltip="next step",
                      layout=W.Layout(width="80px"))
        self.speed = m(W.IntSlider, value=700, min=100, max=2000, step=100,
                       description="ms/frame", style={"description_width": "initial"},
                       layout=W.Layout(width="220px"))
        if "google.colab" in sys.modules:
            self._links = [m(W.link, (self.play, "value"), (self.step, "value")),
                           m(W.link, (self.speed, "value"), (self.play, "interval"))]
        else:
            self._links = [m(W.jslink, (self.play, "value"), (self.step, "value")),
                           m(W.jslink, (self.speed, "value"), (self.play, "interval"))]
        # projector mode: bigger, black-on-white text, thicker outlines (every explorer)
        self.contrast = m(W.Checkbox, value=False, description="high contrast",
                          tooltip="projector mode: larger black text, thicker outlines",
                          indent=False, layout=W.Layout(width="130px"))
        self.banner = m(W.HTML, value="", layout=W.Layout(display="none"))
        self.caption = m(W.HTML, value="")
        self.formula = m(W.HTML, value="")
        self.sentences = m(W.HTML, value="")
        self.code = m(W.HTML, value="")
        self.prev.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        # one line at 1024 px (step 280 + speed 220 px): the picture starts right under it
        row = m(W.HBox, [self.prev, self.play, self.next, self.step, self.speed,
                         self.contrast], layout=W.Layout(flex_flow="row wrap"))
        super().__init__([row])
        owner._owned.append(self)

    def _move(self, delta: int):
        self.step.value = min(max(self.step.value + delta, self.step.min), self.step.max)

    def set_range(self, n_steps: int):
        """Set the step range to 0 … n_steps − 1 (the caller guards re-entrancy)."""
        top = max(n_steps - 1, 0)
        if self.step.value > top:
            self.step.value = top
        self.step.max = top
        self.play.max = top

    def show_error(self, message: str, explanation: str):
        """Red banner: the op's own message plus a plain sentence — never a traceback."""
        self.banner.value = (
            '<div role="alert" style="border:2px solid #D55E00;background:#FBE3D6;'
            'padding:6px 10px;border-radius:4px"><b>Not possible:</b> '
            f"{html.escape(explanation)}<br><code>{html.escape(message)}</code></div>")
        self.banner.layout.display = None

    def clear_error(self):
        if self.banner.value:
            self.banner.value = ""
            self.banner.layout.display = "none"

    def show_text(self, caption: str, formula: str = "", sentences=(), code: dict | None = None):
        """Fill the readouts: plain-text caption (= aria-label), formula, sentences, code."""
        big = self.text_style()
        self.caption.value = f'<p aria-live="polite"{big}>{html.escape(caption)}</p>'
        self.formula.value = (f'<p style="font-family:monospace">{html.escape(formula)}</p>'
                              if formula else "")
        self.sentences.value = "".join(f"<p{big}>{html.escape(s)}</p>" for s in sentences)
        if code:
            lines = [f"# {k}\n{v}" for k, v in code.items()]
            self.code.value = ("<pre style='background:#F4F4F4;padding:4px'>"
                               + html.escape("\n".join(lines)) + "</pre>")
        else:
            self.code.value = ""


    def text_style(self) -> str:
        """Inline style for readouts: larger black-on-white text in high-contrast mode."""
        return (' style="font-size:1.3em;font-weight:bold;color:#000;background:#fff"'
                if self.contrast.value else "")


#: Width of a labelled slider (label, track and readout).
SLIDER_WIDTH = "240px"


def labelled(owner: Owner, cls, description: str, tooltip: str = "", **kwargs):
    """A control whose description is fully visible and whose tooltip says why it matters."""
    style = kwargs.pop("style", {"description_width": "initial"})
    if cls in (W.IntSlider, W.SelectionSlider):  # "auto" width collapses the track
        # 240 px: four sliders (two per-axis pairs) fit one line of a 1024-px screen
        if "layout" in kwargs:
            kwargs["layout"].width = SLIDER_WIDTH
        else:
            kwargs["layout"] = W.Layout(width=SLIDER_WIDTH)
    return owner.make(cls, description=description, tooltip=tooltip, style=style, **kwargs)


__all__ = ["Owner", "Toolbar", "labelled"]
