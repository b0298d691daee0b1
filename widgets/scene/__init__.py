"""Pure-NumPy scenes: (layer configuration, input, step) → plain data that renderers draw.

Nothing here imports ipywidgets or matplotlib; every number comes from :mod:`convkit.ops`.

Examples
--------
>>> import numpy as np
>>> from convkit.widgets.scene import ConvConfig, ConvComputation
>>> computation = ConvComputation(ConvConfig(kernel_size=(3, 3)), np.arange(16.0).reshape(4, 4, 1))
>>> computation.n_steps, computation.scene(0).position
(4, (0, 0))
"""

from .common import SceneError
from .conv import ConvComputation, ConvConfig, ConvScene
from .resample import ResampleComputation, ResampleConfig, ResampleScene
from .separable import SeparableComputation, SeparableConfig, SeparableScene
from .text import fmt
from .transposed import TransposedComputation, TransposedConfig, TransposedScene

__all__ = ["SceneError", "fmt", "ConvConfig", "ConvComputation", "ConvScene",
           "ResampleConfig", "ResampleComputation", "ResampleScene",
           "TransposedConfig", "TransposedComputation", "TransposedScene",
           "SeparableConfig", "SeparableComputation", "SeparableScene"]
