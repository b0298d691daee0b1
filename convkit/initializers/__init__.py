"""Weight initializers with the names, arguments, configs and serialised form of
``keras.initializers``.

An initializer is called as ``init(shape, dtype="float32")`` and returns a new NumPy array.

Seeds (Keras 3 semantics): an initializer built with an integer seed returns the *same*
values every time it is called with the same shape. One built with ``seed=None`` draws an
integer seed from convkit's global generator when it is *created* and then behaves like a
seeded one, so :func:`convkit.utils.set_random_seed` called before the layers are created
makes a whole model's initial weights reproducible. Passing a ``numpy.random.Generator`` as
``seed`` draws new values on every call (the role of Keras's ``SeedGenerator``).

Random values are drawn in float64 and rounded to the requested dtype, so one seed gives the
same weights, up to rounding, in float32 and float64. They are not the numbers Keras draws
(its backends use their own generators); the distributions are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit._serialization import deserialize_object, get_object, serialize_object
from convkit.initializers.base import Initializer, _dtype, _shape
from convkit.initializers.constant_initializers import Constant, Identity, Ones, Zeros
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
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "Zeros", "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal",
    "random_normal", "random_uniform", "serialize", "truncated_normal", "variance_scaling", "zeros",
]


# Keras's Python-level aliases.
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
constant, zeros, ones, identity = Constant, Zeros, Ones, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform


_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Initializer, Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform,
        TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
        LecunNormal, LecunUniform, Orthogonal,
    )
}
# Every name `keras.initializers.get` accepts (STFT aside): class names, their snake_case
# spellings and Keras's extra aliases.
_OBJECTS: dict[str, type] = {
    **_CLASSES,
    "initializer": Initializer, "constant": Constant, "zeros": Zeros, "ones": Ones,
    "identity": Identity, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal, "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal, "normal": RandomNormal, "uniform": RandomUniform,
    "zero": Zeros, "one": Ones,
}


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Return ``{'module': 'keras.initializers', 'class_name', 'config',
    'registered_name'}``, the dict ``keras.initializers.serialize`` produces.

    Parameters
    ----------
    initializer : Initializer
        A built-in or custom initializer.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object that is neither a initializer nor a function (None, names and numbers
        come back unchanged, as from Keras).

    Examples
    --------
    >>> from convkit import initializers
    >>> initializers.serialize(initializers.GlorotUniform())["config"]
    {'seed': None, 'input_axes': None, 'output_axes': None}
    """
    return serialize_object(initializer, "keras.initializers", _CLASSES, "initializer")


def deserialize(config: dict[str, Any] | str) -> Initializer:
    """Build an initializer from :func:`serialize` output (or from a name).

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    Initializer
        A new initializer (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no initializer convkit has.

    Examples
    --------
    >>> from convkit import initializers
    >>> init = initializers.deserialize(initializers.serialize(initializers.Constant(2.0)))
    >>> init.value
    2.0
    """
    return deserialize_object(config, _OBJECTS, "initializer")


def get(identifier: Any) -> Any:
    """Resolve an initializer argument the way Keras layers do.

    ``None`` → ``None``; a name (case-sensitive class or snake_case name, e.g.
    ``"glorot_uniform"``, ``"GlorotUniform"``, ``"normal"``) or a serialised dict → a new
    instance; a class → an instance of it; an initializer or any callable ``(shape, dtype)``
    → itself; a NumPy array → a callable returning it (for that shape only) cast to the
    requested dtype.

    Parameters
    ----------
    identifier : str, dict, Initializer or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Initializer
        The initializer.

    Raises
    ------
    ValueError
        ``"Could not interpret initializer identifier: <identifier>"``.

    Examples
    --------
    >>> from convkit import initializers
    >>> type(initializers.get("he_normal")).__name__
    'HeNormal'
    """
    if isinstance(identifier, (np.ndarray, np.generic)):
        value = np.asarray(identifier)

        def initialize_fn(shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
            if _shape(shape) != value.shape:
                raise ValueError(
                    f"Expected `shape` to be {value.shape} for direct tensor as "
                    f"initializer. Received shape={shape}"
                )
            return value.astype(_dtype(dtype))

        return initialize_fn
    return get_object(identifier, _OBJECTS, "initializer")
