"""ImageFilterLab: a kernel on a real photo — presets, editable weights, feature map, ReLU.

Computed by ``convkit.ops.conv`` with a (k, k, 1, 1) kernel (and ``activation="relu"`` when
the toggle is on). The step slider moves the window; the magnifier shows the numbers under it.
"""

import ipywidgets as W
import numpy as np

from .. import samples
from ..palette import ROLE, diverging_rgb, diverging_scale, grey_rgb, legend_text
from ..render import Drawing, png_bytes, to_rgb, to_svg, without_text
from ..render.grid import grid, outline
from ..scene.conv import ConvComputation, ConvConfig
from ..scene.filters import DESCRIPTIONS, PRESET_NAMES, kernel_for
from ..scene.text import fmt
from .base import Explorer, dropdown_row

SOURCES = ("Grace Hopper", "MRI slice", "checkerboard", "letter A", "edge")


class ImageFilterLab(Explorer):
    """Slide a 3×3 or 5×5 kernel over a photo and see the feature map it makes.

    Parameters
    ----------
    image : array_like, optional
        Any 2-D array (greyscale); default Grace Hopper from matplotlib's sample data.
    size : int
        Side of the (downsampled) photo.
    preset : str
        One of identity, box blur, Gaussian, sharpen, Sobel x, Sobel y, Laplacian, emboss,
        outline.

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

    def __init__(self, image=None, *, size: int = 64, preset: str = "Sobel x",
                 kernel_size: int = 3, scale: int = 4):
        super().__init__()
        self._user_x = self._user_input(image)
        lab = self._control
        self.source = lab(W.Dropdown, "photo", "offline sample images (or upload below)",
                          options=SOURCES, value="Grace Hopper")
        self.upload = self.make(W.FileUpload, accept="image/*", multiple=False,
                                description="upload image")
        self.size = lab(W.Dropdown, "size", "photo side in pixels", options=(32, 48, 64, 96),
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
        self.image.layout.display = None
        self._apply_preset(preset)
        self._watch(self.source, self.size, self.kernel_size, self.stride, self.dilation,
                    self.padding, self.relu, *self.weights)
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
        self._finish([controls, t, t.banner, body, t.caption, t.formula, t.sentences, t.code])

    # ---- kernel editing ----
    def _apply_preset(self, name):
        k = self.kernel_size.value
        kern = kernel_for(name, k)
        for i, w in enumerate(self.weights):
            r, c = divmod(i, 5)
            w.value = float(np.round(kern[r, c], 4)) if r < k and c < k else 0.0

    def _on_preset(self, change):
        if change["new"] == "(custom)":
            return
        self._busy = True
        try:
            self._apply_preset(change["new"])
        finally:
            self._busy = False
        self._on_param(None)

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            self._user_x = samples.image_from_bytes(item["content"], (self.size.value,) * 2)
        except Exception as exc:  # noqa: BLE001 — any unreadable upload becomes a banner
            self.toolbar.show_error(str(exc), "Pillow could not read that file as an image.")
            return
        self._on_param(None)

    def set_image(self, image):
        """Show your own 2-D array (any range; it is displayed min→max)."""
        self._user_x = np.asarray(image, dtype=np.float32)
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
        preset = self.preset.value
        if preset != "(custom)" and not np.allclose(self.kernel(), kernel_for(preset, k),
                                                    atol=1e-3):
            self.preset.value = "(custom)"

    def _compute(self):
        if self._user_x is not None:
            x = self._user_x
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

    def _drawing(self, scene) -> Drawing:
        z = self.scale.value
        computation = self.computation
        x = computation.padded[..., 0]
        y = computation.output[..., 0]
        lim = diverging_scale(y)
        d = Drawing(10, 10, scene.caption)
        img = grey_rgb(x, 0.0, max(float(computation.x.max()), 1e-6)) \
            if computation.x.min() >= 0 else grey_rgb(x)
        img[computation.pad_mask] = (0xD9, 0xD9, 0xD9)
        d.text(10, 24, "INPUT (photo, padding grey)", anchor="start", size=13,
               fill=ROLE["input"], bold=True)
        d.image(10, 32, img, scale=z)
        win = scene.window
        cells = [(i, j) for i in win[0] for j in win[1]]
        outline(d, 10, 32, z, cells, "window")
        ox = 10 + x.shape[1] * z + 30
        relu = ", ReLU)" if computation.config.activation else ")"
        d.text(ox, 24, "OUTPUT (feature map" + relu,
               anchor="start", size=13, fill=ROLE["output"], bold=True)
        d.image(ox, 32, diverging_rgb(y, lim), scale=z)
        outline(d, ox, 32, z, [scene.position], "current")
        bottom = 32 + max(x.shape[0], y.shape[0]) * z + 12
        d.text(10, bottom + 14, scene.caption, anchor="start", size=12)
        d.text(10, bottom + 32, legend_text(lim), anchor="start", size=11, fill="#333333")
        d.width = int(max(ox + y.shape[1] * z + 20, 640, 6.6 * len(scene.caption) + 20,
                          6.2 * len(legend_text(lim)) + 20))
        d.height = int(bottom + 44)
        return d

    def _magnifier(self, scene) -> str:
        d = Drawing(10, 10, "magnifier")
        cs = 40
        patch = scene.padded[np.ix_(*scene.window)][..., 0]
        w1, h1 = grid(d, patch, 10, 34, cs, name="INPUT", role="input",
                      limit=diverging_scale(patch), hatch=scene.pad_mask[np.ix_(*scene.window)],
                      label="INPUT under the window")
        k = scene.kernel[..., 0, 0]
        w2, h2 = grid(d, k, 10, 34 + h1 + 34, cs, name="KERNEL", role="kernel",
                      limit=diverging_scale(k))
        total = float(scene.products.sum())
        d.text(10, 34 + h1 + 34 + h2 + 22,
               f"Σ products = {fmt(total)} → OUTPUT {scene.position} = {fmt(scene.value)}",
               anchor="start", size=13)
        d.width = int(max(w1, w2, 300) + 20)
        d.height = int(34 + h1 + 34 + h2 + 34)
        return to_svg(self._styled(d), aria_label=f"Magnifier: {scene.caption}")

    def _show(self, scene):
        drawing = without_text(self._drawing(scene), scene.caption)  # caption: HTML below
        self.image.value = png_bytes(to_rgb(self._styled(drawing)))
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


__all__ = ["ImageFilterLab", "SOURCES"]
