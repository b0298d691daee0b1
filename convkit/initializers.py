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

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit._serialization import deserialize_object, get_object, serialize_object
from convkit.utils import _next_seed

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "Zeros", "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal",
    "random_normal", "random_uniform", "serialize", "truncated_normal", "variance_scaling", "zeros",
]

# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes the
# truncated draws have the requested standard deviation.
_TRUNCATED_STD = 0.87962566103423978


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _dtype(dtype: DTypeLike, owner: object = None) -> np.dtype:
    """``None`` → float32; with ``owner`` (random initializers) only float dtypes pass."""
    dt = np.dtype("float32" if dtype is None else dtype)
    if owner is not None and dt.kind != "f":
        raise ValueError(
            f"{type(owner).__name__} only produces floating-point values. "
            f"Received: dtype={dt}"
        )
    return dt


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python numbers and lists, for JSON-friendly configs."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return value


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``.

    ``get_config`` returns the constructor arguments and ``from_config`` calls the
    constructor with them, so a subclass whose config keys are its argument names needs
    nothing more.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.initializers import Initializer
    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 0.5, dtype=dtype or "float32")
    >>> Halves()((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        raise NotImplementedError(
            "Initializer subclasses must implement the `__call__()` method."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Build an initializer from the output of :meth:`get_config`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """Return a new initializer with the same config."""
        return self.__class__.from_config(self.get_config())


class Constant(Initializer):
    """Fill with a constant scalar ``value``.

    Examples
    --------
    >>> from convkit.initializers import Constant
    >>> Constant(3.0)((2, 2))
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.full(_shape(shape), self.value, dtype=_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"value": _plain(self.value)}


class Zeros(Initializer):
    """Fill with 0 (any numeric or bool dtype).

    Examples
    --------
    >>> from convkit.initializers import Zeros
    >>> Zeros()((3,))
    array([0., 0., 0.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """Fill with 1 (any numeric or bool dtype).

    Examples
    --------
    >>> from convkit.initializers import Ones
    >>> Ones()((2,), dtype="int32")
    array([1, 1], dtype=int32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.ones(_shape(shape), dtype=_dtype(dtype))


class Identity(Initializer):
    """``gain`` times the identity matrix; 2-D shapes only (as in Keras).

    Unlike Keras 3.15, whose config drops ``gain`` (so a saved ``Identity(2.0)`` comes back
    as ``Identity(1.0)``), the config is ``{"gain": gain}``.

    Examples
    --------
    >>> from convkit.initializers import Identity
    >>> Identity(gain=2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _dtype(dtype)
        return (self.gain * np.eye(*shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"gain": _plain(self.gain)}


class _RandomInitializer(Initializer):
    """Holds the seed logic shared by every random initializer."""

    def __init__(self, seed: int | np.random.Generator | None = None) -> None:
        if seed is None:
            self._seed: int | np.random.Generator = _next_seed()
        elif isinstance(seed, np.random.Generator):
            self._seed = seed
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
            seed = int(seed)
            self._seed = seed
        else:
            raise ValueError(
                "`seed` argument should be an integer, a `numpy.random.Generator` or "
                f"None. Received: seed={seed!r}"
            )
        self._init_seed = seed

    @property
    def seed(self) -> int | np.random.Generator:
        """The seed in use: the one given, or the one drawn at construction for ``None``
        (as Keras's ``seed`` attribute). ``get_config`` keeps the given value."""
        return self._seed

    def _rng(self) -> np.random.Generator:
        if isinstance(self._seed, np.random.Generator):
            return self._seed
        # Negative seeds (valid in Keras) are read as 64-bit two's complement.
        return np.random.default_rng(self._seed % 2**64 if self._seed < 0 else self._seed)

    def get_config(self) -> dict[str, Any]:
        # A Generator seed is returned as is: usable by from_config, not JSON.
        return {"seed": self._init_seed}


def _truncated_unit_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit normal samples with every value beyond 2 standard deviations redrawn."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


class RandomNormal(_RandomInitializer):
    """Normal distribution ``N(mean, stddev**2)``.

    Examples
    --------
    >>> from convkit.initializers import RandomNormal
    >>> w = RandomNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(0.9 < w.std() < 1.1)
    True
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        values = self._rng().standard_normal(_shape(shape)) * self.stddev + self.mean
        return values.astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Normal ``N(mean, stddev**2)`` with values beyond two ``stddev`` redrawn.

    Examples
    --------
    >>> from convkit.initializers import TruncatedNormal
    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        values = _truncated_unit_normal(self._rng(), _shape(shape))
        return (values * self.stddev + self.mean).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Examples
    --------
    >>> from convkit.initializers import RandomUniform
    >>> w = RandomUniform(0.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= 0.0 and w.max() < 1.0)
    True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        return self._rng().uniform(self.minval, self.maxval, _shape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight shape, by Keras's rule.

    With both ``input_axes`` and ``output_axes``, the fans are the products of those axes'
    sizes. Otherwise: rank 0 → (1, 1); rank 1 → (n, n); rank 2 → (rows, cols); higher
    ranks are convolution kernels ``(*kernel, in, out)``: both fans are multiplied by the
    kernel's spatial size. For transposed-conv kernels ``(*kernel, filters, channels)`` this
    gives fan_in = k·filters, fan_out = k·channels, exactly as Keras does.

    Examples
    --------
    >>> from convkit.initializers import compute_fans
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Distribution scaled to the weight's fans: variance ``scale / n``, where ``n`` is
    ``fan_in``, ``fan_out`` or their mean (``mode``), each at least 1.

    ``distribution="truncated_normal"`` (alias ``"normal"``) draws a normal truncated at two
    standard deviations whose std is first divided by 0.8796…, so the truncated values
    have the target variance; ``"untruncated_normal"`` a plain normal; ``"uniform"``
    ``U(-limit, limit)``, ``limit = sqrt(3 * scale / n)``. ``input_axes``/``output_axes``
    override the fan computation (see :func:`compute_fans`).

    Examples
    --------
    >>> from convkit.initializers import VarianceScaling
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=1)
    >>> bool(abs(init((50, 10))).max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | np.random.Generator | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if not scale > 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"Invalid `mode` argument: {mode}. Please use one of "
                "{'fan_in', 'fan_out', 'fan_avg'}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. Please use one of "
                "{'uniform', 'truncated_normal', 'untruncated_normal'}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        rng = self._rng()
        if self.distribution == "truncated_normal":
            std = math.sqrt(variance) / _TRUNCATED_STD
            values = _truncated_unit_normal(rng, shape) * std
        elif self.distribution == "untruncated_normal":
            values = rng.standard_normal(shape) * math.sqrt(variance)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only ``seed`` and the fan axes are arguments."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(
        self,
        seed: int | np.random.Generator | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": self._init_seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-L, L)``, ``L = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of every convkit layer.

    Examples
    --------
    >>> from convkit.initializers import GlorotUniform
    >>> w = GlorotUniform(seed=0)((5, 5, 32, 64))
    >>> bool(abs(w).max() <= (6 / (25 * 32 + 25 * 64)) ** 0.5)
    True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, std ``sqrt(2 / (fan_in + fan_out))``.

    Examples
    --------
    >>> from convkit.initializers import GlorotNormal
    >>> GlorotNormal(seed=0)((3, 3, 8, 8)).shape
    (3, 3, 8, 8)
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, std ``sqrt(2 / fan_in)``.

    Examples
    --------
    >>> from convkit.initializers import HeNormal
    >>> HeNormal(seed=0)((3, 3, 8, 8)).dtype
    dtype('float32')
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``U(-L, L)``, ``L = sqrt(6 / fan_in)``.

    Examples
    --------
    >>> from convkit.initializers import HeUniform
    >>> bool(abs(HeUniform(seed=0)((24, 4))).max() <= 0.5)
    True
    """

    _preset = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, std ``sqrt(1 / fan_in)`` (pairs with ``selu``).

    Examples
    --------
    >>> from convkit.initializers import LecunNormal
    >>> LecunNormal(seed=0)((4, 2), dtype="float64").dtype
    dtype('float64')
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U(-L, L)``, ``L = sqrt(3 / fan_in)``.

    Examples
    --------
    >>> from convkit.initializers import LecunUniform
    >>> bool(abs(LecunUniform(seed=0)((12, 4))).max() <= 0.5)
    True
    """

    _preset = (1.0, "fan_in", "uniform")


class Orthogonal(_RandomInitializer):
    """Orthogonal matrix (times ``gain``) from the QR decomposition of a normal sample.

    A shape ``(..., n)`` is treated as a matrix of ``prod(shape[:-1])`` rows and ``n``
    columns: the rows are orthonormal if there are fewer rows than columns, the columns
    otherwise. Needs rank >= 2.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.initializers import Orthogonal
    >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    """

    def __init__(
        self, gain: float = 1.0, seed: int | np.random.Generator | None = None
    ) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _dtype(dtype, self)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # make the decomposition unique: uniform over O(n)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


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

    Examples
    --------
    >>> from convkit import initializers
    >>> initializers.serialize(initializers.GlorotUniform())["config"]
    {'seed': None, 'input_axes': None, 'output_axes': None}
    """
    return serialize_object(initializer, "keras.initializers", _CLASSES)


def deserialize(config: dict[str, Any] | str) -> Initializer:
    """Build an initializer from :func:`serialize` output (or from a name).

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
