"""``ProgbarLogger``: the progress display of ``fit`` and ``evaluate`` as a callback.

It draws :class:`~convkit.callbacks.progress.ProgressBar` (the bar ``predict`` uses): one
bar per epoch with the running loss and metrics (``verbose=1``), or one line per epoch
(``verbose=2``); ``fit``'s validation runs without a bar of its own, as in Keras.
"""

from __future__ import annotations

from .callback import Callback
from .progress import ProgressBar


class ProgbarLogger(Callback):
    """Show progress as ``params["verbose"]`` says (0 nothing, 1 a bar, 2 a line).

    Parameters
    ----------
    file : file-like, optional
        Where verbose 2 lines (and the text bar) go; default: standard error.

    Raises
    ------
    AttributeError
        At the first write, for a ``file`` without ``write``/``flush``.

    Examples
    --------
    >>> import io
    >>> from convkit.callbacks import ProgbarLogger
    >>> out = io.StringIO()
    >>> bar = ProgbarLogger(file=out)
    >>> bar.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    >>> bar.on_train_begin()
    >>> bar.on_epoch_begin(0)
    >>> bar.on_train_batch_end(0, logs={"loss": 0.5})
    >>> bar.on_train_batch_end(1, logs={"loss": 0.25})
    >>> bar.on_epoch_end(0, {"loss": 0.25, "val_loss": 0.5})
    >>> out.getvalue()  # doctest: +ELLIPSIS
    'Epoch 1/1: 2/2 - 0s - ...s/step - loss: 0.2500 - val_loss: 0.5000\\n'
    """

    def __init__(self, file=None):
        super().__init__()
        self._file = file
        self._bar = None
        self._in_fit = False

    def _new_bar(self, desc: str) -> None:
        self._close()
        verbose = self.params.get("verbose", 0)
        if verbose:
            self._bar = ProgressBar(self.params.get("steps") or 0, verbose, desc=desc,
                                    file=self._file)

    def _close(self, logs=None) -> None:
        if self._bar is not None:
            self._bar.close(logs)
            self._bar = None

    def on_train_begin(self, logs=None) -> None:
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._new_bar(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}")

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None) -> None:
        self._close(logs)

    def on_train_end(self, logs=None) -> None:
        self._in_fit = False
        self._close()

    def on_test_begin(self, logs=None) -> None:
        if not self._in_fit:
            self._new_bar(f"{getattr(self.model, 'name', 'model')} evaluate")

    def on_test_batch_end(self, batch, logs=None) -> None:
        if not self._in_fit and self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_test_end(self, logs=None) -> None:
        if not self._in_fit:
            self._close(logs)
