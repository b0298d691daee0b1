"""``History``: every epoch's logs, the object ``fit`` returns."""

from __future__ import annotations

from .callback import Callback


class History(Callback):
    """Record each epoch's logs: ``history[key]`` is one value per epoch.

    Attributes
    ----------
    epoch : list of int
        The epochs seen, ``initial_epoch`` first.
    history : dict
        ``{"loss": [...], <metric>: [...], "val_loss": [...], ...}``, Python floats.

    Examples
    --------
    >>> from convkit.callbacks import History
    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.75, "mae": 0.5})
    >>> h.on_epoch_end(1, {"loss": 0.5, "mae": 0.25})
    >>> h.history, h.epoch
    ({'loss': [0.75, 0.5], 'mae': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.epoch: list = []
        self.history: dict = {}

    def on_train_begin(self, logs=None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self  # Keras keeps the last run's History on the model
