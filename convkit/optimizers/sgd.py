"""SGD with optional (Nesterov) momentum (``keras/src/optimizers/sgd.py``)."""

from __future__ import annotations

from .arguments import check_unit_float
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent: w ← w - lr·g; with momentum μ, v ← μv - lr·g and w ← w + v
    (Nesterov: w ← w + μv - lr·g with the new v). Slot ``momentum`` only when μ ≠ 0.

    Parameters
    ----------
    learning_rate : float, schedule or callable, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    **kwargs
        The shared arguments of :class:`~convkit.optimizers.Optimizer`.

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
    >>> from convkit.optimizers import SGD
    >>> w = Variable(np.zeros(1, "float32"), name="w")
    >>> opt = SGD(learning_rate=0.1, momentum=0.5, name="sgd")
    >>> for _ in range(2):
    ...     opt.apply([np.ones(1, "float32")], [w])
    >>> w.numpy(), [v.path for v in opt.variables][2:]
    (array([-0.25], dtype=float32), ['sgd/w_momentum'])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        check_unit_float("momentum", momentum)
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm,
                         name=name, **kwargs)
        self.momentum = momentum
        self.nesterov = nesterov

    def build_slots(self, variables) -> None:
        self.momentums = self.add_slots(variables, "momentum") if self.momentum != 0 else []

    def update_step(self, grad, variable, learning_rate) -> None:
        if self.momentum == 0:
            variable.assign(variable.value - grad * learning_rate)
            return
        mu = grad.dtype.type(self.momentum)
        m = self.momentums[self.slot_index(variable)]
        m.assign(m.value * mu - grad * learning_rate)
        if self.nesterov:
            variable.assign(variable.value + (m.value * mu - grad * learning_rate))
        else:
            variable.assign(variable.value + m.value)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
