"""Adam and AdamW (``keras/src/optimizers/adam.py``, ``adamw.py``)."""

from __future__ import annotations

import numpy as np

from .base import Optimizer


class Adam(Optimizer):
    """Adam: m ← m + (g - m)(1 - β₁), v ← v + (g² - v)(1 - β₂),
    w ← w - α·m/(√v + ε) with α = lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ); ε goes on √ of the
    *uncorrected* v. ``amsgrad`` uses v̂ = max(v̂, v) in place of v.

    Slots ``momentum`` and ``velocity`` interleaved per variable, then every
    ``velocity_hat`` (amsgrad).

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default 0.001
        The step size; a schedule from :mod:`convkit.optimizers.schedules` (or a callable of
        the iteration) changes it as training goes.
    beta_1, beta_2 : float, default 0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default 1e-07
        Added to the denominator for numerical stability.
    amsgrad : bool, default False
        Use the maximum of past second moments (AMSGrad).
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
    >>> from convkit.optimizers import Adam
    >>> w = Variable(np.zeros(2, "float32"), name="w")
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.apply([np.array([3.0, -0.5], "float32")], [w])
    >>> np.round(w.numpy(), 5), [v.name for v in opt.variables]
    (array([-0.1,  0.1], dtype=float32), ['iteration', 'learning_rate', 'w_momentum', 'w_velocity'])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm,
                         name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build_slots(self, variables) -> None:
        self._momentums, self._velocities = self.add_slots(variables, ["momentum", "velocity"])
        self._velocity_hats = self.add_slots(variables, "velocity_hat") if self.amsgrad else []

    def update_step(self, grad, variable, learning_rate) -> None:
        f = grad.dtype.type
        step = f(int(self.iterations.value) + 1)
        beta_1_power = np.power(f(self.beta_1), step)
        beta_2_power = np.power(f(self.beta_2), step)
        i = self.slot_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        alpha = learning_rate * np.sqrt(f(1) - beta_2_power) / (f(1) - beta_1_power)
        m.assign(m.value + (grad - m.value) * f(1 - self.beta_1))
        v.assign(v.value + (np.square(grad) - v.value) * f(1 - self.beta_2))
        velocity = v.value
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            v_hat.assign(np.maximum(v_hat.value, velocity))
            velocity = v_hat.value
        variable.assign(variable.value - (m.value * alpha) / (np.sqrt(velocity) + f(self.epsilon)))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay on by default (``weight_decay=0.004``); identical to
    ``Adam(weight_decay=λ)``.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default 0.001
        The step size; a schedule from :mod:`convkit.optimizers.schedules` (or a callable of
        the iteration) changes it as training goes.
    weight_decay : float, default 0.004
        Decoupled weight decay.
    beta_1, beta_2, epsilon, amsgrad
        As for :class:`Adam`.
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
    >>> from convkit.optimizers import AdamW
    >>> AdamW().get_config()["weight_decay"], AdamW().name.startswith("adam_w")
    (0.004, True)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. "
                             f"Received: weight_decay={weight_decay}")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
