"""Activation functions with the names, arguments and defaults of ``keras.activations``.

Every function takes an array-like and returns a NumPy array of the same shape (``glu``
halves one axis); only ``linear`` may return its input itself. Float arrays keep their dtype
(float32 in, float32 out; float64 stays float64); float16 is computed in float32 and rounded
back. Anything else (Python scalars and lists, integer and bool arrays) is converted to
float32, Keras's default float type.

The formulas follow Keras 3 on the JAX backend, written so that no intermediate overflows:
finite inputs up to the dtype's maximum give the limit value, and no input (infinities and
NaN included, which follow IEEE arithmetic as in Keras) triggers a NumPy warning.

Deliberate differences from Keras 3.15: ``sparsemax`` uses the paper's threshold (Keras's
is wrong whenever more than one logit is in the support, keras-team/keras#23425);
``squareplus`` avoids the cancellation Keras suffers for large negative inputs; ``glu`` on
an odd-sized axis raises ``ValueError`` (Keras on JAX: ``AssertionError``); ``softmax`` over
a size-1 axis does not warn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from convkit.activations.along_axis import glu, log_softmax, softmax, sparsemax
from convkit.activations.gradients import gradient, has_gradient
from convkit.activations.linear_exponential import exponential, linear
from convkit.activations.rectifiers import celu, elu, leaky_relu, relu, relu6, selu
from convkit.activations.shrinkage import hard_shrink, soft_shrink, tanh_shrink, threshold
from convkit.activations.sigmoids import (
    hard_sigmoid,
    hard_tanh,
    log_sigmoid,
    sigmoid,
    softsign,
    sparse_sigmoid,
    tanh,
)
from convkit.activations.smooth_rectifiers import (
    gelu,
    hard_silu,
    hard_swish,
    mish,
    silu,
    softplus,
    sparse_plus,
    squareplus,
    swish,
)

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "gradient",
    "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "has_gradient",
    "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
    "serialize", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
    "threshold",
]

# ---------------------------------------------------------------------------------------
# Lookup and serialisation

_BY_NAME: dict[str, Callable[..., np.ndarray]] = {
    fn.__name__: fn
    for fn in (
        celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
        leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu,
        soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax,
        squareplus, tanh, tanh_shrink, threshold,
    )
}
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu


def get(identifier: Any) -> Callable[..., np.ndarray]:
    """Return the activation function named by ``identifier``.

    ``None`` gives :func:`linear`; a string must be an exact, lower-case name
    (case-sensitive, as in Keras); a dict in the form ``keras.activations.serialize``
    produces for built-ins (``{"class_name": "function", "config": "relu", ...}``) is
    accepted; any callable passes through.

    Parameters
    ----------
    identifier : str, dict, callable or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    callable
        The activation function.

    Raises
    ------
    ValueError
        ``"Could not interpret activation function identifier: <identifier>"``.

    Examples
    --------
    >>> from convkit import activations
    >>> activations.get("relu") is activations.relu
    True
    >>> activations.get(None) is activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
    elif isinstance(identifier, Mapping):
        name = identifier.get("config")
        fn = _BY_NAME.get(name) if isinstance(name, str) else None
    else:
        fn = identifier if callable(identifier) else None
    if fn is None:
        raise ValueError(f"Could not interpret activation function identifier: {identifier}")
    return fn


def serialize(activation: Callable[..., Any]) -> str:
    """Return the name stored in a layer config for ``activation``.

    Built-ins give their Keras name (``swish`` → ``"silu"``, ``hard_swish`` →
    ``"hard_silu"``, as Keras does); other callables give their ``__name__``.

    Parameters
    ----------
    activation : callable
        A built-in or custom activation function.

    Returns
    -------
    str
        The name stored in a layer's config.

    Raises
    ------
    ValueError
        For an object without a name (not a function).

    Examples
    --------
    >>> from convkit import activations
    >>> activations.serialize(activations.swish)
    'silu'
    """
    name = getattr(activation, "__name__", None)
    if not callable(activation) or not isinstance(name, str):
        raise ValueError(  # noqa: TRY004 -- Keras raises ValueError here too
            f"Unknown activation function '{activation}' cannot be serialized: "
            "it has no __name__."
        )
    return name


def deserialize(config: str | Mapping[str, Any]) -> Callable[..., np.ndarray]:
    """Inverse of :func:`serialize`: the built-in activation with that name.

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    callable
        The activation function.

    Raises
    ------
    ValueError
        For a config or name that describes no activation function convkit has.

    Examples
    --------
    >>> from convkit import activations
    >>> activations.deserialize("swish") is activations.silu
    True
    """
    if not isinstance(config, (str, Mapping)):
        raise ValueError(  # noqa: TRY004 -- the error every lookup raises, as in Keras
            f"Could not interpret activation function identifier: {config}"
        )
    return get(config)
