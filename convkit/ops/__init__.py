"""Functional API, spelled like ``keras.ops``: NumPy arrays in, new NumPy arrays out.

All argument checking lives here, once; the compiled kernels below assume valid input.
"""

from . import shapes
from .arguments import standardize_data_format, standardize_padding, standardize_tuple
from .depthwise import depthwise_conv, pack_depthwise_kernel, separable_conv

__all__ = ["shapes", "standardize_data_format", "standardize_padding", "standardize_tuple"]
__all__ += ["depthwise_conv", "pack_depthwise_kernel", "separable_conv"]
