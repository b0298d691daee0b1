"""Callbacks: code that ``fit`` and ``evaluate`` run at Keras's hooks.

``fit`` adds a :class:`History` (which it returns) and a :class:`ProgbarLogger` after the
callbacks it is given; :class:`EarlyStopping` and :class:`LambdaCallback` are the others.

Examples
--------
>>> from convkit import callbacks
>>> seen = []
>>> log = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
>>> calls = callbacks.CallbackList([log], add_history=True)
>>> calls.on_train_begin()
>>> calls.on_epoch_end(0, {"loss": 1.0})
>>> seen, calls.history.history
([0], {'loss': [1.0]})
"""

from .callback import Callback
from .callback_list import CallbackList
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "ProgbarLogger"]
