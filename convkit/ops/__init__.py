"""Functional API, spelled like ``keras.ops``: NumPy arrays in, new NumPy arrays out.

All argument checking lives here, once; the compiled kernels below assume valid input.
"""

from . import shapes
from .arguments import standardize_data_format, standardize_padding, standardize_tuple
from .conv import conv, pack_conv_kernel
from .conv_transpose import conv_transpose, pack_conv_transpose_kernel
from .resample import crop, upsample, zero_pad

__all__ = ["conv", "conv_transpose", "crop", "pack_conv_kernel", "pack_conv_transpose_kernel",
           "shapes", "standardize_data_format", "standardize_padding", "standardize_tuple",
           "upsample", "zero_pad"]
