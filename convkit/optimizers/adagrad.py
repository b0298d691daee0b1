"""Adagrad (``keras/src/optimizers/adagrad.py``)."""

from __future__ import annotations

import numpy as np

from .base import Optimizer


class Adagrad(Optimizer):
    """A ← A + g²; w ← w - lr·g/√(A + ε). Slot ``accumulator`` starts at
    ``initial_accumulator_value``.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default 0.001
        The step size; a schedule from :mod:`convkit.optimizers.schedules` (or a callable of
        the iteration) changes it as training goes.
    initial_accumulator_value : float, default 0.1
        The starting value of the sum of squared gradients.
    epsilon : float, default 1e-07
        Added to the denominator for numerical stability.
    weight_decay : float, optional
        Decoupled weight decay: each step also subtracts ``learning_rate * weight_decay * w``.
    clipnorm, clipvalue, global_clipnorm : float, optional
        Clip each gradient's norm, each gradient's values, or the norm of all gradients
        together, before the update (at most one of the three).
    name : str, optional
        The name used for the optimizer's state in files.
    **kwargs
        Keras's other optimizer arguments; those convkit does not implement (``use_ema``,
        ``gradient_accumulation_steps``) are a ValueError unless
        left at their defaults.

    Raises
    ------
    ValueError
        For a ``learning_rate`` that is not a float, schedule or callable, an argument out of
        range (the message names it), more than one clipping argument, or an argument
        convkit does not implement.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.layers.variable import Variable
    >>> from convkit.optimizers import Adagrad
    >>> w = Variable(np.zeros(1, "float32"), name="w")
    >>> opt = Adagrad(learning_rate=1.0, initial_accumulator_value=3.0, epsilon=0.0)
    >>> opt.apply([np.ones(1, "float32")], [w])
    >>> w.numpy(), opt.variables[2].numpy()
    (array([-0.5], dtype=float32), array([4.], dtype=float32))
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm,
                         name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build_slots(self, variables) -> None:
        self._accumulators = self.add_slots(variables, "accumulator",
                                            initial=self.initial_accumulator_value)

    def update_step(self, grad, variable, learning_rate) -> None:
        accumulator = self._accumulators[self.slot_index(variable)]
        accumulator.assign(accumulator.value + np.square(grad))
        variable.assign(variable.value - learning_rate * grad
                        / np.sqrt(accumulator.value + grad.dtype.type(self.epsilon)))

    def get_config(self) -> dict:
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
