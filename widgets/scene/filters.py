"""Image-filter presets, written as correlation kernels (what Keras and convkit compute).

Examples
--------
>>> kernel_for("sobel x", 3)[1].tolist()
[-2.0, 0.0, 2.0]
>>> float(kernel_for("identity", 5)[2, 2])
1.0
"""

import numpy as np

_P3 = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}
_B5 = np.array([1, 4, 6, 4, 1], dtype=np.float64)
_P5 = {"box blur": np.full((5, 5), 1 / 25), "Gaussian": np.outer(_B5, _B5) / 256}

PRESET_NAMES = tuple(_P3)

#: What each preset does, in one sentence (shown under the picture).
DESCRIPTIONS = {
    "identity": "The identity kernel copies the input: one weight of 1 at the centre.",
    "box blur": "Box blur averages the window: every weight equal, summing to 1.",
    "Gaussian": "Gaussian blur weights near pixels more; the weights sum to 1.",
    "sharpen": "Sharpen = identity + (identity − blur): edges get more contrast.",
    "Sobel x": "Sobel x responds to left–right changes: vertical edges light up, with a sign.",
    "Sobel y": "Sobel y responds to top–bottom changes: horizontal edges light up.",
    "Laplacian": "The Laplacian is 0 on flat and linear regions and large at fine detail.",
    "emboss": "Emboss: a diagonal derivative plus the pixel, like light from the top-left.",
    "outline": "Outline: 8 × the pixel minus its neighbours; flat regions go to 0.",
}


def kernel_for(name: str, size: int = 3) -> np.ndarray:
    """The ``size``×``size`` preset (3×3 presets are centred in a 5×5 of zeros)."""
    key = {k.lower(): k for k in _P3}[name.lower()]
    if size == 5 and key in _P5:
        return np.asarray(_P5[key], dtype=np.float64)
    k3 = np.asarray(_P3[key], dtype=np.float64)
    if size == 3:
        return k3
    out = np.zeros((size, size))
    off = (size - 3) // 2
    out[off:off + 3, off:off + 3] = k3
    return out


__all__ = ["PRESET_NAMES", "DESCRIPTIONS", "kernel_for"]
