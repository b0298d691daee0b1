"""``EarlyStopping``: stop ``fit`` when a monitored value stops improving (Keras 3 rules)."""

from __future__ import annotations

import warnings

from .callback import Callback

_MODES = ("auto", "min", "max")


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (``"val_loss"``, ``"loss"``, ``"val_accuracy"``...).
    min_delta : float
        An improvement must beat the best by more than ``|min_delta|``; ties never improve.
    patience : int
        Stop at the ``patience``-th non-improving epoch in a row (0: the first one, though
        never at epoch 0).
    verbose : int
        1 prints a line when stopping and when restoring weights.
    mode : {"auto", "min", "max"}
        ``"auto"``: lower is better for losses and error metrics, higher for accuracies;
        a monitored metric of unknown direction raises ValueError.
    baseline : float, optional
        An improvement resets the patience count only if it also beats ``baseline``.
    restore_best_weights : bool
        At the end of training (stopped early or not) put back the weights of the best epoch
        (the optimizer state is not restored).
    start_from_epoch : int
        Epochs before this one are ignored (a warm-up).

    Attributes
    ----------
    best, best_epoch, stopped_epoch, wait, best_weights
        The state of the last run (reset by ``on_train_begin``).

    Raises
    ------
    ValueError
        For a ``mode`` other than ``"auto"``, ``"min"`` or ``"max"``, or a negative
        ``patience``.

    Examples
    --------
    >>> from convkit.callbacks import EarlyStopping
    >>> stop = EarlyStopping(monitor="loss", patience=1)
    >>> class Model:
    ...     stop_training = False
    >>> stop.set_model(Model())
    >>> stop.on_train_begin()
    >>> for epoch, loss in enumerate([3.0, 2.0, 2.0]):
    ...     stop.on_epoch_end(epoch, {"loss": loss})
    >>> stop.model.stop_training, stop.stopped_epoch, stop.best
    (True, 2, 2.0)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'EarlyStopping: `mode` must be "auto", "min" or "max". '
                             f"Received: mode={mode!r}")
        for name, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"EarlyStopping: `{name}` must be an int >= 0. "
                                 f"Received: {name}={value!r}")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._lower_is_better = None
        self.on_train_begin()

    def on_train_begin(self, logs=None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _direction(self) -> bool:
        """True when lower values are better, decided once from ``mode`` and the model."""
        if self.mode != "auto":
            return self.mode == "min"
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return True
        for metric in getattr(self.model, "metrics", None) or ():
            if metric.name == name and getattr(metric, "direction", None) in ("up", "down"):
                return metric.direction == "down"
        raise ValueError(f"EarlyStopping callback received monitor={self.monitor}, but "
                         "whether that value should be minimised or maximised is unknown. "
                         "Pass `mode='max'` to keep the highest value, or `mode='min'` to "
                         "keep the lowest.")

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        if self._lower_is_better:
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self._lower_is_better is None:
            self._lower_is_better = self._direction()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is "
                          f"not available. Available metrics are: {','.join(logs or {})}",
                          stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
