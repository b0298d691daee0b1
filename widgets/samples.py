"""Sample inputs, all offline: procedural arrays and matplotlib's bundled sample data.

Nothing is downloaded. Photos and signals come from ``matplotlib.cbook.get_sample_data``
(shipped inside matplotlib's wheel); digits and letters are drawn with matplotlib's Agg canvas
(a ``Figure`` outside pyplot's registry, so nothing is left open).

Examples
--------
>>> ramp((2, 3)).tolist()
[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
>>> checkerboard((4, 4), 2)[0].tolist()
[1.0, 1.0, 0.0, 0.0]
"""

import gzip
import io

import numpy as np


def ramp(shape, start: float = 1.0) -> np.ndarray:
    """1, 2, 3, … in row-major order: easy mental arithmetic."""
    n = int(np.prod(shape))
    return np.arange(start, start + n, dtype=np.float32).reshape(shape)


def random_ints(shape, seed: int = 0, low: int = -2, high: int = 3) -> np.ndarray:
    """Integers in ``low … high`` from ``np.random.default_rng(seed)`` (the seed is shown).

    Examples
    --------
    >>> random_ints((3,), seed=1).tolist() == random_ints((3,), seed=1).tolist()
    True
    """
    rng = np.random.default_rng(seed)
    return rng.integers(low, high + 1, size=shape).astype(np.float32)


def checkerboard(shape, square: int = 1) -> np.ndarray:
    """1/0 squares of side ``square``."""
    idx = np.indices(shape).sum(axis=0) if square == 1 else sum(
        np.indices(shape)[a] // square for a in range(len(shape)))
    return ((idx + 1) % 2).astype(np.float32)


def gradient(shape) -> np.ndarray:
    """A diagonal ramp from 0 to 1."""
    grids = np.meshgrid(*(np.linspace(0, 1, n) for n in shape), indexing="ij")
    return (sum(grids) / len(shape)).astype(np.float32)


def edge(shape) -> np.ndarray:
    """A vertical step edge: left half 0, right half 1 (what edge detectors find)."""
    a = np.zeros(shape, dtype=np.float32)
    a[..., shape[-1] // 2:] = 1
    return a


def glyph(text: str = "A", size: int = 16) -> np.ndarray:
    """A letter or digit drawn with matplotlib's Agg canvas, ``size``×``size`` in 0…1.

    Examples
    --------
    >>> g = glyph("7", 12)
    >>> g.shape, float(g.max()) > 0.5
    ((12, 12), True)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=size * 4)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 0.45, text, ha="center", va="center", fontsize=size * 2.6,
             family="DejaVu Sans", weight="bold")
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    ink = 1.0 - rgba[..., :3].mean(axis=-1) / 255.0
    return downsample(ink, (size, size))


def downsample(a: np.ndarray, shape) -> np.ndarray:
    """Block-average ``a`` (2-D, or 2-D + channels) to about ``shape`` (exact when divisible).

    Examples
    --------
    >>> downsample(np.arange(16.0).reshape(4, 4), (2, 2)).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    a = np.asarray(a, dtype=np.float32)
    h, w = a.shape[:2]
    th, tw = shape
    fh, fw = max(h // th, 1), max(w // tw, 1)
    a = a[: (h // fh) * fh, : (w // fw) * fw]
    a = a.reshape(h // fh, fh, w // fw, fw, *a.shape[2:]).mean(axis=(1, 3))
    return a[:th, :tw]


def _sample(name: str):
    import matplotlib.cbook as cbook

    return cbook.get_sample_data(name)


def grace_hopper(shape=(64, 64), grey: bool = True) -> np.ndarray:
    """Grace Hopper's portrait (matplotlib sample data), in 0…1, downsampled.

    Examples
    --------
    >>> grace_hopper((32, 32)).shape
    (32, 32)
    """
    from PIL import Image

    with _sample("grace_hopper.jpg") as f:
        img = np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / 255.0
    img = img[:512, 44:556]  # square crop around the face, 512 × 512
    if grey:
        img = img @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return downsample(img, shape)


def mri_slice(shape=(64, 64)) -> np.ndarray:
    """The 256×256 uint16 MRI slice ``s1045.ima.gz`` scaled to 0…1, downsampled."""
    with _sample("s1045.ima.gz") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":  # some matplotlib versions hand back the gzip bytes
        raw = gzip.decompress(raw)
    im = np.frombuffer(raw, np.uint16).reshape(256, 256).astype(np.float32)
    return downsample(im / max(float(im.max()), 1.0), shape)


def eeg(length: int = 64, channel: int = 0) -> np.ndarray:
    """One channel of ``eeg.dat`` (800 × 4 samples), first ``length`` samples, standardised."""
    with _sample("eeg.dat") as f:
        data = np.frombuffer(f.read(), dtype=float).reshape(-1, 4)
    x = data[:length, channel]
    return ((x - x.mean()) / (x.std() or 1.0)).astype(np.float32)


def membrane(length: int = 64) -> np.ndarray:
    """The first ``length`` samples of ``membrane.dat`` (float32 membrane potential)."""
    with _sample("membrane.dat") as f:
        x = np.frombuffer(f.read(), dtype=np.float32)
    return x[:length].astype(np.float32)


def chirp(length: int = 32) -> np.ndarray:
    """A 1-D chirp (rising frequency), rounded to 1 decimal."""
    t = np.linspace(0, 1, length)
    return np.round(np.sin(2 * np.pi * (1 + 6 * t) * t) * 2, 1).astype(np.float32)


def image_from_bytes(data: bytes, shape=(64, 64)) -> np.ndarray:
    """An uploaded image (any format Pillow reads) → greyscale 0…1 array of ``shape``."""
    from PIL import Image

    img = Image.open(io.BytesIO(bytes(data))).convert("L").resize(shape[::-1], Image.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


SOURCES_2D = ("ramp", "random ints", "checkerboard", "edge", "letter A", "digit 7",
              "Grace Hopper", "MRI slice")
SOURCES_1D = ("ramp", "random ints", "chirp", "EEG", "membrane")


def make_input(source: str, shape, seed: int = 0) -> np.ndarray:
    """Build a named sample of ``shape`` (1-D or 2-D, no channels).

    Examples
    --------
    >>> make_input("ramp", (3,)).tolist()
    [1.0, 2.0, 3.0]
    """
    shape = tuple(int(s) for s in shape)
    if source == "ramp":
        return ramp(shape)
    if source == "random ints":
        return random_ints(shape, seed)
    if source == "checkerboard":
        return checkerboard(shape)
    if source == "edge":
        return edge(shape)
    if source in ("letter A", "digit 7"):
        g = glyph(source[-1], max(shape))
        return np.round(g[: shape[0], : shape[1]] * 4) / 4 if len(shape) == 2 else g[0]
    if source == "Grace Hopper":
        return np.round(grace_hopper(shape), 2)
    if source == "MRI slice":
        return np.round(mri_slice(shape), 2)
    if source == "chirp":
        return chirp(shape[0])
    if source == "EEG":
        return np.round(eeg(shape[0]), 1)
    if source == "membrane":
        return np.round(membrane(shape[0]), 1)
    raise ValueError(f"unknown sample {source!r}; choose from {SOURCES_2D + SOURCES_1D}")


__all__ = ["ramp", "random_ints", "checkerboard", "gradient", "edge", "glyph", "downsample",
           "grace_hopper", "mri_slice", "eeg", "membrane", "chirp", "image_from_bytes",
           "make_input", "SOURCES_1D", "SOURCES_2D"]
