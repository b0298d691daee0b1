"""convkit: Keras-style convolution layers for NumPy arrays, on parallel Cython kernels.

Examples
--------
>>> import numpy as np
>>> from convkit import layers
>>> layers.ZeroPadding2D(1)(np.ones((1, 2, 2, 1))).shape
(1, 4, 4, 1)
"""

from importlib import metadata as _metadata

from . import (  # noqa: E402,I001
    activations,
    config,
    constraints,
    initializers,
    layers,  # noqa: E402
    models,  # noqa: E402
    ops,  # noqa: E402
    regularizers,
    utils,
)
from ._threads import get_num_threads, num_threads, set_num_threads
from .models import Sequential  # noqa: E402

try:
    __version__ = _metadata.version("convkit-layers")
except _metadata.PackageNotFoundError:  # running from a source tree without install metadata
    __version__ = "0+unknown"


def show_config() -> None:
    """Print the version, OpenMP state, threads, kernel ISA variant and NumPy version.

    Examples
    --------
    >>> import convkit
    >>> convkit.show_config()  # doctest: +ELLIPSIS
    convkit ...
    """
    import platform

    import numpy

    from . import _kernels
    from ._kernels import _cpu

    lines = [
        f"convkit {__version__}",
        f"  python:          {platform.python_version()} ({platform.machine()})",
        f"  numpy:           {numpy.__version__}",
        f"  openmp:          {'on' if _cpu.openmp_enabled() else 'off (serial kernels)'}",
        f"  threads:         {get_num_threads()}",
        f"  kernel ISA:      {_kernels.ISA} (built: {', '.join(_kernels.built_variants())})",
        f"  data format:     {config.image_data_format()}",
    ]
    print("\n".join(lines))


__all__ = ["activations", "config", "constraints", "initializers", "layers", "models", "ops",
           "regularizers", "utils", "Sequential", "get_num_threads", "num_threads",
           "set_num_threads", "show_config", "__version__"]
