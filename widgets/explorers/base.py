"""What every explorer shares: build once, recompute on parameters, re-render on steps.

Controls → :meth:`Explorer._compute` (calls convkit's ops through a scene builder) →
:meth:`Explorer._render` (assigns ``.value`` of the *same* ``HTML``/``Image`` widgets). One
``hold_sync`` per user action; a guard stops the re-entrant step change that setting
``step.max`` can cause from rendering twice.
"""

import ipywidgets as W
import numpy as np

from ..render import high_contrast, png_bytes, scene_rgb, scene_svg
from ..scene import SceneError
from ..toolbar import Owner, Toolbar, labelled


class Explorer(W.VBox, Owner):
    """Base explorer. Subclasses build controls, then call :meth:`_finish`.

    Attributes
    ----------
    render_count : int
        How many renders ran (tests assert one per user action).
    computation : object
        The current computation (a scene source with ``n_steps`` and ``scene(step)``).
    """

    #: The raster view's widget class (ImageFilterLab's adds a text alternative).
    image_class = W.Image

    def __init__(self, **kwargs):
        self._init_owner()
        self.render_count = 0
        self._busy = False
        self.computation = None
        self.cell = None
        self.toolbar = Toolbar(self)
        self.view = self.make(W.HTML, value="")
        # flex-start: beside a taller column the picture keeps its own height (not stretched)
        self.image = self.make(self.image_class, format="png", value=b"",
                               layout=W.Layout(display="none", align_self="flex-start"))
        self.toolbar.step.observe(self._on_step, "value")
        self.toolbar.contrast.observe(self._on_step, "value")
        super().__init__(**kwargs)

    # ---- wiring ----
    def _watch(self, *controls):
        for c in controls:
            c.observe(self._on_param, "value")

    def _finish(self, children):
        """Arrange the explorer for a projector: the picture first, the settings after it.

        ``children[0]`` is the control panel (rows of settings); the rest are shown in their
        order (quiz, toolbar, banner, picture, caption, readouts), with the control panel
        folded into a compact "settings" panel placed right after the picture's caption, so
        on a 1280×720 screen the picture and its numbers come first. The panel is open by
        default (every control one click away, keyboard focus unchanged) and folds with one
        click. Partner controls (``h``/``w``, ``row``/``col``, a checkbox and the control
        after it) are kept on one line so a wrapping row never separates them.
        """
        controls, *rest = children
        self._keep_partners_together(controls)
        # a core ToggleButton folds the panel: Accordion's arrow is an icon font that an
        # offline Voila page does not load (it showed as a missing-glyph box)
        self.settings_toggle = self.make(
            W.ToggleButton, value=True, description="settings ▾",
            tooltip="fold or unfold the settings (the picture stays)",
            layout=W.Layout(width="auto", align_self="flex-start"))
        self.settings = self.make(W.VBox, [self.settings_toggle, controls], layout=W.Layout(
            border="1px solid #BBBBBB", padding="2px 6px", margin="6px 0"))
        self._settings_panel = controls
        self.settings_toggle.observe(self._on_fold, "value")
        self.children = _after_caption(rest, self.settings, self.toolbar.caption)
        self._on_param(None)

    def _on_fold(self, change):
        """Show or hide the settings (a view change only: nothing is recomputed)."""
        self._settings_panel.layout.display = None if change["new"] else "none"
        self.settings_toggle.description = "settings ▾" if change["new"] else "settings ▸"

    def _keep_partners_together(self, panel):
        """Group partner controls of every row of ``panel`` in a no-wrap box of their own."""
        for row in getattr(panel, "children", ()):
            if isinstance(row, W.Box) and len(row.children) > 1:
                row.children = partner_groups(row.children, self._partner_box)

    def _partner_box(self, pair):
        return self.make(W.HBox, list(pair), layout=W.Layout(flex_flow="row nowrap",
                                                             overflow="visible"))

    def _control(self, cls, description, tooltip, **kwargs):
        """A labelled control this explorer owns; "auto" width keeps rows of them compact."""
        if cls is W.ToggleButtons:
            # buttons as wide as their words, in one row beside the label: the front end
            # gives this widget no flex row of its own, so its label sat above the buttons
            kwargs.setdefault("style", {"description_width": "initial", "button_width": "auto"})
            layout = W.Layout(width="auto", display="flex", flex_flow="row nowrap",
                              align_items="center")
        else:
            layout = W.Layout(width="auto")
        return labelled(self, cls, description, tooltip, layout=layout, **kwargs)

    def _slider(self, description, tooltip, low: int, high: int, value: int):
        """An integer slider from ``low`` to ``high``, the control most settings are."""
        return self._control(W.IntSlider, description, tooltip, min=low, max=high, value=value)

    def _axis_sliders(self, name, rows_tooltip, cols_tooltip, low: int, high: int, value: int):
        """The ``"<name> h"`` (rows) and ``"<name> w"`` (columns) sliders of a per-axis
        setting, both from ``low`` to ``high``."""
        return (self._slider(f"{name} h", rows_tooltip, low, high, value),
                self._slider(f"{name} w", cols_tooltip, low, high, value))

    @staticmethod
    def _user_input(x):
        """The learner's own array as float32, or None when the explorer draws its samples."""
        return None if x is None else np.asarray(x, dtype=np.float32)

    def _show_seed_for_random_ints(self):
        """For explorers with ``source`` and ``seed`` controls: the seed only matters to the
        random-ints source, so it is hidden for the others."""
        self.seed.layout.display = None if self.source.value == "random ints" else "none"

    def _cell_control(self, value: int):
        """The projector's cell-size slider; assigned to ``self.cell``, :meth:`_render_kwargs`
        passes it on. Only the drawing changes, so it re-renders without recomputing."""
        cell = self._control(W.IntSlider, "cell px", "bigger cells for a projector", min=16,
                             max=56, step=2, value=value)
        cell.observe(self._on_step, "value")
        return cell

    def _on_param(self, change):
        self._user_action(self._recompute)

    def _on_step(self, change):
        self._user_action(self._render)

    def _user_action(self, work):
        """Run ``work`` in one ``hold_sync``; changes it makes to watched controls (e.g. the
        step clamped by ``step.max``) must not start a second render."""
        if self._busy:
            return
        self._busy = True
        try:
            with self.hold_sync():
                work()
        finally:
            self._busy = False

    def _recompute(self):
        self._before_compute()
        try:
            self.computation = self._compute()
            self.toolbar.clear_error()
        except SceneError as exc:
            self.toolbar.show_error(exc.message, exc.explanation)
            self.computation = None
        if self.computation is not None:
            self.toolbar.set_range(self.computation.n_steps)
        self._render()

    # ---- hooks ----
    def _before_compute(self):
        """Adjust dependent controls (ranges, visibility) before computing."""

    def _compute(self):
        raise NotImplementedError

    def _scene(self, step: int):
        return self.computation.scene(step)

    def _render(self):
        if self.computation is None:
            self.view.value = ""
            self.toolbar.show_text("No picture: see the message above.")
            self.render_count += 1
            return
        scene = self._scene(self.toolbar.step.value)
        self._show(scene)
        self.render_count += 1

    def _show(self, scene):
        # the caption is shown once, as the HTML readout (the SVG keeps it as aria-label)
        self.view.value = scene_svg(scene, caption=False, contrast=self.contrast,
                                    **self._render_kwargs())
        self.toolbar.show_text(scene.caption, scene.formula, getattr(scene, "sentences", ()),
                               scene.code)

    def _add_formula_lines(self, lines):
        """Append HTML lines (shape and size arithmetic) under the formula, in monospace."""
        self.toolbar.formula.value += "".join(
            f"<p style='font-family:monospace'>{line}</p>" for line in lines)

    def _render_kwargs(self) -> dict:
        return {} if self.cell is None else {"cell": self.cell.value}

    @property
    def contrast(self) -> bool:
        """True when the high-contrast (projector) toggle is on."""
        return bool(self.toolbar.contrast.value)

    def _styled(self, drawing):
        """A hand-made :class:`Drawing` in the current contrast mode."""
        return high_contrast(drawing) if self.contrast else drawing

    # ---- export ----
    def frame(self, step: int):
        """RGB frame (uint8) of ``step``: the layout the widget shows, rasterised."""
        return scene_rgb(self._scene(step), contrast=self.contrast, **self._render_kwargs())

    def png(self, step: int) -> bytes:
        """PNG bytes of :meth:`frame`."""
        return png_bytes(self.frame(step))

    def _steps(self, steps):
        if self.computation is None:
            raise ValueError("nothing to export: the current settings are not valid")
        return list(range(self.computation.n_steps)) if steps is None else list(steps)

    def to_gif(self, path, fps: float = 2.0, steps=None, loop: int = 0):
        """Write an animated GIF of ``steps`` (default: all) with Pillow; returns ``path``."""
        from ..export import to_gif

        return to_gif([self.frame(s) for s in self._steps(steps)], path, fps=fps, loop=loop)

    def to_svg(self, step: int | None = None, path=None) -> str:
        """The SVG of ``step`` (default: the current one), as exported frames draw it: with
        its caption, in the current contrast mode, ``aria-label`` = the caption. Written to
        ``path`` when given.

        Examples
        --------
        >>> from convkit.widgets import ConvExplorer
        >>> explorer = ConvExplorer()
        >>> explorer.to_svg(0).startswith("<svg")
        True
        >>> explorer.close()
        """
        self._steps(None)  # raises the plain "nothing to export" error for invalid settings
        step = self.toolbar.step.value if step is None else int(step)
        svg = self._svg(self._scene(step))
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(svg)
        return svg

    def _svg(self, scene) -> str:
        return scene_svg(scene, contrast=self.contrast, **self._render_kwargs())

    def to_frames(self, directory, steps=None) -> list:
        """Write one PNG per step into ``directory``; returns the paths."""
        from ..export import to_frames

        return to_frames([self.frame(s) for s in self._steps(steps)], directory)

    def to_html(self, steps=None, fps: float = 2.0) -> str:
        """A self-contained HTML player (inline PNGs, no external URL)."""
        from ..export import to_html

        steps = self._steps(steps)  # once: ``steps`` may be a generator
        captions = [self._scene(s).caption for s in steps]
        return to_html([self.frame(s) for s in steps], fps=fps, captions=captions)

    # ---- lifetime ----
    def close(self):
        """Close every widget this explorer made, with their layouts and styles."""
        self.close_owned()
        for extra in (self.layout,):
            extra.close()
        super().close()


def dropdown_row(*children):
    """A wrapping row of controls (:meth:`Explorer._finish` keeps partners together)."""
    return W.HBox(list(children), layout=W.Layout(flex_flow="row wrap", align_items="center"))


#: Description endings of a per-axis pair: the first control's, then its partner's.
_PARTNER_SUFFIXES = ((" h", " w"), ("row", "col"), ("height", "width"))


def are_partners(first, second) -> bool:
    """True when ``second`` belongs beside ``first``: the two axes of one setting
    ("stride h"/"stride w", "row"/"col", "input height"/"input width"), or a checkbox and
    the control it switches on (use bias → b).

    Examples
    --------
    >>> import ipywidgets as W
    >>> are_partners(W.IntSlider(description="stride h"), W.IntSlider(description="stride w"))
    True
    >>> are_partners(W.IntSlider(description="stride w"), W.IntSlider(description="dilation h"))
    False
    """
    if isinstance(first, W.Checkbox) and not isinstance(second, (W.Checkbox, W.Box)):
        return True
    a, b = getattr(first, "description", ""), getattr(second, "description", "")
    return any(a.endswith(s1) and b.endswith(s2) and a[:-len(s1)] == b[:-len(s2)]
               for s1, s2 in _PARTNER_SUFFIXES)


def partner_groups(controls, box) -> list:
    """``controls`` with each pair of partners (:func:`are_partners`) replaced by
    ``box(pair)``, a container that does not wrap."""
    out, i = [], 0
    controls = list(controls)
    while i < len(controls):
        if i + 1 < len(controls) and are_partners(controls[i], controls[i + 1]):
            out.append(box(controls[i:i + 2]))
            i += 2
        else:
            out.append(controls[i])
            i += 1
    return out


def _after_caption(children, panel, caption) -> list:
    """``children`` with ``panel`` inserted after ``caption`` (or at the end without one)."""
    children = list(children)
    at = next((i + 1 for i, c in enumerate(children) if c is caption), len(children))
    return children[:at] + [panel] + children[at:]


__all__ = ["Explorer", "dropdown_row", "are_partners", "partner_groups"]
