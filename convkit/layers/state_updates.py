"""Non-trainable state a forward pass changes (BatchNormalization's moving statistics).

A layer called directly (``layer(x, training=True)``) assigns its new state at once, as
Keras's eager call does. A training step instead runs ``_forward_with_context``, which leaves
the new values in ``context.saved[KEY]`` as ``(variable, new_value)`` pairs: a model gathers
its layers' pairs into its own context, and the trainer assigns them in the same
all-or-nothing commit as the optimizer's step, so an interrupted step changes neither.
"""

KEY = "state_updates"


def pending(context) -> list:
    """The ``(variable, new_value)`` pairs a forward pass left in ``context``."""
    return list(context.saved.get(KEY, ()))


def gather(contexts) -> list:
    """Every pending pair of ``contexts``, in order (a model's layers, first to last)."""
    return [update for context in contexts for update in pending(context)]


def assign(updates) -> None:
    """Assign each ``(variable, new_value)`` pair."""
    for variable, value in updates:
        variable.assign(value)
