"""ImageFilterLab: a kernel on a real photo — presets, editable weights, feature map, ReLU.

Computed by ``convkit.ops.conv`` with a (k, k, 1, 1) kernel (and ``activation="relu"`` when
the toggle is on). The step slider moves the window; the magnifier shows the numbers under it.
"""

import html

import ipywidgets as W
import numpy as np
from traitlets import Unicode

from .. import samples
from ..palette import ROLE, diverging_rgb, diverging_scale, grey_rgb
from ..quiz import (
    Question,
    Quiz,
    _grid_text,
    as_shown,
    products_text,
    rounding_slack,
    weight_text,
)
from ..render import Drawing, png_bytes, to_rgb, to_svg
from ..render.grid import digit_size, fit_cell, grid, outline
from ..scene.conv import ConvComputation, ConvConfig
from ..scene.filters import DESCRIPTIONS, PRESET_NAMES, kernel_for
from ..scene.photo import check_picture, fit_longer_side, picture_from_bytes
from ..scene.text import axis_text, fmt
from .base import Explorer, dropdown_row

SOURCES = ("Grace Hopper", "MRI slice", "checkerboard", "letter A", "edge")
#: The photo selector's entry for the learner's own picture (an upload or ``set_image``).
YOUR_IMAGE = "your image"


class DescribedImage(W.Image):
    """A core ``Image`` whose ``tooltip`` becomes the ``<img>``'s ``title``: its text
    alternative (an ``<img>``'s accessible name falls back to ``title`` without ``alt``).

    The front end's tooltip code reads the model's ``description``, which ``Image`` lacks:
    a tooltip on a plain ``Image`` fails to render the view ("Cannot read properties of
    undefined (reading 'length')" in ipywidgets 8.1). Syncing an empty ``description`` is
    all it needs; no custom JavaScript, so it works wherever core widgets do.
    """

    description = Unicode("", help="always empty: lets the front end show the tooltip").tag(
        sync=True)


class ImageFilterLab(Explorer):
    """Slide a 3×3 or 5×5 kernel over a photo and see the feature map it makes.

    Parameters
    ----------
    image : array_like, optional
        Any 2-D array (greyscale); default Grace Hopper from matplotlib's sample data. It
        becomes the photo selector's "your image" entry.
    size : int
        Side of the (downsampled) photo; your own picture's longer side (its aspect ratio
        is kept: no crop, no squashing).
    preset : str
        One of identity, box blur, Gaussian, sharpen, Sobel x, Sobel y, Laplacian, emboss,
        outline.
    kernel_size : {3, 5}, default 3
    scale : int, default 4
        Screen pixels per photo pixel (the zoom).
    quiz : bool, default False
        Start in predict-then-reveal mode (:mod:`convkit.widgets.quiz`): predict the
        feature map's size, or its value at a cell from the patch under the window and the
        kernel.

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    traitlets.TraitError
        For a setting outside the choices its control offers (an unknown ``rank`` or
        option name, say).

    Examples
    --------
    >>> lab = ImageFilterLab(preset="Sobel x")
    >>> lab.output_rgb().shape
    (64, 64, 3)
    >>> lab.close()  # releases every widget it made
    """

    image_class = DescribedImage

    def __init__(self, image=None, *, size: int = 64, preset: str = "Sobel x",
                 kernel_size: int = 3, scale: int = 4, quiz: bool = False):
        super().__init__()
        # the learner's picture at full resolution; the size selector fits it on every compute
        self._user_x = None if image is None else check_picture(image)
        self._applying_kernel = False  # True while code (not the learner) writes the weights
        lab = self._control
        self.source = lab(W.Dropdown, "photo", "offline sample images (or upload below)",
                          options=SOURCES if image is None else (*SOURCES, YOUR_IMAGE),
                          value="Grace Hopper" if image is None else YOUR_IMAGE)
        self.upload = self.make(W.FileUpload, accept="image/*", multiple=False,
                                description="upload image")
        self.size = lab(W.Dropdown, "size", "photo side in pixels (your own picture: its "
                        "longer side, aspect ratio kept)", options=(32, 48, 64, 96),
                        value=size)
        self.preset = lab(W.Dropdown, "preset", "classic kernels (correlation form)",
                          options=(*PRESET_NAMES, "(custom)"), value=preset)
        self.kernel_size = lab(W.ToggleButtons, "kernel", "3×3 or 5×5",
                               options=[("3×3", 3), ("5×5", 5)], value=kernel_size)
        self.weights = [self.make(W.FloatText, value=0.0, step=0.25,
                                  layout=W.Layout(width="64px")) for _ in range(25)]
        self.weight_grid = self.make(W.GridBox, self.weights, layout=W.Layout(
            grid_template_columns="repeat(5, 68px)", grid_gap="2px"))
        self.stride = self._slider("stride", "window jump", 1, 4, 1)
        self.dilation = self._slider("dilation", "holes between taps", 1, 4, 1)
        self.padding = lab(W.Dropdown, "padding", "valid shrinks, same keeps the size",
                           options=("same", "valid"), value="same")
        self.relu = lab(W.Checkbox, "ReLU", "keep only positive responses", value=False)
        self.scale = self._slider("zoom", "pixels per cell", 2, 8, scale)
        self.magnifier = self.make(W.HTML, value="")
        # the picture's titles and legend as real (HTML) text, sharp at any zoom
        self.titles = self.make(W.HTML, value="")
        self.legend = self.make(W.HTML, value="")
        self.image.layout.display = None
        self._apply_preset(preset)
        for w in self.weights:  # before _watch: the preset name clears before the recompute
            w.observe(self._on_weight_edit, "value")
        self._watch(self.source, self.size, self.stride, self.dilation, self.padding,
                    self.relu, *self.weights)
        self.kernel_size.observe(self._on_kernel_size, "value")
        self.scale.observe(self._on_step, "value")
        self.preset.observe(self._on_preset, "value")
        self.upload.observe(self._on_upload, "value")
        self.toolbar.speed.value = 200
        m = self.make
        controls = m(W.VBox, [
            m(dropdown_row, self.source, self.upload, self.size, self.preset, self.kernel_size),
            m(dropdown_row, self.stride, self.dilation, self.padding, self.relu, self.scale)])
        t = self.toolbar
        self.view.layout.display = "none"
        body = m(W.HBox, [self.image, m(W.VBox, [self.magnifier, self.weight_grid])])
        # the legend gives the feature map's range, so the quiz hides it with the picture
        self.quiz = Quiz(self, self._question, self._exercise,
                         ("feature map value", "output size"),
                         [self.image, self.magnifier, self.legend, t.caption, t.formula,
                          t.sentences],
                         enabled=quiz)
        self._finish([controls, self.quiz, t, t.banner, self.titles, body, self.legend,
                      t.caption, t.formula, t.sentences, t.code])

    # ---- kernel editing ----
    def _apply_preset(self, name):
        k = self.kernel_size.value
        self._write_kernel(kernel_for(name, k))

    def _write_kernel(self, kern):
        """Put a k×k kernel into the top-left of the 5×5 grid of weight boxes."""
        k = kern.shape[0]
        self._applying_kernel = True
        try:
            for i, w in enumerate(self.weights):
                r, c = divmod(i, 5)
                w.value = float(np.round(kern[r, c], 4)) if r < k and c < k else 0.0
        finally:
            self._applying_kernel = False

    def _rewrite_kernel(self, write):
        """Write weights with ``write()`` as one user action: no render per weight box."""
        was_busy, self._busy = self._busy, True
        try:
            with self.hold_sync():
                write()
        finally:
            self._busy = was_busy  # inside a larger action (a quiz exercise), stay busy
        self._on_param(None)

    def _on_preset(self, change):
        if change["new"] == "(custom)":
            return
        self._rewrite_kernel(lambda: self._apply_preset(change["new"]))

    def _on_weight_edit(self, change):
        # any edit by the learner, however small, makes the kernel their own
        if not self._applying_kernel and self.preset.value != "(custom)":
            self.preset.value = "(custom)"

    def _on_kernel_size(self, change):
        """3×3 ↔ 5×5: a preset is re-made at the new size; a custom kernel stays centred
        (3×3 in the middle of the 5×5, or the 5×5's middle 3×3), so the picture does not
        shift."""
        new, old = change["new"], change["old"]
        if self.preset.value != "(custom)":
            self._rewrite_kernel(lambda: self._apply_preset(self.preset.value))
            return
        grid = np.array([w.value for w in self.weights], dtype=np.float64).reshape(5, 5)
        kern = np.zeros((new, new))
        if new > old:
            off = (new - old) // 2
            kern[off:off + old, off:off + old] = grid[:old, :old]
        else:
            off = (old - new) // 2
            kern = grid[off:off + new, off:off + new]
        self._rewrite_kernel(lambda: self._write_kernel(kern))

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            picture = picture_from_bytes(item["content"])
        except Exception as exc:  # noqa: BLE001 — any unreadable upload becomes a banner
            self.toolbar.show_error(str(exc), "Pillow could not read that file as an image.")
            return
        self._use_own_picture(picture)

    def set_image(self, image):
        """Show your own 2-D array (any range; it is displayed min→max), fitted to the size
        selector with its aspect ratio kept. The photo selector's "your image" entry returns
        to it after you look at a sample."""
        self._use_own_picture(check_picture(image))

    def _use_own_picture(self, picture):
        self._user_x = picture
        self._busy = True  # one recompute below, not one per selector change
        try:
            with self.hold_sync():
                if YOUR_IMAGE not in self.source.options:
                    self.source.options = (*SOURCES, YOUR_IMAGE)
                self.source.value = YOUR_IMAGE
        finally:
            self._busy = False
        self._on_param(None)

    def kernel(self) -> np.ndarray:
        """The current k×k kernel from the editable grid."""
        k = self.kernel_size.value
        return np.array([w.value for w in self.weights], dtype=np.float32).reshape(5, 5)[:k, :k]

    # ---- compute ----
    def _before_compute(self):
        k = self.kernel_size.value
        for i, w in enumerate(self.weights):
            r, c = divmod(i, 5)
            w.layout.display = None if r < k and c < k else "none"
        self.weight_grid.layout.grid_template_columns = f"repeat({k}, 68px)"

    def _compute(self):
        if self.source.value == YOUR_IMAGE and self._user_x is not None:
            x = fit_longer_side(self._user_x, self.size.value)
        else:
            s = self.size.value
            x = samples.grace_hopper((s, s)) if self.source.value == "Grace Hopper" else \
                samples.mri_slice((s, s)) if self.source.value == "MRI slice" else \
                samples.make_input(self.source.value, (s, s))
        config = ConvConfig(rank=2, kernel_size=self.kernel_size.value, strides=self.stride.value,
                         dilation_rate=self.dilation.value, padding=self.padding.value,
                         use_bias=False, activation="relu" if self.relu.value else None)
        return ConvComputation(config, x, kernel=self.kernel()[..., None, None])

    # ---- render ----
    def output_rgb(self) -> np.ndarray:
        """The feature map in the diverging colour map (uint8 RGB, one pixel per output)."""
        return diverging_rgb(self.computation.output[..., 0])

    def _drawing(self, scene, text: bool = True) -> Drawing:
        """The photo (window outlined) and the feature map side by side; with ``text`` also
        their titles, the caption and the legend (exported frames explain themselves). The
        widget draws them without text and shows the words as HTML (:meth:`_show`)."""
        z = self.scale.value
        computation = self.computation
        x = computation.padded[..., 0]
        y = computation.output[..., 0]
        lim = diverging_scale(y)
        d = Drawing(10, 10, scene.caption)
        img = grey_rgb(x, 0.0, max(float(computation.x.max()), 1e-6)) \
            if computation.x.min() >= 0 else grey_rgb(x)
        img[computation.pad_mask] = PADDING_GREY
        top = 32 if text else 4
        input_title, output_title = self.picture_titles()
        if text:
            d.text(10, 24, input_title, anchor="start", size=13, fill=ROLE["input"], bold=True)
        d.image(10, top, img, scale=z)
        win = scene.window
        cells = [(i, j) for i in win[0] for j in win[1]]
        outline(d, 10, top, z, cells, "window")
        ox = self._output_x()
        if text:
            d.text(ox, 24, output_title, anchor="start", size=13, fill=ROLE["output"], bold=True)
        d.image(ox, top, diverging_rgb(y, lim), scale=z)
        outline(d, ox, top, z, [scene.position], "current")
        bottom = top + max(x.shape[0], y.shape[0]) * z + 4
        d.width = int(ox + y.shape[1] * z + 10)
        d.height = int(bottom + 4)
        if text:
            legend = lab_legend(lim)
            d.text(10, bottom + 22, scene.caption, anchor="start", size=12)
            d.text(10, bottom + 40, legend, anchor="start", size=11, fill="#333333")
            d.width = int(max(d.width + 10, 640, 6.6 * len(scene.caption) + 20,
                              6.2 * len(legend) + 20))
            d.height = int(bottom + 52)
        return d

    def _output_x(self) -> int:
        """Left edge (px) of the feature map: after the padded photo and a 30-px gap."""
        return 10 + self.computation.padded.shape[1] * self.scale.value + 30

    def picture_titles(self) -> tuple:
        """The titles over the photo and over the feature map."""
        relu = ", ReLU)" if self.computation.config.activation else ")"
        return "INPUT (photo, padding grey)", "OUTPUT (feature map" + relu

    def _titles_html(self) -> str:
        """The two titles as HTML, each starting where its picture starts."""
        input_title, output_title = self.picture_titles()
        ox = self._output_x()
        style = "font-weight:bold;font-size:15px;white-space:nowrap"
        return (f"<div style='display:flex;align-items:flex-end'>"
                f"<span style='{style};color:{ROLE['input']};padding-left:10px;"
                f"min-width:{ox - 10}px;box-sizing:border-box'>{html.escape(input_title)}</span>"
                f"<span style='{style};color:{ROLE['output']}'>{html.escape(output_title)}"
                "</span></div>")

    def picture_text(self, scene) -> str:
        """What the main picture shows, in words (its text alternative)."""
        computation = self.computation
        h, w = computation.x.shape[:2]
        oh, ow = computation.output.shape[:2]
        k = self.kernel_size.value
        kernel = ("a custom" if self.preset.value == "(custom)" else
                  f"the {self.preset.value}")
        relu = ", after ReLU (negatives set to 0)" if computation.config.activation else ""
        photo = ("your picture" if self.source.value == YOUR_IMAGE else
                 f"the {self.source.value} photo")
        return (f"{scene.caption}. INPUT: {photo}, {h}×{w} pixels in "
                f"grey (padding light grey), the {k}×{k} window outlined in black. OUTPUT: the "
                f"{oh}×{ow} feature map of {kernel} kernel{relu}, blue negative, white 0, "
                "orange positive; the current cell outlined.")

    def _magnifier(self, scene) -> str:
        d = Drawing(10, 10, "magnifier")
        patch = scene.padded[np.ix_(*scene.window)][..., 0]
        k = scene.kernel[..., 0, 0]
        # cells sized to the widest number of both grids (a pixel 0.12 or a weight −0.25)
        cs, digits = fit_cell(MAGNIFIER_CELL, patch, k), digit_size(MAGNIFIER_CELL)
        w1, h1 = grid(d, patch, 10, 34, cs, name="INPUT", role="input",
                      limit=diverging_scale(patch), hatch=scene.pad_mask[np.ix_(*scene.window)],
                      label="INPUT under the window", digits=digits)
        w2, h2 = grid(d, k, 10, 34 + h1 + 34, cs, name="KERNEL", role="kernel",
                      limit=diverging_scale(k), digits=digits)
        total = float(scene.products.sum())
        d.text(10, 34 + h1 + 34 + h2 + 22,
               f"Σ products = {fmt(total)} → OUTPUT {scene.position} = {fmt(scene.value)}",
               anchor="start", size=13)
        d.width = int(max(w1, w2, 300) + 20)
        d.height = int(34 + h1 + 34 + h2 + 34)
        return to_svg(self._styled(d), aria_label=f"Magnifier: {scene.caption}")

    def _show(self, scene):
        # the pictures alone; their titles and legend are HTML text (sharp, never a bitmap)
        self.image.value = png_bytes(to_rgb(self._styled(self._drawing(scene, text=False))))
        big = ";font-size:1.3em;color:#000" if self.contrast else ""
        self.titles.value = self._titles_html()
        self.legend.value = (f"<p style='margin:2px 10px{big}'>"
                             f"{html.escape(lab_legend(diverging_scale(self.computation.output)))}"
                             "</p>")
        # the picture's text alternative: the Image view puts it in the <img>'s title
        self.image.tooltip = self.picture_text(scene)
        self.magnifier.value = self._magnifier(scene)
        sentences = [DESCRIPTIONS.get(self.preset.value, "A custom kernel: each output is the "
                                      "sum of the weights times the pixels under them."),
                     *scene.sentences]
        if self.relu.value:
            sentences.append("ReLU sets negative responses to 0: only one sign of edge stays.")
        self.toolbar.show_text(scene.caption, scene.formula, sentences, scene.code)

    def _svg(self, scene) -> str:
        return to_svg(self._styled(self._drawing(scene)), aria_label=scene.caption)

    def frame(self, step: int):
        """RGB frame of ``step`` (photo with window, feature map, caption)."""
        return to_rgb(self._styled(self._drawing(self._scene(step))))

    # ---- quiz ----
    def _question(self, kind: str) -> Question:
        c = self.computation
        if c is None:
            raise ValueError("the settings are not valid")
        config = c.config
        k = self.kernel_size.value
        setting = (f"{k}×{k} kernel, stride {config.strides[0]}, dilation "
                   f"{config.dilation_rate[0]}, padding '{config.padding}'")
        if kind == "output size":
            h, w = c.in_spatial
            return Question(
                prompt=(f"INPUT photo {h}×{w} pixels, {setting}: what is the feature map's "
                        "shape (rows × cols)?"),
                answer=tuple(c.out_spatial), kind="shape", why="; ".join(c.shape_formula()))
        scene = self._scene(self.toolbar.step.value)
        patch = scene.padded[np.ix_(*scene.window)][..., 0]
        kernel = scene.kernel[..., 0, 0]
        relu = config.activation == "relu"
        from_shown = float(np.sum(as_shown(patch) * as_shown(kernel, weight_text)))
        if relu:
            from_shown = max(from_shown, 0.0)
        answer = scene.value  # ops.conv on the unrounded photo
        sum_text = products_text(patch, kernel, None, weight_text)
        preset = "" if self.preset.value == "(custom)" else f" ({self.preset.value})"
        why = (f"y{axis_text(scene.position)} = " + (f"relu({sum_text})" if relu else sum_text)
               + f" = {from_shown:.4g} from the numbers shown; ops.conv on the unrounded "
               f"photo gives {answer:.4g}")
        return Question(
            prompt=(f"Feature map cell {axis_text(scene.position)} ({setting}): the photo "
                    f"under the window reads {_grid_text(patch)} (PADDING reads 0), the "
                    f"kernel{preset} is {_grid_text(kernel, weight_text)}"
                    + (", then ReLU" if relu else "") + ". What value comes out? (multiply "
                    "cell by cell and add up; no bias)"),
            answer=answer, kind="value", why=why, slack=rounding_slack(answer, from_shown))

    def _exercise(self, rng):
        self._busy = True
        try:
            with self.hold_sync():
                self.source.value = str(rng.choice(SOURCES))
                self.size.value = int(rng.choice([32, 48]))
                dilated = rng.random() < 0.2  # Keras: a stride or a dilation above 1
                self.stride.value = 1 if dilated else int(rng.integers(1, 4))
                self.dilation.value = 2 if dilated else 1
                self.padding.value = str(rng.choice(["same", "valid"]))
                self.relu.value = bool(rng.random() < 0.3)
                # the weights follow: the preset is (re)applied at the new size
                self.kernel_size.value = 5 if rng.random() < 0.2 else 3
                self.preset.value = str(rng.choice(PRESET_NAMES))
        finally:
            self._busy = False
        self._on_param(None)
        self.toolbar.step.value = self._varied_step(rng)

    def _varied_step(self, rng) -> int:
        """A random step whose window holds more than one grey level (a flat patch of a
        checkerboard or a letter makes a dull sum); any step if the photo is flat."""
        c = self.computation
        steps = rng.permutation(self.toolbar.step.max + 1)
        for step in steps[:64]:
            position = tuple(int(i) for i in np.unravel_index(step, c.out_spatial))
            if np.ptp(c.padded[np.ix_(*c.window(position))]) > 0:
                return int(step)
        return int(steps[0])


#: The magnifier's smallest cell side (px); wider when the numbers need it.
MAGNIFIER_CELL = 36
#: Padding cells of the photo: light grey, as the legend says.
PADDING_GREY = (0xD9, 0xD9, 0xD9)


def lab_legend(limit: float) -> str:
    """The lab's legend: the photo is grey with grey padding (not hatched: hatching is the
    magnifier's, where the padding cells print their 0), the feature map in the diverging map.

    Examples
    --------
    >>> lab_legend(2.0)[:38]
    'INPUT: grey levels, PADDING light grey'
    >>> lab_legend(2.0)[-58:]
    'OUTPUT colours: blue < 0 (−2), white = 0, orange > 0 (+2).'
    """
    return ("INPUT: grey levels, PADDING light grey (zeros; hatched in the magnifier). "
            f"OUTPUT colours: blue < 0 (−{limit:.3g}), white = 0, orange > 0 (+{limit:.3g}).")


__all__ = ["ImageFilterLab", "SOURCES", "lab_legend"]
