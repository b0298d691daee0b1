"""Global random state of convkit.

Initializers created with ``seed=None`` take their seed from one process-wide NumPy
``Generator`` kept here. :func:`set_random_seed` resets that generator, so that
everything built after the call (layers, their initializers, hence a whole model's initial
weights) is reproducible.

Like ``keras.utils.set_random_seed``, :func:`set_random_seed` also seeds Python's ``random``
module and NumPy's legacy global generator (``np.random.seed``): people who write the Keras
spelling expect one call to make a notebook reproducible, including their own
``np.random.rand`` data.
"""

from __future__ import annotations

import numbers
import random
import threading

import numpy as np

__all__ = ["get_random_seed", "global_rng", "set_random_seed"]

# Seeds handed to initializers stay below 2**31 so they are also valid seeds for any other
# library a user might feed them to (Keras, JAX and TensorFlow all take 32-bit seeds).
_MAX_DRAWN_SEED = 2**31 - 1

_lock = threading.Lock()
_state: dict[str, object] = {"seed": None, "rng": np.random.default_rng()}


def set_random_seed(seed: int) -> None:
    """Seed convkit's global generator, Python's ``random`` and NumPy's global RNG.

    After the call, initializers created without an explicit ``seed`` draw their seeds
    from a generator restarted from ``seed``, so building the same layers in the same order
    gives the same initial weights. Initializers that already exist keep the seed they drew
    when they were created (as in Keras), so call this *before* creating layers.

    Parameters
    ----------
    seed : int
        Non-negative integer below ``2**32`` (the range ``np.random.seed`` accepts).

    Raises
    ------
    ValueError
        If ``seed`` is not an integer or is out of range.

    Examples
    --------
    >>> from convkit import initializers, utils
    >>> utils.set_random_seed(7)
    >>> a = initializers.GlorotUniform()((3, 2))
    >>> utils.set_random_seed(7)
    >>> b = initializers.GlorotUniform()((3, 2))
    >>> bool((a == b).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(  # noqa: TRY004 -- keras.utils.set_random_seed raises ValueError
            "Expected `seed` argument to be an integer. "
            f"Received: seed={seed!r} (of type {type(seed)})"
        )
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(
            f"Expected `seed` argument to be in [0, 2**32 - 1]. Received: seed={seed}"
        )
    with _lock:
        _state["seed"] = seed
        _state["rng"] = np.random.default_rng(seed)
    random.seed(seed)
    np.random.seed(seed)


def get_random_seed() -> int | None:
    """Return the seed last given to :func:`set_random_seed`, or ``None`` if never called.

    Examples
    --------
    >>> from convkit import utils
    >>> utils.set_random_seed(3)
    >>> utils.get_random_seed()
    3
    """
    return _state["seed"]  # type: ignore[return-value]


def global_rng() -> np.random.Generator:
    """Return convkit's global ``numpy.random.Generator``.

    Components that need randomness without an explicit seed (initializers with
    ``seed=None``, and later dropout or sample data) draw from it. It is replaced, not
    reseeded in place, by :func:`set_random_seed`, so do not keep a reference across calls.

    Examples
    --------
    >>> from convkit import utils
    >>> utils.set_random_seed(0)
    >>> utils.global_rng().integers(0, 10, size=3).shape
    (3,)
    """
    return _state["rng"]  # type: ignore[return-value]


def _next_seed() -> int:
    """Draw a fresh integer seed from the global generator (thread-safe)."""
    with _lock:
        rng: np.random.Generator = _state["rng"]  # type: ignore[assignment]
        return int(rng.integers(1, _MAX_DRAWN_SEED, endpoint=True))
