"""``Trainer``: ``compile``, ``fit``, ``evaluate``, ``train_on_batch`` and ``test_on_batch``
with Keras 3's semantics (docs/design/architecture.md §3.5); ``Model`` inherits it.

A train step runs the forward pass once, with ``training=True``, on the weights as they are
before the step; its loss is the compiled loss plus ``model.losses`` (weight penalties and
the activity penalties of that forward pass, each ÷ batch size); the gradient comes from
``loss.gradient`` chained through ``_gradients`` (the model's backward pass, activity
penalties included) plus each weight regularizer's gradient; ``optimizer.apply`` then
updates the trainable weights and the step's non-trainable state updates (BatchNormalization's
moving statistics, computed by the forward pass) are assigned with them, all at once or not
at all.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..callbacks import CallbackList
from ..callbacks.progress import resolve_verbose
from ..layers import state_updates
from ..optimizers._atomic import staged
from .compile_utils import CompileState
from .epoch_iterator import (
    EpochIterator,
    _as_arrays,
    class_weights_as_sample_weights,
    train_validation_split,
)


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}")
    return int(value)


def _validation_arrays(validation_data) -> tuple:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight). Received: validation_data={validation_data!r}")
    return tuple(validation_data) + (None,) * (3 - len(validation_data))


def _one_batch(x, y, sample_weight, method: str) -> tuple:
    if y is None:
        raise ValueError(f"{method}() needs targets: pass `y`, with as many rows as `x`.")
    return _as_arrays(x, y, sample_weight)


class Trainer:
    """The training API of :class:`~convkit.models.Model` (Keras's ``Trainer``)."""

    _compiled: CompileState | None = None
    stop_training = False
    history = None

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

    def _read_first_batch(self, data: EpochIterator) -> None:
        """Keras builds the model, loss and metrics from one batch read before the first
        ``fit``/``evaluate`` after ``compile``; in a shuffling ``fit`` that batch costs one
        permutation of NumPy's global generator, which we draw (and drop) too."""
        if self._compiled.first_batch_pending:
            data.first_batch()
            self._compiled.first_batch_pending = False

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

    # ----------------------------------------------------------------- loops
    def _run_test(self, data: EpochIterator, callbacks) -> dict:
        data.reset()  # validation_steps take the first batches every time
        self._compiled.reset()
        callbacks.on_test_begin()
        logs: dict = {}
        for step, batch in data:
            callbacks.on_test_batch_begin(step)
            logs = self._test_step(*batch)
            callbacks.on_test_batch_end(step, logs=logs)
        logs = self._compiled.results()
        callbacks.on_test_end(logs)
        return logs

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs over ``(x, y)``, in batches (Keras's ``fit``).

        Each step runs the model forward in training mode on one batch, computes the compiled
        loss plus the layers' regularization penalties, and lets the optimizer update the
        trainable weights. The compiled metrics are reported per epoch.

        Parameters
        ----------
        x : array_like
            Inputs, batch first (NumPy arrays, or nested lists of numbers).
        y : array_like
            Targets, with as many samples as ``x``.
        batch_size : int, optional
            Samples per step (default 32); the last batch of an epoch may be smaller.
        epochs : int, default 1
            The epoch to stop after (counting from 0, so with ``initial_epoch`` it is the
            index of the last epoch plus one, as in Keras).
        verbose : {"auto", 0, 1, 2}, default "auto"
            0 silent, 1 a progress bar per epoch, 2 one line per epoch; ``"auto"`` is 1.
        callbacks : list of Callback, optional
            Called at the start and end of training, of each epoch and of each batch, for
            example :class:`~convkit.callbacks.EarlyStopping`.
        validation_split : float, default 0.0
            A fraction (between 0 and 1) of the samples, taken from the **end** of ``x`` and
            ``y`` before any shuffling, held out to compute ``val_`` losses and metrics after
            each epoch.
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``; overrides
            ``validation_split``.
        shuffle : bool, default True
            Shuffle the training samples before each epoch, with NumPy's global random
            generator (``np.random.seed`` makes runs repeatable).
        class_weight : dict, optional
            ``{class index: weight}``, multiplying each sample's loss by its class's weight.
        sample_weight : array_like, optional
            One weight per training sample.
        initial_epoch : int, default 0
            The epoch to start from, to resume an earlier run.
        steps_per_epoch : int, optional
            Batches per epoch; by default, all of them.
        validation_steps : int, optional
            Validation batches per evaluation; by default, all of them.
        validation_batch_size : int, optional
            Batch size for validation (default: ``batch_size``).
        validation_freq : int, default 1
            Validate every ``validation_freq`` epochs.

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, each metric and their ``"val_"`` versions
            to one value per epoch.

        Raises
        ------
        ValueError
            If the model is not compiled or has no loss, if ``x`` and ``y`` do not have the
            same number of samples, or if an argument is out of range (the message names
            it).
        TypeError
            If ``x`` or ``y`` is not an array of numbers.

        Notes
        -----
        An exception (``KeyboardInterrupt`` too) ends ``fit`` with the weights of the last
        completed step; ``on_train_end`` is then not called.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> x = np.linspace(-1, 1, 32, dtype="float32").reshape(32, 1)
        >>> model = models.Sequential([layers.Dense(1, input_shape=(1,), name="d")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(x, 3 * x, epochs=5, batch_size=8, verbose=0)
        >>> len(history.history["loss"])
        5
        >>> history.history["loss"][-1] < history.history["loss"][0]
        True
        """
        state = self._require_compiled("fit")
        state.require_loss()
        if y is None:
            raise ValueError("fit() needs targets: pass `y`, with as many rows as `x`.")
        epochs = _check_count(epochs, "epochs", 0)
        initial_epoch = _check_count(initial_epoch, "initial_epoch", 0)
        validation_freq = _check_count(validation_freq, "validation_freq", 1)
        val = None
        if validation_data is not None:
            val = _validation_arrays(validation_data)
        elif validation_split != 0.0 or isinstance(validation_split, bool):
            (x, y, sample_weight), val = train_validation_split((x, y, sample_weight),
                                                                validation_split)
        if class_weight is not None:
            sample_weight = class_weights_as_sample_weights(y, class_weight, sample_weight)
        train = EpochIterator(x, y, sample_weight, batch_size=batch_size,
                              steps=steps_per_epoch, shuffle=shuffle)
        val_data = None if val is None else EpochIterator(
            *val, batch_size=validation_batch_size or train.batch_size, steps=validation_steps)
        mode = resolve_verbose(verbose, auto=1)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=mode != 0,
                                 model=self, verbose=mode, epochs=epochs,
                                 steps=train.num_batches)
        self._read_first_batch(train)
        self.stop_training = False
        callbacks.on_train_begin()
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            state.reset()
            callbacks.on_epoch_begin(epoch)
            for step, batch in train:
                callbacks.on_train_batch_begin(step)
                logs = self._train_step(*batch)
                callbacks.on_train_batch_end(step, logs=logs)
                if self.stop_training:
                    break
            epoch_logs = state.results()
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_test(val_data, callbacks)
                epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
            epoch_logs = dict(sorted(epoch_logs.items()))
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(epoch_logs)
        self.history = callbacks.history
        return callbacks.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (regularisation included) and metrics over ``(x, y)``, in inference mode
        (the first ``steps`` batches only, when given).

        Parameters
        ----------
        x, y : array_like
            Inputs and targets, batch first, with the same number of samples.
        batch_size : int, optional
            Samples per step (default 32).
        verbose : {"auto", 0, 1, 2}, default "auto"
            0 silent, 1 a progress bar, 2 one line at the end; ``"auto"`` is 1.
        sample_weight : array_like, optional
            One weight per sample.
        steps : int, optional
            Evaluate only the first ``steps`` batches.
        callbacks : list of Callback, optional
            Called at the start and end of the evaluation and of each batch.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a number or a list.

        Returns
        -------
        float, list or dict
            The loss alone when there are no metrics, else ``[loss, *metrics]`` in compile
            order; with ``return_dict`` ``{"loss": ..., <metric>: ...}``.

        Raises
        ------
        ValueError
            If the model is not compiled, if ``x`` and ``y`` do not have the same number of
            samples, or if an argument is out of range.
        TypeError
            If ``x`` or ``y`` is not an array of numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers, models
        >>> model = models.Sequential([layers.Dense(1, input_shape=(2,), name="d",
        ...                                         kernel_initializer="ones")])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> x, y = np.ones((4, 2)), np.full((4, 1), 3.0)
        >>> model.evaluate(x, y, verbose=0)  # predictions are 2, targets 3
        [1.0, 1.0]
        >>> model.evaluate(x, y, verbose=0, return_dict=True)
        {'loss': 1.0, 'mae': 1.0}
        """
        self._require_compiled("evaluate")
        if y is None:
            raise ValueError("evaluate() needs targets: pass `y`, with as many rows as `x`.")
        data = EpochIterator(x, y, sample_weight, batch_size=batch_size, steps=steps)
        mode = resolve_verbose(verbose, auto=1)
        callbacks = CallbackList(callbacks, add_progbar=mode != 0, model=self, verbose=mode,
                                 epochs=1, steps=data.num_batches)
        self._read_first_batch(data)
        logs = self._run_test(data, callbacks)
        return logs if return_dict else self._flatten(logs)

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
