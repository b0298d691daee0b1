"""Cropping, ZeroPadding and UpSampling2D on a real photo, and the five UpSampling2D modes
side by side on one zoomed patch of it.

Every number comes from ``ops.crop``/``ops.zero_pad``/``ops.upsample`` (through
:class:`~.resample.ResampleComputation`, one per interpolation mode, each on the *whole*
photo, so the patch shows what the layer does there, not what it would do to a cut-out).
A step is one output cell: of the whole output for crop and pad, of the zoomed patch for
upsampling. Its taps are the separable per-axis weights of :func:`~.resample.axis_taps`; the
scene checks Σ weight · input against the op's value.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .common import CaptionedScene, SceneError, clamp, step_position
from .resample import ResampleComputation, ResampleConfig, axis_taps
from .text import axis_text, fmt

#: Input pixels per side of the zoomed patch (its output is this × the factor).
DEFAULT_PATCH = 6
#: The modes left to right: from blocks to the widest kernel.
MODE_ORDER = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def strongest_edge_origin(x: np.ndarray, size: int) -> tuple:
    """Top-left corner of the ``size``×``size`` patch of ``x`` with the largest sum of
    absolute neighbour differences: a strong edge, where nearest's blocks, bilinear's blur
    and lanczos's ringing differ most.

    Examples
    --------
    >>> x = np.zeros((8, 8)); x[:, 5:] = 1
    >>> strongest_edge_origin(x, 4)[1] in (2, 3, 4)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    energy = np.zeros_like(x)
    energy[1:, :] += np.abs(np.diff(x, axis=0))
    energy[:, 1:] += np.abs(np.diff(x, axis=1))
    h, w = x.shape
    size = min(size, h, w)
    table = np.zeros((h + 1, w + 1))
    table[1:, 1:] = energy.cumsum(axis=0).cumsum(axis=1)
    sums = (table[size:, size:] - table[:-size, size:] - table[size:, :-size]
            + table[:-size, :-size])
    r, c = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(r), int(c)


@dataclass(frozen=True)
class PhotoConfig:
    """A reshaping layer on a 2-D photo.

    Parameters
    ----------
    operation : {"crop", "pad", "upsample"}
    amounts : ((top, bottom), (left, right)) or int
        Pixels cropped or zero-padded per side (ignored by upsample).
    factor : int
        UpSampling2D's size, the same on both axes.
    interpolation : str
        The selected mode; the other four are computed beside it.
    patch_origin : (row, col) or None
        Top-left input pixel of the zoomed patch; None picks the strongest edge.
    patch_size : int
        Input pixels per side of the patch.
    """

    operation: str = "upsample"
    amounts: tuple = 4
    factor: int = 2
    interpolation: str = "bilinear"
    patch_origin: tuple | None = None
    patch_size: int = DEFAULT_PATCH


@dataclass
class PhotoScene(CaptionedScene):
    """One output cell of the photo: its value in every mode, its taps and their weights."""

    config: PhotoConfig
    step: int
    n_steps: int
    position: tuple             # in the whole output
    value: float                # the selected mode's output there (from the op)
    taps: list                  # [((row, col), weight)] of the selected mode
    row_taps: list              # [(row, weight)]: the per-axis factors of the weights
    col_taps: list              # [(col, weight)]
    reconstructed: float        # Σ weight · input over the taps
    mode_values: dict           # interpolation mode → output value at ``position``
    caption: str
    formula: str
    code: dict
    sentences: list = field(default_factory=list)


class PhotoResampleComputation:
    """Run the layer on the whole photo once per configuration; serve a scene per step.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(64.0).reshape(8, 8)
    >>> c = PhotoResampleComputation(PhotoConfig(factor=2, patch_size=4), x)
    >>> c.view_shape, c.n_steps, tuple(c.modes) == MODE_ORDER
    ((8, 8), 64, True)
    """

    def __init__(self, config: PhotoConfig, x):
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2:
            raise SceneError(f"expected a 2-D photo, received shape {x.shape}",
                             "Photos are greyscale images: rows × columns.")
        self.config = config
        self.main = ResampleComputation(
            ResampleConfig(config.operation, rank=2, amounts=config.amounts,
                           size=config.factor, interpolation=config.interpolation), x)
        self.x = self.main.x[..., 0]
        self.output = self.main.output[..., 0]
        h, w = self.x.shape
        self.modes = {}
        if config.operation == "upsample":
            p = max(1, min(config.patch_size, h, w))
            origin = (strongest_edge_origin(self.x, p) if config.patch_origin is None
                      else config.patch_origin)
            r0, c0 = (clamp(o, m - p + 1) for o, m in zip(origin, (h, w), strict=True))
            self.patch = (r0, c0, p)
            f = self.main.config.size
            self.view_origin = (r0 * f[0], c0 * f[1])
            self.view_shape = (p * f[0], p * f[1])
            for mode in MODE_ORDER:
                self.modes[mode] = self.main if mode == config.interpolation else \
                    ResampleComputation(ResampleConfig("upsample", rank=2, size=f,
                                                       interpolation=mode), x)
        else:
            self.patch = None
            self.view_origin = (0, 0)
            self.view_shape = self.output.shape
        self.n_steps = math.prod(self.view_shape)

    def mode_patch(self, mode: str) -> np.ndarray:
        """The zoomed output patch of ``mode`` (upsampling only)."""
        (r, c), (h, w) = self.view_origin, self.view_shape
        return self.modes[mode].output[r:r + h, c:c + w, 0]

    def _axis_taps(self, position) -> tuple:
        config = self.main.config
        n = self.x.shape
        if config.operation == "upsample":
            return tuple(axis_taps(j, m, f, config.interpolation)
                         for j, m, f in zip(position, n, config.size, strict=True))
        taps = self.main.taps(position)
        if not taps:
            return [], []
        (i, j), _ = taps[0]
        return [(i, 1.0)], [(j, 1.0)]

    def scene(self, step: int) -> PhotoScene:
        """The scene of view cell number ``step`` (row-major)."""
        step, local = step_position(step, self.n_steps, self.view_shape)
        position = tuple(o + i for o, i in zip(self.view_origin, local, strict=True))
        value = float(self.output[position])
        row_taps, col_taps = self._axis_taps(position)
        taps = [((i, j), wi * wj) for i, wi in row_taps for j, wj in col_taps]
        recon = float(sum(w * float(self.x[idx]) for idx, w in taps))
        mode_values = {m: float(c.output[position + (0,)]) for m, c in self.modes.items()}
        config = self.main.config
        where = axis_text(position)
        if not taps:
            how = "an added zero (PADDING)"
            formula = f"y{where} = 0 (PADDING: an added zero)"
        elif len(taps) == 1:
            how = f"a copy of INPUT pixel {axis_text(taps[0][0])}"
            formula = f"y{where} = x{axis_text(taps[0][0])} = {fmt(value)}"
        else:
            how = (f"a weighted sum of {len(taps)} INPUT pixels ({len(row_taps)} rows × "
                   f"{len(col_taps)} columns, weights summing to 1)")
            terms = " + ".join(f"{fmt(w)}·x{axis_text(i)}" for i, w in taps[:8])
            more = f" + … ({len(taps)} taps)" if len(taps) > 8 else ""
            formula = f"y{where} = {terms}{more} = {fmt(value)}"
        mode = f" ({config.interpolation})" if config.operation == "upsample" else ""
        caption = (f"Step {step + 1} of {self.n_steps}: OUTPUT pixel {where}{mode} = "
                   f"{fmt(value)} is {how}.")
        return PhotoScene(
            config=self.config, step=step, n_steps=self.n_steps, position=position,
            value=value, taps=taps, row_taps=list(row_taps), col_taps=list(col_taps),
            reconstructed=recon, mode_values=mode_values, caption=caption, formula=formula,
            code=self.main.code(), sentences=self.sentences())

    def sentences(self) -> list:
        """Plain sentences for the layer on a photo."""
        config = self.main.config
        if config.operation == "crop":
            return ["Cropping keeps the middle of the photo: the PADDING-grey border is what "
                    "it drops; nothing is resampled."]
        if config.operation == "pad":
            return ["ZeroPadding adds a border of zeros (black in a photo, marked PADDING): "
                    "the pixels inside are untouched."]
        return ["The same patch in all five modes: nearest repeats each pixel as a block, "
                "bilinear blends the 2×2 nearest pixels (a blur), bicubic and lanczos weigh "
                "more pixels with some negative weights, which sharpens an edge and rings "
                "beside it (values overshoot the input's range).",
                "Weights use half-pixel centres u = (j + 0.5)/f − 0.5 and are renormalised "
                "over the pixels inside the photo, as Keras does."]


__all__ = ["DEFAULT_PATCH", "MODE_ORDER", "PhotoConfig", "PhotoScene", "PhotoResampleComputation",
           "strongest_edge_origin"]
