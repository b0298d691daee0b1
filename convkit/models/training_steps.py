"""The one-batch half of :class:`~convkit.models.trainer.Trainer`: ``compile`` and the
compile state it keeps (optimizer, loss, metrics and their bookkeeping), the train and test
steps, and ``train_on_batch``/``test_on_batch``.

A train step runs the forward pass once, with ``training=True``, on the weights as they are
before the step; its loss is the compiled loss plus ``model.losses`` (weight penalties and
the activity penalties of that forward pass, each ÷ batch size); the gradient comes from
``loss.gradient`` chained through ``_gradients`` (the model's backward pass, activity
penalties included) plus each weight regularizer's gradient; ``optimizer.apply`` then
updates the trainable weights and the step's non-trainable state updates (BatchNormalization's
moving statistics, computed by the forward pass) are assigned with them, all at once or not
at all.

A module of its own because a step and its metric bookkeeping are one job and the epoch
loops that run them (``fit`` and ``evaluate``, in :mod:`convkit.models.trainer`) another.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..layers import state_updates
from ..optimizers._atomic import staged
from .compile_utils import CompileState
from .epoch_iterator import _as_arrays, class_weights_as_sample_weights


def _one_batch(x, y, sample_weight, method: str) -> tuple:
    if y is None:
        raise ValueError(f"{method}() needs targets: pass `y`, with as many rows as `x`.")
    return _as_arrays(x, y, sample_weight)


class TrainingSteps:
    """Compile state, train and test steps and the one-batch methods of
    :class:`~convkit.models.trainer.Trainer` (see the module docstring)."""

    _compiled: CompileState | None = None

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, *, metrics=None) -> None:
        """Choose the optimizer, loss and metrics for ``fit`` and ``evaluate``.

        Parameters
        ----------
        optimizer : str or Optimizer
            A name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"adagrad"``) with
            default arguments, or an optimizer object.
        loss : str, Loss or function, optional
            A name (``"mse"``, ``"binary_crossentropy"``...), a ``Loss`` or a loss function.
        metrics : list, optional
            Names (``"mae"``, ``"accuracy"``...), metric objects or functions; logged under
            the string given (``"acc"`` stays ``"acc"``), or the metric's name. Keyword-only:
            Keras's third positional argument is ``loss_weights``.

        Raises
        ------
        ValueError, TypeError
            For a name that is not an optimizer, loss or metric (the message names the
            argument).

        Examples
        --------
        >>> from convkit import layers, models, optimizers
        >>> model = models.Sequential([layers.Dense(1, input_shape=(4,), name="d")])
        >>> model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse",
        ...               metrics=["mae"])
        >>> model.compiled, type(model.optimizer).__name__
        (True, 'Adam')
        """
        self._compiled = CompileState(optimizer, loss, metrics)
        self.stop_training = False

    def get_compile_config(self) -> dict:
        """What ``compile`` was given, as Keras stores it in a ``.keras`` file's
        ``compile_config``; ``{}`` for a model that is not compiled (as Keras)."""
        return self._compiled.config() if self._compiled else {}

    def compile_from_config(self, config) -> None:
        """Compile from :meth:`get_compile_config`'s dict (or the one Keras saved): the
        optimizer, loss and metrics it names; a built model's optimizer builds its slots at
        once, so a file's optimizer state has somewhere to go (as Keras does)."""
        if not isinstance(config, dict):
            raise TypeError(f"`config` must be a compile_config dict. Received: {config!r}")
        ignored = sorted(key for key in ("loss_weights", "weighted_metrics")
                         if config.get(key) is not None)
        if ignored:
            warnings.warn(f"compile_from_config: convkit's compile has no {ignored}; the "
                          "model is compiled without them.", stacklevel=2)
        self.compile(optimizer=config.get("optimizer") or "rmsprop", loss=config.get("loss"),
                     metrics=config.get("metrics"))
        if self.built:
            self.optimizer.build(self.trainable_weights)

    @property
    def compiled(self) -> bool:
        """Whether ``compile`` has been called."""
        return self._compiled is not None

    @property
    def optimizer(self):
        return self._compiled.optimizer if self._compiled else None

    @property
    def loss(self):
        return self._compiled.loss if self._compiled else None

    @property
    def metrics(self) -> list:
        """The loss tracker, then the compiled metrics (after the first batch)."""
        return self._compiled.all_metrics if self._compiled else []

    @property
    def metrics_names(self) -> list:
        return [metric.name for metric in self.metrics]

    def reset_metrics(self) -> None:
        if self._compiled:
            self._compiled.reset()

    def _require_compiled(self, method: str) -> CompileState:
        if self._compiled is None:
            raise ValueError(f"You must call `compile()` before using the model: `{method}()` "
                             "needs an optimizer and a loss.")
        return self._compiled

    # ----------------------------------------------------------------- steps
    def _total_loss(self, y, y_pred, sample_weight, value=None):
        """The compiled loss (``value`` if the caller has it) plus ``model.losses``."""
        if value is None:
            value = self._compiled.require_loss()(y, y_pred, sample_weight)
        # Keras sums the compiled loss and model.losses in float32
        return np.sum(np.asarray([value, *self.losses], np.float32), dtype=np.float32)

    def _train_step(self, x, y, sample_weight=None) -> dict:
        state = self._compiled
        state.require_loss()
        inputs = self._prepare_inputs(x)
        y_pred, context = self._forward_with_context(inputs, True)
        state.build_metrics(y, y_pred)
        value, loss_gradient = state.loss.value_and_gradient(y, y_pred, sample_weight)
        total = self._total_loss(y, y_pred, sample_weight, value)
        # the inputs are data: no gradient for them (Keras and PyTorch compute none either)
        _, grads = self._gradients(context, loss_gradient, activity=True, input_gradient=False)
        variables = self.trainable_weights
        grads = [g if w.regularizer is None else g + w.regularizer.gradient(w.value)
                 for g, w in zip(grads, variables, strict=True)]
        state.update(total, len(inputs), y, y_pred)
        self._commit_step(state.optimizer, grads, variables, state_updates.pending(context))
        return state.results()

    @staticmethod
    def _commit_step(optimizer, grads, variables, updates) -> None:
        """The optimizer's step and the forward pass's state updates (moving statistics), all
        assigned or none: one staged block holds every variable either may change, so an
        exception or a KeyboardInterrupt anywhere inside leaves them all as they were."""
        if not updates:
            optimizer.apply(grads, variables)
            return
        optimizer.build(variables)  # slots exist before staging, so the block covers them
        with staged([v for v, _ in updates] + list(variables) + optimizer.variables):
            state_updates.assign(updates)
            optimizer.apply(grads, variables)

    def _test_step(self, x, y, sample_weight=None) -> dict:
        state = self._compiled
        y_pred = self(x, training=False)
        state.build_metrics(y, y_pred)
        state.update(self._total_loss(y, y_pred, sample_weight), len(y_pred), y, y_pred)
        return state.results()

    # ----------------------------------------------------------------- one batch
    def _flatten(self, logs: dict):
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One train step on one batch (metrics reset first); its loss and metrics.
        ``class_weight`` as in :meth:`fit`.

        Parameters
        ----------
        x, y : array_like
            One batch of inputs and targets.
        sample_weight : array_like, optional
            One weight per sample.
        class_weight : dict, optional
            ``{class index: weight}``, as for :meth:`fit`.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or a list.

        Returns
        -------
        float, list or dict
            The loss of this step (before the update), and the metrics, as :meth:`evaluate`
            returns them.

        Raises
        ------
        ValueError
            If the model is not compiled or the arrays do not fit the model.
        TypeError
            If ``x`` or ``y`` is not an array of numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> model = models.Sequential([layers.Dense(1, input_shape=(2,), name="d",
        ...                                         kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((4, 2)), np.ones((4, 1))
        >>> first = model.train_on_batch(x, y)
        >>> second = model.train_on_batch(x, y)
        >>> first, second < first
        (1.0, True)
        """
        if class_weight is not None:
            if y is None:
                raise ValueError("train_on_batch() needs targets: pass `y`.")
            sample_weight = class_weights_as_sample_weights(y, class_weight, sample_weight)
        return self._step_on_batch("train_on_batch", self._train_step, x, y, sample_weight,
                                   return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One test step on one batch (metrics reset first); its loss and metrics.

        Parameters
        ----------
        x, y : array_like
            One batch of inputs and targets.
        sample_weight : array_like, optional
            One weight per sample.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or a list.

        Returns
        -------
        float, list or dict
            The loss and metrics on this batch, as :meth:`evaluate` returns them; no weight
            changes.

        Raises
        ------
        ValueError
            If the model is not compiled or the arrays do not fit the model.
        TypeError
            If ``x`` or ``y`` is not an array of numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> model = models.Sequential([layers.Dense(1, input_shape=(2,), name="d",
        ...                                         kernel_initializer="ones")])
        >>> model.compile(optimizer="sgd", loss="mae")
        >>> model.test_on_batch(np.ones((4, 2)), np.zeros((4, 1)))
        2.0
        """
        return self._step_on_batch("test_on_batch", self._test_step, x, y, sample_weight,
                                   return_dict)

    def _step_on_batch(self, method: str, step, x, y, sample_weight, return_dict):
        """``step`` on one batch for the public ``method``, after resetting the metrics."""
        state = self._require_compiled(method)
        state.first_batch_pending = False
        state.reset()
        logs = step(*_one_batch(x, y, sample_weight, method))
        return logs if return_dict else self._flatten(logs)
