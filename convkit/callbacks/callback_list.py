"""``CallbackList``: the callbacks of one run, called in order, plus the ones ``fit`` adds."""

from __future__ import annotations

from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


class CallbackList(Callback):
    """Several callbacks called as one, in order: the user's, then ``History`` (with
    ``add_history``), then the progress bar (with ``add_progbar``), as in Keras.

    Parameters
    ----------
    callbacks : list of Callback, optional
    add_history : bool
        Append a :class:`History` unless one is given.
    add_progbar : bool
        Append a :class:`ProgbarLogger` unless one is given.
    model : Model, optional
    **params
        Given to every callback's ``set_params`` (``verbose``, ``epochs``, ``steps``).

    Raises
    ------
    TypeError
        If ``callbacks`` is not a list (or other iterable) of callbacks.

    Examples
    --------
    >>> from convkit.callbacks import CallbackList, LambdaCallback
    >>> calls = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: print(e, logs))],
    ...                      add_history=True)
    >>> calls.on_epoch_end(0, {"loss": 0.5})
    0 {'loss': 0.5}
    >>> calls.history.history
    {'loss': [0.5]}
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        callbacks = [] if callbacks is None else list(callbacks)
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError("`callbacks` must be a list of `convkit.callbacks.Callback` "
                                f"instances. Received: {callback!r} (of type "
                                f"{type(callback).__name__})")
        self.callbacks = callbacks
        self.history = next((c for c in callbacks if isinstance(c, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)


def _fan_out(hook: str):
    def call_all(self, *args, **kwargs):
        for callback in self.callbacks:
            getattr(callback, hook)(*args, **kwargs)

    call_all.__name__ = hook
    call_all.__doc__ = f"Call ``{hook}`` on every callback, in order."
    return call_all


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _fan_out(_hook))
