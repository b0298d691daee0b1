"""Models that travel: Keras 3 ``.keras`` and ``.weights.h5`` files, and pickling.

Files (h5py, the optional ``io`` extra: ``pip install "convkit-layers[io]"``):

- :func:`save_model` / :func:`load_model`: the ``.keras`` zip Keras 3.15 writes and reads
  (``config.json``, ``metadata.json``, ``model.weights.h5``); files go both ways between
  Keras and convkit. ``Model.save`` and ``convkit.models.load_model`` are the same functions.
- :func:`save_weights` / :func:`load_weights`: the ``.weights.h5`` file alone.

Modules, one job each: :mod:`~convkit.saving.archive` (the zip),
:mod:`~convkit.saving.weights_store` (the HDF5 layout, and where an optimizer's state goes),
:mod:`~convkit.saving.config` (Keras class names to convkit classes),
:mod:`~convkit.saving.atomic` (write beside, rename over), :mod:`~convkit.saving.api` (the
entry points).

Pickling (no h5py needed) lives with the layers, in :mod:`convkit.layers.pickling`: a layer or
model pickles and deep-copies as its config, weights and state, so it can be sent to worker
processes.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from convkit import layers, models, saving
>>> net = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name="net")
>>> path = os.path.join(tempfile.mkdtemp(), "net.keras")
>>> saving.save_model(net, path)
>>> again = saving.load_model(path)
>>> x = np.ones((1, 8, 1), "float32")
>>> bool(np.array_equal(again.predict(x, verbose=0), net.predict(x, verbose=0)))
True
"""

from .api import load_model, load_weights, save_model, save_weights

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]
