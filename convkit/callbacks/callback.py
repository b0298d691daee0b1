"""``Callback``: the hooks ``fit``, ``evaluate`` and ``predict`` call, with Keras's names."""

from __future__ import annotations


class Callback:
    """Base class of callbacks: every hook is there and does nothing.

    ``fit`` calls, in order: ``on_train_begin``; per epoch ``on_epoch_begin(epoch)``, per
    batch ``on_train_batch_begin(batch)`` / ``on_train_batch_end(batch, logs)``, then (with
    validation data) ``on_test_begin``, ``on_test_batch_begin/end``, ``on_test_end``, then
    ``on_epoch_end(epoch, logs)``; finally ``on_train_end(logs)``, skipped if ``fit`` raised.
    Batch logs hold the running means of the epoch so far.

    Attributes
    ----------
    model : Model
        The model being run (set by :meth:`set_model`).
    params : dict
        ``{"verbose", "epochs", "steps"}`` of the run (set by :meth:`set_params`).

    Examples
    --------
    >>> from convkit.callbacks import Callback
    >>> class Count(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, sorted(logs))
    >>> Count().on_epoch_end(0, {"loss": 1.0})
    0 ['loss']
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None) -> None:
        """Before the first epoch of ``fit``."""

    def on_train_end(self, logs=None) -> None:
        """After the last epoch of ``fit`` (``logs``: that epoch's)."""

    def on_epoch_begin(self, epoch, logs=None) -> None:
        """At the start of epoch ``epoch`` (counted from 0, ``initial_epoch`` included)."""

    def on_epoch_end(self, epoch, logs=None) -> None:
        """At the end of epoch ``epoch``; ``logs`` hold its means, ``val_`` ones included."""

    def on_train_batch_begin(self, batch, logs=None) -> None:
        """Before training batch ``batch`` of the epoch."""

    def on_train_batch_end(self, batch, logs=None) -> None:
        """After training batch ``batch``; ``logs`` hold the epoch's running means."""

    def on_test_begin(self, logs=None) -> None:
        """Before ``evaluate`` (or ``fit``'s validation) runs."""

    def on_test_end(self, logs=None) -> None:
        """After ``evaluate`` (or ``fit``'s validation); ``logs`` hold its means."""

    def on_test_batch_begin(self, batch, logs=None) -> None:
        """Before evaluation batch ``batch``."""

    def on_test_batch_end(self, batch, logs=None) -> None:
        """After evaluation batch ``batch``; ``logs`` hold the running means."""

    def on_predict_begin(self, logs=None) -> None:
        """Before ``predict`` runs."""

    def on_predict_end(self, logs=None) -> None:
        """After ``predict``."""

    def on_predict_batch_begin(self, batch, logs=None) -> None:
        """Before prediction batch ``batch``."""

    def on_predict_batch_end(self, batch, logs=None) -> None:
        """After prediction batch ``batch``."""
