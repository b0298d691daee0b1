"""A layer weight: a NumPy array with a name, a trainable flag, a regularizer and a constraint.

Kept deliberately small. ``version`` increases on every assignment so layers can cache derived
data (packed kernels) and notice when the weight changed.
"""

import numpy as np


class Variable:
    """A named, mutable layer weight (Keras's ``Variable``, backed by a NumPy array).

    Parameters
    ----------
    value : array_like
        The initial value (copied).
    name : str
        The weight's name in its layer (``"kernel"``).
    path : str, optional
        ``"layer_name/weight_name"``, as Keras names weights in files.
    trainable : bool, default True
        Whether optimizers update it.
    regularizer, constraint : callable, optional
        The weight's penalty and projection.

    Raises
    ------
    ValueError
        From :meth:`assign`, for a value of another shape.

    Examples
    --------
    >>> import numpy as np
    >>> v = Variable(np.zeros((2, 3), "float32"), name="kernel", path="dense/kernel")
    >>> v.assign(np.ones((2, 3)))
    >>> v.numpy().sum(), v.shape, v.dtype
    (np.float32(6.0), (2, 3), 'float32')
    """

    def __init__(self, value, name, path=None, trainable=True, regularizer=None,
                 constraint=None):
        self._value = np.array(value, copy=True, order="C")
        self.name = name
        self.path = path if path is not None else name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.version = 0

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> str:
        return self._value.dtype.name

    @property
    def value(self) -> np.ndarray:
        """The stored array itself (read it; use :meth:`assign` to change it)."""
        return self._value

    def numpy(self) -> np.ndarray:
        """A copy of the current value."""
        return self._value.copy()

    def assign(self, value) -> None:
        """Overwrite the value (same shape; cast to this variable's dtype)."""
        arr = np.asarray(value)
        if arr.shape != self._value.shape:
            raise ValueError(f"Cannot assign a value of shape {arr.shape} to variable "
                             f"'{self.path}' of shape {self._value.shape}.")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Cannot assign a value of dtype {arr.dtype} to variable "
                            f"'{self.path}': a real numeric array is required.")
        self._value[...] = arr
        self.version += 1

    def __array__(self, dtype=None, copy=None):
        if dtype is None and not copy:
            return self._value
        return np.array(self._value, dtype=dtype, copy=True)

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={np.array2string(self._value, threshold=6)}>")
