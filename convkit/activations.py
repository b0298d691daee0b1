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

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from convkit._special import gelu_exact

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid",
    "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "soft_shrink",
    "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
    "swish", "tanh", "tanh_shrink", "threshold",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _prep(x: ArrayLike) -> tuple[np.ndarray, np.dtype]:
    """Return (working array, output dtype) following the module's dtype rule."""
    if isinstance(x, (np.ndarray, np.generic)):
        arr = np.asarray(x)
        if arr.dtype.kind == "f":
            if arr.dtype.itemsize < 4:  # float16: too coarse to compute in
                return arr.astype(np.float32), arr.dtype
            return arr, arr.dtype
    else:
        arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Activations take real numbers. Received an array of dtype {arr.dtype}."
        )
    return arr.astype(np.float32), np.dtype(np.float32)


def _done(y: Any, dtype: np.dtype) -> np.ndarray:
    return np.asarray(y).astype(dtype, copy=False)


def _quiet(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Evaluate ``fn`` with NumPy's floating-point warnings off.

    Overflow to inf, inf - inf and 0 * inf give the IEEE results Keras gives (silently);
    the formulas avoid them for finite inputs, but unused ``np.where`` branches and
    infinite inputs can still raise the flags.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper


@_quiet
def relu(
    x: ArrayLike,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> np.ndarray:
    """Rectified linear unit, with Keras's optional slope, ceiling and threshold.

    With the defaults this is ``max(x, 0)``. Otherwise, as in Keras: values above
    ``threshold`` pass, the rest become 0; the result is clipped to ``[0, max_value]``;
    then ``negative_slope * max(threshold - x, 0)`` is subtracted.

    Parameters
    ----------
    x : array_like
        Input.
    negative_slope : float, default 0.0
        Slope below the threshold.
    max_value : float or None, default None
        Saturation value; ``None`` for no ceiling.
    threshold : float, default 0.0
        Values at or below it are damped.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``x``.

    Examples
    --------
    >>> from convkit.activations import relu
    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0)
    array([0., 0., 0., 5., 5.], dtype=float32)
    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5)
    array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    """
    x, dtype = _prep(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return leaky_relu(x, negative_slope).astype(dtype, copy=False)
    if threshold != 0:
        y = np.where(x > threshold, x, 0)
    else:
        y = np.maximum(x, 0)
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * np.maximum(threshold - x, 0)
    return _done(y, dtype)


@_quiet
def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> np.ndarray:
    """Leaky ReLU: ``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere.

    Examples
    --------
    >>> from convkit.activations import leaky_relu
    >>> leaky_relu([-2.0, 3.0])
    array([-0.4,  3. ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.where(x >= 0, x, negative_slope * x), dtype)


@_quiet
def relu6(x: ArrayLike) -> np.ndarray:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Examples
    --------
    >>> from convkit.activations import relu6
    >>> relu6([-1.0, 3.0, 9.0])
    array([0., 3., 6.], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.clip(x, 0, 6), dtype)


@_quiet
def softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1) -> np.ndarray:
    """Softmax along ``axis`` (an int, a tuple of ints, or None for all axes).

    Computed as ``exp(x - max) / sum(exp(x - max))``, so large logits do not overflow.

    Examples
    --------
    >>> from convkit.activations import softmax
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5], dtype=float32)
    """
    x, dtype = _prep(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return _done(e / np.sum(e, axis=axis, keepdims=True), dtype)


@_quiet
def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, computed stably as ``s - log(sum(exp(s)))``,
    ``s = x - max(x)``.

    Examples
    --------
    >>> from convkit.activations import log_softmax
    >>> log_softmax([0.0, 0.0])
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    x, dtype = _prep(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return _done(shifted - lse, dtype)


@_quiet
def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Examples
    --------
    >>> from convkit.activations import elu
    >>> elu([-1.0, 2.0])
    array([-0.63212055,  2.        ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), dtype)


@_quiet
def selu(x: ArrayLike) -> np.ndarray:
    """Scaled ELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s constants
    (alpha ≈ 1.6733, scale ≈ 1.0507).

    Examples
    --------
    >>> from convkit.activations import selu
    >>> selu([-1.0, 1.0])
    array([-1.1113307,  1.050701 ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(_SELU_SCALE * elu(x, _SELU_ALPHA), dtype)


@_quiet
def celu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    Examples
    --------
    >>> from convkit.activations import celu
    >>> celu([-2.0, 2.0], alpha=2.0)
    array([-1.2642411,  2.       ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha), dtype)


@_quiet
def softplus(x: ArrayLike) -> np.ndarray:
    """Softplus ``log(1 + exp(x))``, as ``max(x, 0) + log1p(exp(-|x|))`` so it never
    overflows.

    Examples
    --------
    >>> from convkit.activations import softplus
    >>> softplus([-10000.0, 0.0, 10000.0])
    array([0.000000e+00, 6.931472e-01, 1.000000e+04], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(_softplus(x), dtype)


@_quiet
def softsign(x: ArrayLike) -> np.ndarray:
    """Softsign ``x / (|x| + 1)``.

    Examples
    --------
    >>> from convkit.activations import softsign
    >>> softsign([-1.0, 3.0])
    array([-0.5 ,  0.75], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x / (np.abs(x) + 1), dtype)


@_quiet
def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Soft shrinkage: ``x - threshold`` above ``threshold``, ``x + threshold`` below
    ``-threshold``, 0 in between.

    Examples
    --------
    >>> from convkit.activations import soft_shrink
    >>> soft_shrink([-2.0, 0.25, 2.0])
    array([-1.5,  0. ,  1.5], dtype=float32)
    """
    x, dtype = _prep(x)
    y = np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0))
    return _done(y, dtype)


@_quiet
def sparse_plus(x: ArrayLike) -> np.ndarray:
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``, ``x`` for ``x >= 1``.

    Examples
    --------
    >>> from convkit.activations import sparse_plus
    >>> sparse_plus([-2.0, 0.0, 2.0])
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x, dtype = _prep(x)
    mid = np.square(np.clip(x, -1, 1) + 1) / 4  # clipped: no overflow in the unused branch
    return _done(np.where(x <= -1, 0, np.where(x >= 1, x, mid)), dtype)


@_quiet
def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, evaluated through ``exp(-|x|)`` so that it
    never overflows.

    Examples
    --------
    >>> from convkit.activations import sigmoid
    >>> sigmoid([-10000.0, 0.0, 10000.0])
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(_sigmoid(x), dtype)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    r = np.empty(np.shape(x), dtype=x.dtype)  # explicit buffer: 0-d inputs stay arrays
    np.add(e, 1, out=r)
    np.reciprocal(r, out=r)
    np.multiply(e, r, out=r, where=x < 0)  # exp(x) / (1 + exp(x)) for negative x
    return r


def _softplus(x: np.ndarray) -> np.ndarray:
    # max(x, 0) + log1p(exp(-|x|)): same value as logaddexp(x, 0), several times faster
    y = np.log1p(np.exp(-np.abs(x)))
    y += np.maximum(x, 0)
    return y


@_quiet
def silu(x: ArrayLike) -> np.ndarray:
    """SiLU / swish: ``x * sigmoid(x)``. ``swish`` is the same function.

    Examples
    --------
    >>> from convkit.activations import silu
    >>> silu([-1.0, 0.0, 1.0])
    array([-0.2689414,  0.       ,  0.7310586], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x * _sigmoid(x), dtype)


swish = silu


@_quiet
def squareplus(x: ArrayLike, b: float = 4) -> np.ndarray:
    """Squareplus ``(x + sqrt(x**2 + b)) / 2``.

    For ``x < 0`` the algebraically equal ``b / (2 * (sqrt(x**2 + b) - x))`` is used, so
    large negative inputs give the small positive value rather than a cancelled 0.

    Examples
    --------
    >>> from convkit.activations import squareplus
    >>> squareplus([-1.5, 0.0, 1.5])
    array([0.5, 1. , 2. ], dtype=float32)
    """
    x, dtype = _prep(x)
    if b >= 0:
        root = np.hypot(x, math.sqrt(b))  # sqrt(x**2 + b) without overflowing x**2
        half = np.where(x >= 0, x / 2 + root / 2, (b / 4) / (root / 2 - x / 2))
    else:  # not a smooth ReLU any more; keep the textbook formula
        half = (x + np.sqrt(np.square(x) + b)) / 2
    return _done(half, dtype)


@_quiet
def gelu(x: ArrayLike, approximate: bool = False) -> np.ndarray:
    """Gaussian error linear unit ``x * P(X <= x)``, ``X ~ N(0, 1)``.

    ``approximate=False`` (the Keras activation default) evaluates ``0.5 * x *
    erfc(-x / sqrt(2))`` to full precision of the dtype; ``approximate=True`` uses the tanh
    formula ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``.

    Examples
    --------
    >>> from convkit.activations import gelu
    >>> gelu([-1.0, 0.0, 1.0])
    array([-0.15865526,  0.        ,  0.8413448 ], dtype=float32)
    >>> gelu([-1.0, 0.0, 1.0], approximate=True)
    array([-0.158808,  0.      ,  0.841192], dtype=float32)
    """
    x, dtype = _prep(x)
    if approximate:
        c = np.sqrt(2 / np.pi).astype(x.dtype)
        inner = c * (x + 0.044715 * (x * x * x))  # inf only where tanh is +-1 anyway
        return _done(x * (0.5 * (1 + np.tanh(inner))), dtype)
    return _done(gelu_exact(x), dtype)


@_quiet
def glu(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``, return
    ``a * sigmoid(b)``.

    Raises
    ------
    ValueError
        If the size of ``axis`` is odd.

    Examples
    --------
    >>> from convkit.activations import glu
    >>> glu([-1.0, 0.0, 1.0, 1.0])
    array([-0.7310586,  0.       ], dtype=float32)
    """
    x, dtype = _prep(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}"
        )
    a, b = np.split(x, 2, axis=axis)
    return _done(a * _sigmoid(b), dtype)


@_quiet
def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent.

    Examples
    --------
    >>> from convkit.activations import tanh
    >>> tanh([0.0, 10000.0])
    array([0., 1.], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.tanh(x), dtype)


@_quiet
def tanh_shrink(x: ArrayLike) -> np.ndarray:
    """Tanh shrink ``x - tanh(x)``.

    Examples
    --------
    >>> from convkit.activations import tanh_shrink
    >>> tanh_shrink([0.0, 2.0])
    array([0.       , 1.0359724], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x - np.tanh(x), dtype)


@_quiet
def hard_tanh(x: ArrayLike) -> np.ndarray:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

    Examples
    --------
    >>> from convkit.activations import hard_tanh
    >>> hard_tanh([-3.0, 0.5, 3.0])
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.clip(x, -1, 1), dtype)


@_quiet
def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Hard shrinkage: ``x`` where ``|x| > threshold``, 0 elsewhere.

    Examples
    --------
    >>> from convkit.activations import hard_shrink
    >>> hard_shrink([-1.0, 0.25, 1.0])
    array([-1.,  0.,  1.], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.where(np.abs(x) > threshold, x, 0), dtype)


@_quiet
def threshold(x: ArrayLike, threshold: float, default_value: float) -> np.ndarray:
    """``x`` where ``x > threshold``, ``default_value`` elsewhere (both arguments required,
    as in Keras).

    Examples
    --------
    >>> from convkit.activations import threshold
    >>> threshold([-1.0, 0.5, 2.0], 1.0, -9.0)
    array([-9., -9.,  2.], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.where(x > threshold, x, default_value), dtype)


@_quiet
def exponential(x: ArrayLike) -> np.ndarray:
    """Exponential ``exp(x)``; overflow gives ``inf`` silently, as in Keras.

    Examples
    --------
    >>> from convkit.activations import exponential
    >>> exponential([0.0, 1.0])
    array([1.      , 2.718282], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.exp(x), dtype)


@_quiet
def hard_sigmoid(x: ArrayLike) -> np.ndarray:
    """Piecewise-linear sigmoid ``clip(x + 3, 0, 6) / 6``.

    Examples
    --------
    >>> from convkit.activations import hard_sigmoid
    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(np.clip(x + 3, 0, 6) / 6, dtype)


@_quiet
def hard_silu(x: ArrayLike) -> np.ndarray:
    """Hard SiLU / hard swish: ``x * hard_sigmoid(x)``. ``hard_swish`` is the same function.

    Examples
    --------
    >>> from convkit.activations import hard_silu
    >>> hard_silu([-4.0, 1.5, 4.0])
    array([-0.   ,  1.125,  4.   ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x * (np.clip(x + 3, 0, 6) / 6), dtype)


hard_swish = hard_silu


@_quiet
def log_sigmoid(x: ArrayLike) -> np.ndarray:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every finite input.

    Examples
    --------
    >>> from convkit.activations import log_sigmoid
    >>> log_sigmoid([-10000.0, 0.0])
    array([-1.000000e+04, -6.931472e-01], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(-_softplus(-x), dtype)


@_quiet
def sparse_sigmoid(x: ArrayLike) -> np.ndarray:
    """Sparse sigmoid ``clip((x + 1) / 2, 0, 1)``.

    Examples
    --------
    >>> from convkit.activations import sparse_sigmoid
    >>> sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(0.5 * np.clip(x + 1, 0, 2), dtype)


@_quiet
def linear(x: ArrayLike) -> np.ndarray:
    """Identity. A float array is returned as is (no copy).

    Examples
    --------
    >>> from convkit.activations import linear
    >>> linear([1.0, -2.0])
    array([ 1., -2.], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x, dtype)


@_quiet
def mish(x: ArrayLike) -> np.ndarray:
    """Mish ``x * tanh(softplus(x))``.

    Examples
    --------
    >>> from convkit.activations import mish
    >>> mish([-1.0, 0.0, 1.0])
    array([-0.3034014,  0.       ,  0.8650984], dtype=float32)
    """
    x, dtype = _prep(x)
    return _done(x * np.tanh(_softplus(x)), dtype)


@_quiet
def sparsemax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Sparsemax (Martins & Astudillo, 2016): Euclidean projection of ``x`` onto the
    probability simplex along ``axis``; the result is non-negative, sums to 1 and is often
    exactly 0 for small logits.

    ``max(x - tau, 0)`` with ``tau = (sum of the k largest - 1) / k`` and ``k`` the support
    size. Keras 3.15 computes a wrong ``tau`` whenever ``k > 1`` (keras-team/keras#23425);
    convkit follows the paper.

    Examples
    --------
    >>> from convkit.activations import sparsemax
    >>> sparsemax([0.0, 0.5, 1.0])
    array([0.  , 0.25, 0.75], dtype=float32)
    """
    x, dtype = _prep(x)
    # Shift-invariant; removing the maximum keeps the cumulative sums small and accurate.
    z = x - np.max(x, axis=axis, keepdims=True)
    z_sorted = np.flip(np.sort(z, axis=axis), axis=axis)
    cumsum = np.cumsum(z_sorted, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = -1
    rank = np.arange(1, z.shape[axis] + 1, dtype=z.dtype).reshape(shape)
    support = 1 + rank * z_sorted > cumsum
    k = np.sum(support, axis=axis, keepdims=True)
    tau = (np.take_along_axis(cumsum, k - 1, axis=axis) - 1) / k.astype(z.dtype)
    return _done(np.maximum(z - tau, 0), dtype)


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
