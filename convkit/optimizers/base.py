"""``Optimizer``: the shared ``apply`` of every optimizer, its state and its config.

``apply(grads, variables)`` follows Keras 3 (``keras/src/optimizers/base_optimizer.py``):
drop None gradients -> clip -> decoupled weight decay -> per-variable ``update_step`` ->
each variable's ``constraint`` -> ``iterations`` += 1, all or nothing for convkit
``Variable``s (``_atomic.staged``). Variables are anything with ``value``, ``assign``,
``name``, ``path``, ``dtype``, ``shape`` (convkit's ``Variable``); slots are convkit
``Variable``s keyed by the position of their variable in the built list.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from ..layers.naming import to_snake_case, unique_name
from ..layers.variable import Variable
from . import schedules
from ._atomic import staged
from ._clipping import clip_gradients
from .arguments import check_base_arguments, standardize_learning_rate


class Optimizer:
    """Base class of the optimizers (Keras's ``BaseOptimizer`` arguments and state).

    Subclasses define ``build_slots(variables)`` (creating slots with :meth:`add_slots`) and
    ``update_step(grad, variable, lr)``.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        The step size; a schedule from :mod:`convkit.optimizers.schedules` (or a callable of
        the iteration) changes it as training goes.
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
    >>> from convkit.optimizers import SGD
    >>> w = Variable(np.ones(2, "float32"), name="w")
    >>> opt = SGD(learning_rate=0.5, weight_decay=0.1)
    >>> opt.apply([np.array([1.0, -1.0], "float32")], [w])
    >>> w.numpy(), int(opt.iterations.value)
    (array([0.45, 1.45], dtype=float32), 1)
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        check_base_arguments(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                             gradient_accumulation_steps, loss_scale_factor)
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.weight_decay, self.clipnorm, self.clipvalue = weight_decay, clipnorm, clipvalue
        self.global_clipnorm, self.use_ema, self.ema_momentum = global_clipnorm, use_ema, \
            ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = Variable(np.zeros((), "int32"), "iteration",
                                    path=f"{self.name}/iteration", trainable=False)
        lr = standardize_learning_rate(learning_rate)
        if isinstance(lr, float):
            lr = Variable(np.float32(lr), "learning_rate", path=f"{self.name}/learning_rate",
                          trainable=False)
        self._learning_rate = lr
        self._variables = [self._iterations] + ([lr] if isinstance(lr, Variable) else [])
        self._trainable_variables: list = []
        self._index: dict = {}
        self._exclude_ids: set = set()
        self._exclude_pattern = None
        self.built = False

    # -- state -------------------------------------------------------------------------
    @property
    def iterations(self) -> Variable:
        """The int32 step counter (batches applied so far)."""
        return self._iterations

    @property
    def variables(self) -> list:
        """``iteration``, ``learning_rate`` (float rates only), then the slots, in Keras's
        order and with its paths (``adam/dense_kernel_momentum``)."""
        return list(self._variables)

    def get_state(self) -> list:
        """Copies of every value in :attr:`variables` order."""
        return [v.numpy() for v in self._variables]

    def set_state(self, values) -> None:
        """Assign values saved by :meth:`get_state` (build the optimizer first)."""
        values = list(values)
        if len(values) != len(self._variables):
            raise ValueError(f"Optimizer '{self.name}' has {len(self._variables)} variables; "
                             f"received {len(values)} values.")
        for variable, value in zip(self._variables, values):
            variable.assign(value)

    @property
    def learning_rate(self):
        """This step's learning rate (float32): the stored rate, or the schedule at
        ``iterations``, or the zero-argument callable's value."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr.value[()]
        if isinstance(lr, schedules.LearningRateSchedule):
            return np.float32(lr(int(self._iterations.value)))
        return np.float32(lr())

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            self._learning_rate = value
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(np.float32(value))
        else:
            raise TypeError("This optimizer was created with a learning-rate schedule or a "
                            "callable; a float rate cannot be assigned to it.")

    # -- building ----------------------------------------------------------------------
    def build(self, variables) -> None:
        """Track ``variables`` and create the slots (once)."""
        if self.built:
            return
        self._trainable_variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self.build_slots(self._trainable_variables)
        self.built = True

    def build_slots(self, variables) -> None:
        """Create this optimizer's slots (none in the base class)."""

    def add_slots(self, variables, kinds, initial=0.0) -> list:
        """Slots for each variable, interleaving the ``kinds`` per variable as Keras's
        ``add_optimizer_variables`` does; returns one list per kind."""
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        slots: list = [[] for _ in kinds]
        for variable in variables:
            for kind, bucket in zip(kinds, slots):
                slot_name = f"{variable.path.replace('/', '_')}_{kind}"
                slot = Variable(np.full(variable.shape, initial, variable.dtype), slot_name,
                                path=f"{self.name}/{slot_name}", trainable=False)
                bucket.append(slot)
                self._variables.append(slot)
        return slots if len(kinds) > 1 else slots[0]

    def slot_index(self, variable) -> int:
        """Position of ``variable`` in the built list (the key of its slots)."""
        return self._index[id(variable)]

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Spare ``var_list`` and variables whose name contains any of ``var_names`` from
        weight decay (call before the optimizer is built)."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before "
                             "the optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return not (self._exclude_pattern and self._exclude_pattern.search(variable.name))

    # -- applying ----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars) -> None:
        """``apply`` on ``(gradient, variable)`` pairs."""
        grads, variables = zip(*grads_and_vars) if grads_and_vars else ((), ())
        self.apply(list(grads), list(variables))

    def apply(self, grads, variables=None) -> None:
        """One optimizer step: clip, weight-decay, update, constrain, count.

        Atomic: every new value is computed first and assigned at the end, so an exception
        or a ``KeyboardInterrupt`` during the step leaves every variable and slot unchanged.
        """
        grads = list(grads)
        if not grads:
            return
        if variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer "
                                 "must already be built on a list of variables.")
            variables = self._trainable_variables
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"Received {len(grads)} gradients for {len(variables)} "
                             "variables; they must match one to one.")
        self.build(variables)
        for v in variables:
            if id(v) not in self._index:
                raise ValueError(f"Unknown variable: '{v.path}'. This optimizer can only be "
                                 "called for the variables it was originally built with.")
        pairs = [(np.asarray(g, v.dtype), v) for g, v in zip(grads, variables) if g is not None]
        missing = [v.path for g, v in zip(grads, variables) if g is None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss.", stacklevel=2)
        grads, variables = [g for g, _ in pairs], [v for _, v in pairs]
        # all or nothing: an interrupted step leaves weights, slots and iterations as they were
        with staged(variables + self._variables):
            self._apply_step(grads, variables)

    def _apply_step(self, grads, variables) -> None:
        if self.loss_scale_factor is not None:
            grads = [g / g.dtype.type(self.loss_scale_factor) for g in grads]
        grads = clip_gradients(grads, self.clipnorm, self.global_clipnorm, self.clipvalue)
        lr = self.learning_rate
        if self.weight_decay is not None:
            for v in variables:
                if self._use_weight_decay(v):
                    w = v.value
                    v.assign(w - w * w.dtype.type(self.weight_decay) * w.dtype.type(lr))
        for g, v in zip(grads, variables):
            self.update_step(g, v, v.value.dtype.type(lr))
        for v in variables:
            if getattr(v, "constraint", None) is not None:
                v.assign(v.constraint(v.value))
        self._iterations.assign(self._iterations.value + 1)

    def update_step(self, grad, variable, learning_rate) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update_step.")

    # -- config and pickling -----------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, Variable):
            lr = float(lr.value)
        elif isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None  # ids do not survive pickling; rebuilt from the variable list
        state["_exclude_ids"] = [i for i, v in enumerate(self._trainable_variables)
                                 if id(v) in self._exclude_ids]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        tracked = self._trainable_variables
        self._index = {id(v): i for i, v in enumerate(tracked)}
        self._exclude_ids = {id(tracked[i]) for i in state["_exclude_ids"]}

    def __repr__(self):
        steps = int(self._iterations.value)
        return f"<{type(self).__name__} name={self.name!r} iterations={steps}>"
