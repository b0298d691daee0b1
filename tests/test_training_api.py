"""The training API without Keras: callback order, History keys, EarlyStopping, the
validation split, the shuffle draws, the KeyboardInterrupt guarantee and bad inputs."""

import numpy as np
import pytest

from convkit import layers, models, optimizers
from convkit.callbacks import Callback, EarlyStopping, History, LambdaCallback


def _model(**conv_kwargs):
    return models.Sequential([layers.Conv1D(2, 3, padding="same", input_shape=(6, 1),
                                            **conv_kwargs),
                              layers.Conv1D(1, 1)])


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6, 1)).astype("float32"), \
        rng.normal(size=(n, 6, 1)).astype("float32")


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if name.startswith("on_"):
            def record(*args, **kwargs):
                logs = kwargs.get("logs", args[-1] if args and isinstance(args[-1], dict)
                                  else None)
                index = [a for a in args if isinstance(a, int)]
                self.calls.append((name, *index, tuple(sorted(logs or ()))))
            return record
        return attr


def test_callbacks_are_called_in_keras_order_with_running_batch_logs():
    x, y = _data(6)
    model = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    rec = Recorder()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[rec],
              validation_data=(x[:3], y[:3]))
    logs, val_logs = ("loss", "mae"), ("loss", "mae", "val_loss", "val_mae")
    epoch = lambda e: [("on_epoch_begin", e, ()),  # noqa: E731
                       ("on_train_batch_begin", 0, ()), ("on_train_batch_end", 0, logs),
                       ("on_train_batch_begin", 1, ()), ("on_train_batch_end", 1, logs),
                       ("on_test_begin", ()), ("on_test_batch_begin", 0, ()),
                       ("on_test_batch_end", 0, logs), ("on_test_end", logs),
                       ("on_epoch_end", e, val_logs)]
    assert rec.calls == [("on_train_begin", ())] + epoch(0) + epoch(1) + \
        [("on_train_end", val_logs)]


def test_batch_logs_are_running_means_and_history_has_keras_keys():
    x, y = _data(10)
    model = _model()
    model.compile("sgd", "mse", metrics=["mae", "acc"])
    seen = []
    cb = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[cb],
                        validation_split=0.2)
    assert isinstance(history, History) and model.history is history
    assert list(history.history) == ["acc", "loss", "mae", "val_acc", "val_loss", "val_mae"]
    assert history.epoch == [0, 1]
    assert all(len(v) == 2 and all(isinstance(f, float) for f in v)
               for v in history.history.values())
    # 8 training rows, 2 batches: the last batch's logs are the epoch's running mean
    assert len(seen) == 4 and seen[0] != seen[1]
    assert history.history["loss"] == [seen[1], seen[3]]


def test_loss_is_batch_size_weighted_pre_update_and_includes_regularization():
    x, y = _data(5)
    model = _model(kernel_regularizer="l2")
    model.compile(optimizers.SGD(0.1), "mse")
    before = model.get_weights()
    first = model.predict(x[:4], verbose=0), model.predict(x[4:], verbose=0)
    penalty0 = sum(model.losses)
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    mid = _model(kernel_regularizer="l2")
    mid.set_weights(before)
    mid.compile(optimizers.SGD(0.1), "mse")
    mid.train_on_batch(x[:4], y[:4])
    l0 = np.mean((first[0] - y[:4]) ** 2) + penalty0
    l1 = np.mean((mid.predict(x[4:], verbose=0) - y[4:]) ** 2) + sum(mid.losses)
    assert history.history["loss"][0] == pytest.approx((4 * l0 + l1) / 5, rel=1e-5)


@pytest.mark.parametrize("n,split,n_val", [(10, 0.2, 2), (20, 0.9, 19), (7, 0.5, 4)])
def test_validation_split_holds_out_the_last_rows_unshuffled(n, split, n_val):
    x, y = _data(n)
    model = _model()
    model.compile("sgd", "mse")
    seen = []
    original = model._test_step
    model._test_step = lambda xb, yb, sw=None: seen.append(xb) or original(xb, yb, sw)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, validation_split=split)
    np.testing.assert_array_equal(np.concatenate(seen), x[n - n_val:])


def test_shuffle_draws_one_permutation_per_epoch_plus_one_after_compile():
    x, y = _data(7)
    model = _model()
    model.compile("sgd", "mse")
    order = []
    original = model._train_step
    model._train_step = lambda xb, yb, sw=None: order.append(xb[:, 0, 0]) or \
        original(xb, yb, sw)
    np.random.seed(3)
    model.fit(x, y, batch_size=3, epochs=2, verbose=0)
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)  # no skip: fit already ran
    np.random.seed(3)
    np.random.permutation(7)  # the batch Keras reads to build, after compile
    expected = [np.random.permutation(7) for _ in range(3)]
    got = np.concatenate(order)
    np.testing.assert_array_equal(got, np.concatenate([x[p, 0, 0] for p in expected]))


def test_evaluate_after_compile_draws_nothing_and_cancels_the_skip():
    x, y = _data(7)
    model = _model()
    model.compile("sgd", "mse")
    np.random.seed(5)
    model.evaluate(x, y, verbose=0)
    state = np.random.get_state()[1].copy()
    np.random.seed(5)
    np.testing.assert_array_equal(state, np.random.get_state()[1])
    assert not model._compiled.first_batch_pending


@pytest.mark.parametrize("stop_at", ["on_train_batch_begin", "on_train_batch_end", "apply"])
def test_keyboard_interrupt_leaves_the_weights_of_the_last_completed_step(stop_at):
    x, y = _data(12)
    model = _model(kernel_constraint="non_neg")
    model.compile("adam", "mse")
    snapshots = []
    cb = LambdaCallback(on_train_batch_end=lambda batch, logs: snapshots.append(
        (model.get_weights(), model.optimizer.get_state())))

    class Interrupt(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if stop_at == "on_train_batch_begin" and batch == 2:
                raise KeyboardInterrupt

        def on_train_batch_end(self, batch, logs=None):
            if stop_at == "on_train_batch_end" and batch == 1:
                raise KeyboardInterrupt

    if stop_at == "apply":  # interrupt inside the optimizer, after some variables moved
        opt = model.optimizer
        steps = {"n": 0}
        real = type(opt).update_step

        def update_step(self, grad, variable, lr):
            real(self, grad, variable, lr)
            steps["n"] += 1
            if steps["n"] == 2 * len(model.trainable_weights) + 2:  # mid third step
                raise KeyboardInterrupt

        opt.update_step = update_step.__get__(opt)
    ended = []
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False,
                  callbacks=[cb, Interrupt(),
                             LambdaCallback(on_train_end=lambda logs: ended.append(1))])
    assert len(snapshots) == 2 and not ended
    for a, b in zip(model.get_weights(), snapshots[-1][0], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.get_state(), snapshots[-1][1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.value) == 2


def test_early_stopping_patience_min_delta_baseline_and_best_weights():
    stop = EarlyStopping(monitor="loss", patience=2, min_delta=0.1, restore_best_weights=True)
    weights = iter(range(10))

    class Fake:
        stop_training = False
        metrics = []
        restored = None

        def get_weights(self):
            return [next(weights)]

        def set_weights(self, w):
            self.restored = w

    stop.set_model(Fake())
    stop.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.85, 0.8, 0.76, 0.7]):
        stop.on_epoch_end(epoch, {"loss": loss})
        if stop.model.stop_training:
            break
    # 0.8 and 0.76 are within min_delta of 0.85: the 2nd of them stops (epoch 3)
    assert (stop.stopped_epoch, stop.best, stop.best_epoch) == (3, 0.85, 1)
    stop.on_train_end()
    # epoch 0 reads the weights twice (initial best, then its improvement): epoch 1's are [2]
    assert stop.model.restored == [2]
    tie = EarlyStopping(monitor="val_loss")
    tie.set_model(Fake())
    tie.on_train_begin()
    tie.on_epoch_end(0, {"val_loss": 1.0})
    tie.on_epoch_end(1, {"val_loss": 1.0})  # a tie does not improve: patience 0 stops
    assert tie.model.stop_training and tie.stopped_epoch == 1


def test_early_stopping_restores_best_weights_without_stopping_and_respects_warmup():
    x, y = _data(8)
    model = _model()
    model.compile(optimizers.SGD(0.5), "mse", metrics=["mae"])
    stop = EarlyStopping(monitor="val_mae", patience=100, restore_best_weights=True,
                         start_from_epoch=1)
    best = {}

    def keep(epoch, logs):
        best.setdefault("all", []).append((logs["val_mae"], model.get_weights()))

    model.fit(x, y, epochs=6, verbose=0, validation_data=(x, y), callbacks=[
        stop, LambdaCallback(on_epoch_end=keep)])
    assert stop.stopped_epoch == 0  # never stopped
    candidates = best["all"][1:]
    value, weights = min(candidates, key=lambda item: item[0])
    assert stop.best == value
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_modes():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="best")
    x, y = _data(4)
    model = _model()
    model.compile("sgd", "mse", metrics=["acc", "mae"])
    model.fit(x, y, verbose=0)  # the metrics are resolved on the first batch
    for monitor, lower_is_better in (("val_acc", False), ("mae", True), ("val_loss", True)):
        stop = EarlyStopping(monitor=monitor)
        stop.set_model(model)
        assert stop._direction() is lower_is_better
    assert EarlyStopping(monitor="val_acc", mode="min")._direction() is True
    unknown = EarlyStopping(monitor="val_something")
    unknown.set_model(model)
    with pytest.raises(ValueError, match="mode='max'"):
        unknown.on_epoch_end(0, {"val_something": 1.0})


def test_verbose_modes(capsys):
    x, y = _data(4)
    model = _model()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, verbose=2)
    err = capsys.readouterr().err
    assert err.count("Epoch 1/2: 1/1") == 1 and err.count("Epoch 2/2: 1/1") == 1
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)


@pytest.mark.parametrize("call,match,error", [
    (lambda m, x, y: m.fit(x, y), "compile", ValueError),
    (lambda m, x, y: m.evaluate(x, y), "compile", ValueError),
    (lambda m, x, y: m.train_on_batch(x, y), "compile", ValueError),
])
def test_training_before_compile_is_refused(call, match, error):
    x, y = _data(4)
    with pytest.raises(error, match=match):
        call(_model(), x, y)


@pytest.mark.parametrize("kwargs,match,error", [
    ({"optimizer": "adamax"}, "`optimizer`", ValueError),
    ({"loss": "hinge_of_doom"}, "`loss`", ValueError),
    ({"loss": "mse", "metrics": ["mae", "nope"]}, "`metrics`", ValueError),
    ({"loss": "mse", "metrics": "mae"}, "`metrics`", TypeError),
])
def test_bad_compile_arguments(kwargs, match, error):
    with pytest.raises(error, match=match):
        _model().compile(**kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": -2}, "batch_size"),
    ({"validation_split": 1.0}, "validation_split"),
    ({"validation_split": -0.1}, "validation_split"),
    ({"validation_split": 1.5}, "validation_split"),
    ({"epochs": -1}, "epochs"), ({"validation_data": (1,)}, "validation_data"),
    ({"shuffle": "yes"}, "shuffle"),
])
def test_bad_fit_arguments(kwargs, match):
    x, y = _data(4)
    model = _model()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, verbose=0, **kwargs)


def test_mismatched_lengths_and_missing_targets_or_loss():
    x, y = _data(4)
    model = _model()
    model.compile("sgd", "mse")
    for call in (lambda: model.fit(x, y[:3], verbose=0),
                 lambda: model.evaluate(x, y[:3], verbose=0),
                 lambda: model.train_on_batch(x, y[:3])):
        with pytest.raises(ValueError, match="x has 4.*y has 3"):
            call()
    with pytest.raises(ValueError, match="`y`"):
        model.fit(x, verbose=0)
    model.compile("sgd")
    with pytest.raises(ValueError, match="loss="):
        model.fit(x, y, verbose=0)
    with pytest.raises(TypeError, match="callbacks"):
        _compiled = _model()
        _compiled.compile("sgd", "mse")
        _compiled.fit(x, y, verbose=0, callbacks=[print])


def test_initial_epoch_and_early_stop_from_a_callback():
    x, y = _data(4)
    model = _model()
    model.compile("sgd", "mse")
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]

    def stop(epoch, logs):
        model.stop_training = True

    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[LambdaCallback(on_epoch_end=stop)])
    assert history.epoch == [0] and len(history.history["loss"]) == 1
