"""RMSprop (``keras/src/optimizers/rmsprop.py``)."""

from __future__ import annotations

import numpy as np

from .base import Optimizer


class RMSprop(Optimizer):
    """v ← ρv + (1 - ρ)g²; Δ = lr·g/√(v + ε) (centered: √(v - a² + ε), a ← ρa + (1 - ρ)g);
    momentum μ > 0: m ← μm + Δ, w ← w - m; else w ← w - Δ.

    Slots grouped by kind: every ``velocity``, then ``momentum`` (μ > 0), then
    ``average_gradient`` (centered).

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default 0.001
        The step size; a schedule from :mod:`convkit.optimizers.schedules` (or a callable of
        the iteration) changes it as training goes.
    rho : float, default 0.9
        Decay rate of the moving average of squared gradients.
    momentum : float, default 0.0
        Momentum of the updates.
    epsilon : float, default 1e-07
        Added to the denominator for numerical stability.
    centered : bool, default False
        Divide by the estimated variance instead of the second moment.
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
    >>> from convkit.optimizers import RMSprop
    >>> w = Variable(np.zeros(1, "float32"), name="w")
    >>> RMSprop(learning_rate=0.1, rho=0.75, epsilon=0.0).apply([np.ones(1, "float32")], [w])
    >>> w.numpy()
    array([-0.2], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm,
                         name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, variables) -> None:
        self._velocities = self.add_slots(variables, "velocity")
        self._momentums = self.add_slots(variables, "momentum") if self.momentum > 0 else []
        self._average_gradients = (self.add_slots(variables, "average_gradient")
                                   if self.centered else [])

    def update_step(self, grad, variable, learning_rate) -> None:
        f = grad.dtype.type
        i = self.slot_index(variable)
        rho = f(self.rho)
        velocity = self._velocities[i]
        velocity.assign(rho * velocity.value + (f(1) - rho) * np.square(grad))
        denominator = velocity.value
        if self.centered:
            average = self._average_gradients[i]
            average.assign(rho * average.value + (f(1) - rho) * grad)
            denominator = velocity.value - np.square(average.value) + f(self.epsilon)
        else:
            denominator = velocity.value + f(self.epsilon)
        increment = learning_rate * grad / np.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[i]
            momentum.assign(f(self.momentum) * momentum.value + increment)
            variable.assign(variable.value - momentum.value)
        else:
            variable.assign(variable.value - increment)

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
