"""Random initializers, by their former home (the module Keras's sources name
``random_initializers``): they now live in one module per kind,

- :mod:`~convkit.initializers.random_distributions`: ``RandomNormal``,
  ``TruncatedNormal``, ``RandomUniform`` (fixed parameters);
- :mod:`~convkit.initializers.variance_scaling`: ``VarianceScaling``, :func:`compute_fans`
  and the Glorot, He and LeCun presets (scaled to the weight's fans);
- :mod:`~convkit.initializers.orthogonal`: ``Orthogonal``.

This module only re-exports them, so ``from convkit.initializers.random_initializers import
GlorotUniform`` and pickles that name a class by this path keep working. New code imports
from :mod:`convkit.initializers`.
"""

from convkit.initializers.orthogonal import Orthogonal
from convkit.initializers.random_distributions import RandomNormal, RandomUniform, TruncatedNormal
from convkit.initializers.variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
    compute_fans,
)

__all__ = [
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "compute_fans",
]
