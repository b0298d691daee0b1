"""Functional API, spelled like ``keras.ops``: NumPy arrays in, new NumPy arrays out.

All argument checking lives here, once; the compiled kernels below assume valid input.
"""

from . import shapes
from .arguments import standardize_data_format, standardize_padding, standardize_tuple
from .conv import conv, pack_conv_kernel
from .conv_grad import bias_gradient, conv_input_gradient, conv_kernel_gradient
from .conv_transpose import conv_transpose, pack_conv_transpose_kernel
from .conv_transpose_grad import conv_transpose_input_gradient, conv_transpose_kernel_gradient
from .depthwise import (
    depthwise_conv,
    pack_depthwise_kernel,
    pack_pointwise_kernel,
    separable_conv,
)
from .depthwise_grad import (
    depthwise_input_gradient,
    depthwise_kernel_gradient,
    separable_gradients,
)
from .pooling import (
    average_pool,
    global_average_pool,
    global_max_pool,
    max_pool,
    max_pool_with_argmax,
)
from .pooling_grad import (
    average_pool_gradient,
    global_average_pool_gradient,
    global_max_pool_gradient,
    max_pool_gradient,
)
from .resample import crop, upsample, zero_pad
from .resample_grad import crop_gradient, upsample_gradient, zero_pad_gradient

__all__ = ["bias_gradient", "conv", "conv_input_gradient", "conv_kernel_gradient",
           "conv_transpose", "conv_transpose_input_gradient", "conv_transpose_kernel_gradient",
           "crop", "depthwise_conv", "pack_conv_kernel", "pack_conv_transpose_kernel",
           "pack_depthwise_kernel", "pack_pointwise_kernel", "separable_conv", "shapes",
           "standardize_data_format", "standardize_padding", "standardize_tuple", "upsample",
           "zero_pad"]
__all__ += ["crop_gradient", "upsample_gradient", "zero_pad_gradient"]
__all__ += ["average_pool", "average_pool_gradient", "global_average_pool",
            "global_average_pool_gradient", "global_max_pool", "global_max_pool_gradient",
            "max_pool", "max_pool_gradient", "max_pool_with_argmax"]
__all__ += ["depthwise_input_gradient", "depthwise_kernel_gradient", "separable_gradients"]
