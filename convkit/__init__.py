"""convkit: Keras-style convolution layers for NumPy arrays, on parallel Cython kernels.

Examples
--------
>>> import numpy as np
>>> import convkit
>>> model = convkit.Sequential([convkit.layers.Conv2D(4, 3, padding="same", activation="relu"),
...                             convkit.layers.UpSampling2D(2)])
>>> model.predict(np.ones((2, 8, 8, 3)), verbose=0).shape
(2, 16, 16, 4)
"""

from importlib import metadata as _metadata

from . import _memory

_memory.tune_malloc()  # before the first large arrays: see convkit/_memory.py

from . import (  # noqa: E402
    activations,
    callbacks,
    config,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    utils,
)
from ._threads import get_num_threads, num_threads, set_num_threads  # noqa: E402
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
        f"  malloc tuning:   {_malloc_line()}",
    ]
    print("\n".join(lines))


def _malloc_line() -> str:
    tuning = _memory.malloc_tuning()
    if tuning is None:
        return "none (CONVKIT_MALLOC_TUNING=0, or not glibc)"
    return (f"heap blocks up to {tuning['mmap_threshold'] >> 20} MiB, up to "
            f"{tuning['trim_threshold'] >> 20} MiB of freed memory kept")


__all__ = ["activations", "callbacks", "config", "constraints", "initializers", "layers",
           "losses", "metrics", "models", "ops", "optimizers", "regularizers", "utils",
           "Sequential", "get_num_threads", "num_threads", "set_num_threads", "show_config",
           "__version__"]
