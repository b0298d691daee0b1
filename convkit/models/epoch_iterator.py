"""Batches of NumPy arrays, epoch after epoch: the one batching loop of ``predict``, ``fit``
and ``evaluate``, with Keras 3's rules for array data.

- ``batch_size`` defaults to 32, or to ``ceil(n / steps)`` when only ``steps`` is given; an
  epoch has ``ceil(n / batch_size)`` batches and keeps the last, partial one.
- ``shuffle=True`` draws one ``np.random.permutation(n)`` from NumPy's global generator per
  pass over the data, when the pass's first batch is taken, and slices it in order; so
  ``np.random.seed(k)`` fixes the order, as it does for Keras's ``fit``.
- ``steps`` caps an epoch's batches. The pass over the data then carries on across epochs; an
  epoch that finds the pass exhausted ends early (with a warning) and the next epoch starts a
  new pass.
- :func:`train_validation_split` holds out the last rows, as ``fit(validation_split=f)`` does.
"""

import math
import warnings
from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """One batch: inputs, and targets and sample weights where given (else None).

    Parameters
    ----------
    x : numpy.ndarray
        The batch's inputs.
    y, sample_weight : numpy.ndarray or None
        Its targets and per-sample weights, where the data has them.

    Raises
    ------
    TypeError
        For a missing ``x`` or an unknown field, as for any named tuple.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.models import Batch, EpochIterator
    >>> first = next(iter(EpochIterator(np.arange(6), batch_size=4)))[1]
    >>> isinstance(first, Batch), first.x.tolist(), first.y
    (True, [0, 1, 2, 3], None)
    """

    x: np.ndarray
    y: np.ndarray = None
    sample_weight: np.ndarray = None


def _positive_int(value, name: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return int(value)


def _as_data_array(value, name: str) -> np.ndarray:
    """``value`` as a NumPy array of numbers, or an error that says what it received and
    what is expected (the first message a newcomer passing the wrong thing reads)."""
    expected = (f"`{name}` must be a NumPy array (or a nested list of numbers) with the "
                "batch on its first axis")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{expected}. Received a {type(value).__name__}: {value[:40]!r}")
    if isinstance(value, dict):
        raise TypeError(f"{expected}. Received a dict (keys {sorted(map(str, value))[:5]}): "
                        "convkit's models take one input array, not named inputs")
    try:
        array = np.asarray(value)
    except ValueError:
        if isinstance(value, (list, tuple)):
            shapes = sorted({np.shape(item) for item in value}, key=str)[:3]
            raise ValueError(f"{expected}. Received a ragged {type(value).__name__}: its "
                             f"{len(value)} items do not share one shape (found "
                             f"{', '.join(map(str, shapes))}); crop or pad the samples to one "
                             "shape and stack them.") from None
        raise
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{expected}. Received {type(value).__name__} that converts to an "
                        f"array of dtype {array.dtype}, not of numbers.")
    return array


def _as_arrays(x, y, sample_weight) -> tuple:
    if x is None:
        raise ValueError("`x` is required: the inputs, batch first. Received: x=None")
    arrays = []
    for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if value is None:
            arrays.append(None)
            continue
        array = _as_data_array(value, name)
        if array.ndim == 0:
            raise ValueError(f"`{name}` must have a batch axis. Received a scalar.")
        arrays.append(array)
    sizes = {name: a.shape[0] for name, a in zip(("x", "y", "sample_weight"), arrays)
             if a is not None}
    if len(set(sizes.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in sizes.items())
        raise ValueError("Data cardinality is ambiguous: make sure all arrays contain the "
                         f"same number of samples. Received: {described} samples.")
    return tuple(arrays)


class EpochIterator:
    """Iterate over NumPy data in batches, one epoch per ``for`` loop.

    Parameters
    ----------
    x : array_like
        Inputs, batch first.
    y, sample_weight : array_like, optional
        Targets and per-sample weights, with as many rows as ``x``.
    batch_size : int, optional
        Samples per batch (default 32, or ``ceil(n / steps)`` when ``steps`` is given).
    steps : int, optional
        Batches per epoch (default: one pass over the data).
    shuffle : bool
        Draw a new order for each pass from NumPy's global random generator.

    Raises
    ------
    ValueError
        If the arrays do not have the same number of rows, or ``batch_size``/``steps`` is not
        a positive int.
    TypeError
        If an array is not an array of numbers.

    Examples
    --------
    >>> import numpy as np
    >>> data = EpochIterator(np.arange(10), np.arange(10) % 2, batch_size=4)
    >>> data.num_batches
    3
    >>> [(step, batch.x.tolist()) for step, batch in data]
    [(0, [0, 1, 2, 3]), (1, [4, 5, 6, 7]), (2, [8, 9])]
    >>> np.random.seed(0)
    >>> [batch.x.tolist() for _, batch in EpochIterator(np.arange(5), batch_size=3, shuffle=True)]
    [[2, 0, 1], [3, 4]]
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None,
                 shuffle=False):
        self._arrays = _as_arrays(x, y, sample_weight)
        self.num_samples = int(self._arrays[0].shape[0])
        self.steps = _positive_int(steps, "steps")
        batch_size = _positive_int(batch_size, "batch_size")
        if batch_size is None:
            batch_size = max(1, math.ceil(self.num_samples / self.steps)) if self.steps else 32
        self.batch_size = batch_size
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"`shuffle` must be True or False. Received: shuffle={shuffle!r}")
        self.shuffle = bool(shuffle)
        self._batches_per_pass = math.ceil(self.num_samples / batch_size)
        self._pass = None  # the batches left in the current pass over the data
        self._taken = 0  # batches taken from it

    @property
    def num_batches(self) -> int:
        """Batches per epoch: ``steps`` when given, else one pass over the data."""
        return self.steps if self.steps else self._batches_per_pass

    def _pass_batches(self):
        # a generator, so the permutation is drawn when the pass's first batch is taken
        order = np.random.permutation(self.num_samples) if self.shuffle else None
        for start in range(0, self.num_samples, self.batch_size):
            rows = slice(start, min(start + self.batch_size, self.num_samples))
            if order is not None:
                rows = order[rows]
            yield Batch(*(None if a is None else a[rows] for a in self._arrays))

    def _new_pass(self) -> None:
        self._pass = self._pass_batches()
        self._taken = 0

    def __iter__(self):
        """One epoch: ``(step, batch)`` pairs, ``step`` counting from 0."""
        if self._pass is None or self.steps is None:
            self._new_pass()
        for step in range(self.num_batches):
            if self._taken >= self._batches_per_pass:
                warnings.warn(f"The data ran out after {step} of the {self.steps} steps of "
                              f"this epoch ({self.num_samples} samples make "
                              f"{self._batches_per_pass} batches of {self.batch_size}); the "
                              "next epoch starts a new pass over it.", UserWarning,
                              stacklevel=2)
                break
            self._taken += 1
            yield step, next(self._pass)
        if self._taken >= self._batches_per_pass:
            self._pass = None

    def reset(self) -> None:
        """Start the next epoch with a fresh pass (every ``evaluate`` run does, as Keras's)."""
        self._pass = None

    def first_batch(self) -> Batch:
        """The first batch of a fresh pass; the next epoch starts a fresh pass again.

        With ``shuffle`` this draws a permutation, as Keras's ``fit`` does when it reads a
        batch to build the model, losses and metrics before its first epoch.
        """
        if self.num_samples == 0:
            raise ValueError("There is no data to take a batch from: `x` has 0 samples.")
        self._new_pass()
        batch = next(self._pass)
        self._pass = None
        return batch


def class_weights_as_sample_weights(y, class_weight, sample_weight=None) -> np.ndarray:
    """Keras's ``class_weight``: one float32 weight per sample, the weight of its class.

    A sample's class is the argmax of a one-hot ``y`` (last axis wider than 1), else its
    rounded label; classes missing from ``class_weight`` weigh 1.

    Examples
    --------
    >>> class_weights_as_sample_weights(np.array([0, 1, 1, 2]), {1: 5.0}).tolist()
    [1.0, 5.0, 5.0, 1.0]
    """
    if sample_weight is not None:
        raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same "
                         "time: fold the class weights into `sample_weight`.")
    if not isinstance(class_weight, dict):
        raise ValueError("`class_weight` must be a dict mapping class indices to weights. "
                         f"Received: class_weight={class_weight!r}")
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    if labels.ndim > 1 and labels[0].size == 1:
        labels = labels.reshape(labels.shape[0])
    if labels.ndim != 1:
        raise ValueError("`class_weight` needs one class per sample: targets of shape "
                         f"(samples,), (samples, 1) or one-hot (samples, classes). Received "
                         f"targets of shape {np.shape(y)}.")
    # one lookup per distinct class, not per sample
    classes, which = np.unique(np.round(labels).astype(np.int32), return_inverse=True)
    per_class = np.array([class_weight.get(int(c), 1.0) for c in classes], np.float32)
    return per_class[which.reshape(-1)]


def train_validation_split(arrays, validation_split: float) -> tuple:
    """Split ``arrays`` (e.g. ``(x, y, sample_weight)``, None entries kept) into the first rows
    for training and the last ones for validation, unshuffled, as Keras's ``fit`` does.

    The training part has ``floor(n * (1.0 - validation_split))`` rows, computed in floating
    point (20 samples and 0.9 leave 1, not 2).

    Parameters
    ----------
    arrays : tuple of array_like or None
        The arrays to split, each with the same number of rows (``None`` entries stay
        ``None``).
    validation_split : float
        The fraction of rows for validation, between 0 and 1 (exclusive).

    Returns
    -------
    tuple
        ``(training arrays, validation arrays)``, each a tuple like ``arrays``.

    Raises
    ------
    ValueError
        If ``validation_split`` is not a float between 0 and 1 (exclusive).

    Examples
    --------
    >>> import numpy as np
    >>> (x_train, y_train), (x_val, y_val) = train_validation_split(
    ...     (np.arange(10), np.arange(10) * 2), validation_split=0.25)
    >>> x_train.tolist(), y_val.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [14, 16, 18])
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, (float, int)) \
            or not 0 < validation_split < 1:
        raise ValueError("`validation_split` must be a float between 0 and 1 (exclusive). "
                         f"Received: validation_split={validation_split!r}")
    arrays = tuple(None if a is None else np.asarray(a) for a in arrays)
    sizes = {a.shape[0] for a in arrays if a is not None and a.ndim}
    if not sizes:
        raise ValueError("`validation_split` needs arrays with a batch axis to split.")
    if len(sizes) > 1:
        raise ValueError("Data cardinality is ambiguous: make sure all arrays contain the "
                         f"same number of samples. Received sizes: {sorted(sizes)}.")
    n = sizes.pop()
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at in (0, n):
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                         "split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, "
                         "or a different value for the `validation_split` argument.")
    return (tuple(None if a is None else a[:split_at] for a in arrays),
            tuple(None if a is None else a[split_at:] for a in arrays))
