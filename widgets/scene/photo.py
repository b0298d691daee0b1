"""A learner's own picture (an upload or an array) fitted to an explorer's size selector.

The picture keeps its aspect ratio: its longer side becomes the chosen size and the shorter
side follows by the same factor. Nothing is cropped and no bars are added (a letterbox whose
box is the picture itself), because grey bars would look like a conv's PADDING cells.

Examples
--------
>>> import numpy as np
>>> fit_longer_side(np.ones((60, 120), np.float32), 64).shape
(32, 64)
"""

import io

import numpy as np

#: Uploads are decoded at most this large (the size selectors stop far below it), so a
#: 4000-pixel phone photo does not keep 48 MB of floats alive.
MAX_SIDE = 512


def check_picture(image, name: str = "image") -> np.ndarray:
    """``image`` as a finite 2-D float32 array, or a ValueError naming ``name``."""
    a = np.asarray(image)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, received dtype {a.dtype}")
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"{name} must be a non-empty 2-D greyscale array (rows, cols), "
                         f"received shape {a.shape}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite: it contains NaN or infinity")
    return a


def fitted_shape(shape, side: int) -> tuple:
    """``(rows, cols)`` with the longer side = ``side``, the other scaled alike (≥ 1)."""
    h, w = shape
    scale = side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def fit_longer_side(image, side: int) -> np.ndarray:
    """Resize a 2-D array so its longer side is ``side`` pixels, keeping its aspect ratio.

    Pillow's bilinear filter widens with the shrink factor, so shrinking averages (no
    aliasing) and enlarging interpolates.
    """
    from PIL import Image

    a = check_picture(image)
    rows, cols = fitted_shape(a.shape, int(side))
    if (rows, cols) == a.shape:
        return a
    resized = Image.fromarray(a).resize((cols, rows), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)


def picture_from_bytes(data: bytes) -> np.ndarray:
    """An uploaded file (any format Pillow reads) → greyscale 0…1 array, aspect ratio kept,
    at most :data:`MAX_SIDE` pixels on its longer side."""
    from PIL import Image

    img = Image.open(io.BytesIO(bytes(data))).convert("L")
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)  # keeps the aspect ratio
    return np.asarray(img, dtype=np.float32) / 255.0


__all__ = ["MAX_SIDE", "check_picture", "fitted_shape", "fit_longer_side",
           "picture_from_bytes"]
