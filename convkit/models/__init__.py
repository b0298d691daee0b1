"""Models: layers made of layers, and the loop that feeds them batches.

``Model`` is a :class:`~convkit.layers.Layer`; ``Sequential`` stacks layers (models among them)
one after the other. ``EpochIterator`` is the batching loop ``predict`` uses (and training will).

Examples
--------
>>> import numpy as np
>>> from convkit import layers, models
>>> inner = models.Sequential([layers.Conv1D(2, 3, name="c"), layers.UpSampling1D(2)],
...                           name="inner")
>>> net = models.Sequential([layers.ZeroPadding1D(1), inner], name="net")
>>> net(np.ones((4, 8, 1))).shape
(4, 16, 2)
>>> [w.path for w in net.weights]
['net/inner/c/kernel', 'net/inner/c/bias']
"""

from ..layers import serialization as _serialization
from ..saving import load_model
from .epoch_iterator import Batch, EpochIterator, train_validation_split
from .model import Model
from .sequential import Sequential

_serialization.register(Sequential)

__all__ = ["Model", "Sequential", "EpochIterator", "Batch", "train_validation_split",
           "load_model"]
