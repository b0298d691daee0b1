"""Keras-style layers on NumPy arrays.

Examples
--------
>>> import numpy as np
>>> from convkit import layers
>>> layers.UpSampling2D(2)(np.ones((1, 3, 3, 1))).shape
(1, 6, 6, 1)
"""

from .base import Layer
from .cropping import Cropping1D, Cropping2D, Cropping3D
from .serialization import deserialize, get, register, serialize
from .upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from .variable import Variable
from .zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

register(Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D,
         ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

__all__ = [
    "Layer", "Variable", "serialize", "deserialize", "get", "register",
    "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
