"""``Trainer``: ``compile``, ``fit``, ``evaluate``, ``train_on_batch`` and ``test_on_batch``
with Keras 3's semantics (docs/design/architecture.md §3.5); ``Model`` inherits it.

This module holds the epoch loops, ``fit`` and ``evaluate`` (batches, validation, callbacks,
``stop_training``, ``history``). ``compile`` and its compile state, the train and test steps
and ``train_on_batch``/``test_on_batch`` come from
:class:`~convkit.models.training_steps.TrainingSteps`, in a module of its own.
"""

from __future__ import annotations

import numpy as np

from ..callbacks import CallbackList
from ..callbacks.progress import resolve_verbose
from .epoch_iterator import (
    EpochIterator,
    class_weights_as_sample_weights,
    train_validation_split,
)
from .training_steps import TrainingSteps


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}")
    return int(value)


def _validation_arrays(validation_data) -> tuple:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight). Received: validation_data={validation_data!r}")
    return tuple(validation_data) + (None,) * (3 - len(validation_data))


class Trainer(TrainingSteps):
    """The training API of :class:`~convkit.models.Model` (Keras's ``Trainer``)."""

    stop_training = False
    history = None

    # ----------------------------------------------------------------- loops
    def _read_first_batch(self, data: EpochIterator) -> None:
        """Keras builds the model, loss and metrics from one batch read before the first
        ``fit``/``evaluate`` after ``compile``; in a shuffling ``fit`` that batch costs one
        permutation of NumPy's global generator, which we draw (and drop) too."""
        if self._compiled.first_batch_pending:
            data.first_batch()
            self._compiled.first_batch_pending = False

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
