"""Dropout (Keras 3's ``keras.layers.Dropout``).

In training each input is kept with probability ``1 - rate`` and scaled by ``1 / (1 - rate)``
(dropped ones become 0); otherwise the layer is the identity. The random draws come from
convkit's own generator (NumPy's PCG64), so the masks differ from Keras's by design: same rate,
same statistics, other coin flips. It is seeded by ``seed``, or without one by a seed drawn from
convkit's global generator, so ``convkit.utils.set_random_seed`` makes a training run
repeatable as ``keras.utils.set_random_seed`` does in Keras. A training step keeps its mask in
the backward context, so the gradient goes through exactly the mask the forward used.
"""

import numbers

import numpy as np

from convkit.utils import _next_seed

from . import backprop
from .base import Layer


def _check_rate(rate) -> float:
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError("Invalid type for argument `rate`: expected a float between 0 and 1. "
                        f"Received: rate={rate!r}")
    if not 0 <= rate <= 1:  # NaN fails this too
        raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate}")
    return rate


def _check_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError("Invalid value received for argument `noise_shape`. Expected a tuple "
                         f"or list of integers. Received: noise_shape={noise_shape}")
    try:
        shape = tuple(noise_shape)
    except TypeError:
        raise ValueError("Invalid value received for argument `noise_shape`. Expected an "
                         "iterable of integers (e.g., a tuple or list). Received: "
                         f"noise_shape={noise_shape}") from None
    for i, d in enumerate(shape):
        if d is None:
            continue
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all "
                             f"elements to be integers or None. Received element at index "
                             f"{i}: {d} (type: {type(d).__name__})")
        if d <= 0:
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all "
                             "dimensions to be positive integers or None. Received negative "
                             f"or zero value at index {i}: {d}")
    return tuple(None if d is None else int(d) for d in shape)


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValueError(f"`seed` must be None or a non-negative int. Received: seed={seed!r}")
    return None if seed is None else int(seed)


class Dropout(Layer):
    """Randomly set a fraction ``rate`` of the inputs to 0 in training, scaling the rest.

    Parameters
    ----------
    rate : float
        In [0, 1]: the fraction dropped (Keras 3 accepts 1, which drops everything).
    noise_shape : tuple, optional
        The shape of the keep/drop mask, broadcast over the inputs (``None`` entries take the
        input's size): ``(batch, 1, features)`` drops the same features at every step.
    seed : int, optional
        Seeds convkit's generator (masks are repeatable for a seed, not equal to Keras's).
        Without one the layer draws its seed from convkit's global generator when it is
        created, so :func:`convkit.utils.set_random_seed` before building makes it repeatable.

    Raises
    ------
    ValueError
        At construction, for a ``rate`` outside ``[0, 1)``, a bad ``noise_shape`` or ``seed``.
        When called, for a ``noise_shape`` that does not broadcast to the input.
    TypeError
        When called with a ``training`` that is not True, False or None.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dropout(0.5, seed=0)
    >>> x = np.ones((2, 4))
    >>> bool((layer(x) == x).all())  # inference: identity
    True
    >>> sorted(set(layer(x, training=True).ravel().tolist())) # kept ones scaled by 2
    [0.0, 2.0]
    """

    pins_channels = False

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.noise_shape = _check_noise_shape(noise_shape)
        self.seed = _check_seed(seed)
        # Without a seed, draw one from the global generator rather than the OS's entropy:
        # otherwise set_random_seed would leave a whole training run unrepeatable.
        self._rng = np.random.default_rng(_next_seed() if self.seed is None else self.seed)

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(input_shape)

    def _mask_shape(self, shape: tuple) -> tuple:
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Dropout '{self.name}': `noise_shape` {self.noise_shape} has "
                             f"{len(self.noise_shape)} entries but the inputs have rank "
                             f"{len(shape)} (shape {shape}).")
        mask = tuple(n if d is None else d for d, n in zip(self.noise_shape, shape))
        if any(m not in (1, n) for m, n in zip(mask, shape)):
            raise ValueError(f"Dropout '{self.name}': `noise_shape` {self.noise_shape} does "
                             f"not broadcast to the inputs' shape {shape}: each entry must be "
                             "None, 1 or the input's size.")
        return mask

    def _draw_keep(self, x: np.ndarray):
        """The boolean keep mask (mask shape, broadcast over ``x``), or None when the layer
        is the identity for this call."""
        if self.rate == 0:
            return None
        # Keras keeps an entry where a uniform draw falls below keep_prob (rate 1: none)
        return self._rng.random(self._mask_shape(x.shape)) < 1.0 - self.rate

    def _apply_keep(self, values: np.ndarray, keep) -> np.ndarray:
        """Kept entries divided by ``1 - rate`` (Keras's rounding), dropped ones 0."""
        if keep is None:
            return values
        zero = values.dtype.type(0)
        if self.rate == 1:
            return np.zeros_like(values)
        return np.where(keep, values / values.dtype.type(1.0 - self.rate), zero)

    def call(self, inputs, training=False):
        return self._apply_keep(inputs, self._draw_keep(inputs) if training else None)

    def _forward_with_context(self, x: np.ndarray, training):
        keep = self._draw_keep(x) if training else None
        y = self._record_activity(self._apply_keep(x, keep))
        return y, backprop.Context(inputs=x, outputs=y, training=training,
                                   saved={"keep": keep})

    def _backward(self, context, output_gradient):
        return self._apply_keep(output_gradient, context.saved["keep"]), []

    def get_build_config(self):
        # Keras builds this weightless layer at construction, so its files carry no
        # build_config for it; nor do ours
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}

    def _pickle_state(self) -> dict:
        # the generator's position travels with a pickle: a copy draws the masks the
        # original would have drawn next
        return {**super()._pickle_state(), "rng_state": self._rng.bit_generator.state}

    def _restore_pickle_state(self, state: dict) -> None:
        super()._restore_pickle_state(state)
        if "rng_state" in state:
            self._rng.bit_generator.state = state["rng_state"]
