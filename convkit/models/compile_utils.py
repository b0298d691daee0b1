"""What ``Model.compile`` holds: the optimizer, the loss, the metrics (resolved on the first
batch, as Keras's ``CompileMetrics`` are) and the running loss of an epoch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import losses, metrics, optimizers
from ..losses._shapes import classification_kind
from ..metrics.reduction_metrics import Metric


class LossTracker(Metric):
    """The running ``loss`` of an epoch: ``Σ n_b·L_b / Σ n_b`` summed in float32, ``n_b``
    the samples of batch ``b`` (Keras's loss tracker, a ``Mean`` weighted by batch size)."""

    direction = "down"

    def __init__(self, name="loss"):
        super().__init__(name=name)
        self.reset_state()

    def reset_state(self) -> None:
        self.total = np.float32(0)
        self.count = np.float32(0)

    def update_state(self, value, samples: int) -> None:
        n = np.float32(samples)
        self.total = np.float32(self.total + np.float32(value) * n)
        self.count = np.float32(self.count + n)

    def result(self):
        return self.total / self.count if self.count else np.float32(0)


_CROSSENTROPY = ("crossentropy", "ce")


def _crossentropy_for(y_true, y_pred):
    return {"binary": losses.binary_crossentropy,
            "sparse": losses.sparse_categorical_crossentropy,
            "categorical": losses.categorical_crossentropy}[classification_kind(y_true, y_pred)]


def _serialized(identifier, serialize):
    if identifier is None or isinstance(identifier, str):
        return identifier
    return serialize(identifier)


def _argument_error(name: str, value, error: Exception) -> ValueError:
    return ValueError(f"compile(): `{name}` could not be interpreted: {error}. "
                      f"Received: {name}={value!r}")


class CompileState:
    """The pieces ``compile`` was given, ready for a training or test step.

    Parameters
    ----------
    optimizer : str or Optimizer
        Through :func:`convkit.optimizers.get`.
    loss : str, Loss or loss function, optional
        Through :func:`convkit.losses.as_loss`; None is allowed until a step needs a loss.
    metrics : list, optional
        Names, metric objects or functions; each becomes a metric named by the entry
        (:func:`convkit.metrics.resolve`) when the first batch is seen.
    """

    def __init__(self, optimizer="rmsprop", loss=None, metrics=None):
        try:
            self.optimizer = optimizers.get(optimizer)
        except (ValueError, TypeError) as error:
            raise _argument_error("optimizer", optimizer, error) from None
        # "crossentropy"/"ce" name binary, sparse or categorical cross-entropy by the shapes
        # of the first batch (Keras's get_loss), so it is resolved in build()
        self._shape_dependent_loss = isinstance(loss, str) and loss.lower() in _CROSSENTROPY
        try:
            self.loss = None if self._shape_dependent_loss else losses.as_loss(loss)
        except (ValueError, TypeError, KeyError) as error:
            raise _argument_error("loss", loss, error) from None
        self.loss_identifier = loss
        self.metric_entries = self._check_metrics(metrics)
        self.loss_tracker = LossTracker()
        self.metrics: list | None = None  # resolved from the first batch's arrays
        self.first_batch_pending = True  # Keras reads a batch to build before the first run

    @staticmethod
    def _check_metrics(entries) -> list:
        if entries is None:
            return []
        if isinstance(entries, (str, Mapping)) or not isinstance(entries, (list, tuple)):
            raise TypeError("compile(): `metrics` must be a list or tuple (e.g. "
                            f'["mae"]). Received: metrics={entries!r}')
        for entry in entries:
            if isinstance(entry, str) and entry.lower() in ("accuracy", "acc"):
                continue
            try:
                if metrics.get(entry) is None:
                    raise ValueError("None is not a metric")
            except (ValueError, TypeError) as error:
                raise _argument_error("metrics", entry, error) from None
        return list(entries)

    def config(self) -> dict:
        """Keras's ``compile_config``: what ``compile`` was given, serialised as Keras writes
        it into a ``.keras`` file (strings stay strings; objects become their dicts)."""
        return {"optimizer": optimizers.serialize(self.optimizer),
                "loss": _serialized(self.loss_identifier, losses.serialize),
                "loss_weights": None,
                "metrics": [_serialized(entry, metrics.serialize) for entry in
                            self.metric_entries] or None,
                "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
                "jit_compile": False}

    def require_loss(self) -> losses.Loss:
        if self.loss is None and not self._shape_dependent_loss:
            raise ValueError("No loss to compute: pass `loss=` to `compile()` (e.g. "
                             'loss="mse") before training or evaluating the model.')
        return self.loss

    def build_metrics(self, y_true, y_pred) -> None:
        """Resolve the metric entries, and a "crossentropy" loss, from the first batch (once
        per ``compile``)."""
        if self.loss is None and self._shape_dependent_loss:
            self.loss = losses.LossFunctionWrapper(_crossentropy_for(y_true, y_pred),
                                                   name=self.loss_identifier)
        if self.metrics is None:
            self.metrics = [metrics.resolve(entry, y_true, y_pred)
                            for entry in self.metric_entries]

    @property
    def all_metrics(self) -> list:
        """The loss tracker, then the compiled metrics (once built)."""
        return [self.loss_tracker, *(self.metrics or [])]

    def reset(self) -> None:
        for metric in self.all_metrics:
            metric.reset_state()

    def update(self, total_loss, samples: int, y_true, y_pred) -> None:
        """Count one batch: its total loss (regularisation included) and the metrics on its
        predictions (metrics ignore sample weights, as Keras's ``metrics=`` do)."""
        self.loss_tracker.update_state(total_loss, samples)
        for metric in self.metrics or ():
            metric.update_state(y_true, y_pred)

    def results(self) -> dict:
        """``{"loss": ..., <metric name>: ...}`` as Python floats."""
        return {metric.name: float(metric.result()) for metric in self.all_metrics}
