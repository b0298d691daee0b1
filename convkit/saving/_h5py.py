"""The one place that imports h5py, the optional ``io`` extra."""

import importlib

INSTALL_HINT = 'pip install "convkit-layers[io]"'


def require_h5py():
    """The ``h5py`` module, or an ImportError that says which extra installs it.

    Imported on every call (a dictionary look-up once loaded), so ``import convkit`` never
    needs h5py and a missing h5py is reported where a file is read or written.
    """
    try:
        return importlib.import_module("h5py")
    except ImportError as error:
        raise ImportError(f"Saving and loading .keras and .weights.h5 files needs h5py, "
                          f"which the optional `io` extra installs: {INSTALL_HINT}") from error
