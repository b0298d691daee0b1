"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from .callback import Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given.

    ``on_epoch_begin``/``on_epoch_end`` get ``(epoch, logs)``, ``on_train_begin``/
    ``on_train_end`` get ``(logs)``, ``on_train_batch_begin``/``on_train_batch_end`` get
    ``(batch, logs=...)`` (``logs`` as a keyword, as in Keras, so name that parameter
    ``logs``); any other hook (``on_test_end=...``) is passed by keyword and called as the
    hook is.

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        Called as ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        Called as ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        Called as ``f(batch, logs=...)``.
    **kwargs
        Any other hook of :class:`Callback` by its name, such as ``on_test_end``.

    Raises
    ------
    ValueError
        For a keyword that is not a hook of :class:`Callback`.

    Examples
    --------
    >>> from convkit.callbacks import LambdaCallback
    >>> cb = LambdaCallback(on_train_batch_end=lambda batch, logs: print(batch, logs))
    >>> cb.on_train_batch_end(3, {"loss": 0.5})
    3 {'loss': 0.5}
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for hook, fn in hooks.items():
            if not hook.startswith("on_") or not callable(getattr(Callback, hook, None)):
                raise ValueError(f"LambdaCallback: unknown hook `{hook}`. The hooks are "
                                 "the `on_...` methods of `Callback`.")
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{hook}` must be callable. Received: "
                                f"{hook}={fn!r}")
            setattr(self, hook, fn)
