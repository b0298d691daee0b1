"""RMSprop (``keras/src/optimizers/rmsprop.py``)."""

from __future__ import annotations

import numpy as np

from .base import Optimizer


class RMSprop(Optimizer):
    """v ← ρv + (1 - ρ)g²; Δ = lr·g/√(v + ε) (centered: √(v - a² + ε), a ← ρa + (1 - ρ)g);
    momentum μ > 0: m ← μm + Δ, w ← w - m; else w ← w - Δ.

    Slots grouped by kind: every ``velocity``, then ``momentum`` (μ > 0), then
    ``average_gradient`` (centered).

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
