"""A classifier made of the core layers (Conv2D, BatchNormalization, Flatten, Dropout, Dense)
against Keras 3 (jax): ``fit`` from the same weights gives the same History and the same
final weights, moving statistics included; ``summary`` counts; ``.keras`` files both ways
with trained moving statistics; an interrupted step leaves weights and statistics alone."""

import json

import numpy as np
import pytest

import convkit
from convkit import layers, models
from convkit.callbacks import Callback
from tests.support import training_cases as tc
from tests.support.keras_oracle import keras
from tests.support.saving_cases import assert_same_outputs

SHAPE, CLASSES = (6, 6, 2), 3


def _classifier(lib, dropout=0.0, bn_axis=-1):
    L = lib.layers
    stack = [L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(axis=bn_axis, momentum=0.8),
             L.Conv2D(3, 3, padding="same"), L.Flatten(), L.Dropout(dropout),
             L.Dense(CLASSES, activation="softmax")]
    model = (keras.Sequential if lib is keras else convkit.models.Sequential)(stack)
    model.build((None, *SHAPE))
    return model


def _data(n=14, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, *SHAPE)) * 2 + 0.5).astype("float32")
    labels = rng.integers(0, CLASSES, n)
    return x, np.eye(CLASSES, dtype="float32")[labels]


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_classifier_fit_matches_keras_moving_statistics_included(opt):
    x, y = _data()
    ours, theirs = _classifier(convkit), _classifier(keras)
    ours.set_weights(theirs.get_weights())
    for model, lib in ((ours, convkit), (theirs, keras)):
        model.compile(tc.optimizer(lib, opt), "categorical_crossentropy",
                      metrics=["accuracy"])
    kwargs = dict(batch_size=4, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, **kwargs).history
    h_keras = theirs.fit(x, y, **kwargs).history
    assert list(h_ours) == sorted(h_keras)
    for key, values in h_keras.items():
        np.testing.assert_allclose(h_ours[key], values, rtol=1e-5, err_msg=key)
    names = [w.path for w in ours.weights]
    assert [n.split("/")[-1] for n in names if "moving" in n] == ["moving_mean",
                                                                  "moving_variance"]
    for name, a, b in zip(names, ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6, err_msg=name)
    bn = ours.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0)  # the statistics did move
    # inference uses them: evaluate and predict agree with Keras
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0),
                               rtol=1e-5)
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_train_and_test_on_batch_match_keras_channels_first_batch_norm():
    x, y = _data(8, seed=1)
    ours, theirs = _classifier(convkit, bn_axis=1), _classifier(keras, bn_axis=1)
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, convkit), (theirs, keras)):
        model.compile(tc.optimizer(lib, "adam"), "categorical_crossentropy",
                      metrics=["accuracy"])
    for _ in range(2):
        np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y),
                                   rtol=1e-5)
    before = ours.get_weights()
    np.testing.assert_allclose(ours.test_on_batch(x, y), theirs.test_on_batch(x, y), rtol=1e-5)
    for a, b, k in zip(ours.get_weights(), before, theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # a test step changes nothing
        np.testing.assert_allclose(a, np.asarray(k), rtol=1e-4, atol=1e-6)


def test_summary_parameter_counts_match_keras():
    ours, theirs = _classifier(convkit, dropout=0.5), _classifier(keras, dropout=0.5)
    lines = []
    ours.summary(print_fn=lines.append)
    text = lines[0]
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in theirs.non_trainable_weights)
    assert frozen == 2 * 4
    assert f"Trainable params: {trainable:,} " in text
    assert f"Non-trainable params: {frozen:,} " in text
    assert f"Total params: {trainable + frozen:,} " in text
    assert ours.count_params() == theirs.count_params()


def test_keras_files_carry_trained_moving_statistics_both_ways(tmp_path):
    x, y = _data(8, seed=2)
    model = _classifier(convkit)
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "ck.keras")
    k_model = keras.models.load_model(tmp_path / "ck.keras")
    for a, b in zip(k_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    assert_same_outputs(k_model.predict(x, verbose=0), model.predict(x, verbose=0))
    k_model.compile("adam", "categorical_crossentropy")  # convkit files carry no compile config
    k_model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)  # moves them again
    k_model.save(tmp_path / "k.keras")
    loaded = models.load_model(tmp_path / "k.keras")
    for a, b in zip(loaded.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Conv2D", "BatchNormalization", "Conv2D", "Flatten", "Dropout", "Dense"]
    assert_same_outputs(loaded.predict(x, verbose=0), k_model.predict(x, verbose=0))


@pytest.mark.parametrize("where", ["optimizer", "after_forward"])
def test_interrupted_step_leaves_weights_and_moving_statistics_unchanged(where):
    x, y = _data(12, seed=3)
    model = _classifier(convkit, dropout=0.3)
    model.compile("adam", "categorical_crossentropy")
    snapshots = []

    class Snapshot(Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append(model.get_weights())

    if where == "optimizer":  # mid-update, after some variables moved on the scratch copies
        opt, calls = model.optimizer, {"n": 0}
        real = type(opt).update_step

        def update_step(self, grad, variable, lr):
            real(self, grad, variable, lr)
            calls["n"] += 1
            if calls["n"] == 2 * len(model.trainable_weights) + 3:  # third step
                raise KeyboardInterrupt

        opt.update_step = update_step.__get__(opt)
    else:  # the statistics were staged but the optimizer not yet run
        real_assign = convkit.layers.state_updates.assign
        calls = {"n": 0}

        def assign(updates):
            calls["n"] += 1
            real_assign(updates)
            if calls["n"] == 3:
                raise KeyboardInterrupt

        convkit.layers.state_updates.assign = assign
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False,
                      callbacks=[Snapshot()])
    finally:
        if where != "optimizer":
            convkit.layers.state_updates.assign = real_assign
    assert len(snapshots) == 2
    for a, b in zip(model.get_weights(), snapshots[-1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.value) == 2


def test_dropout_rate_changes_training_not_inference():
    x, y = _data(8, seed=4)
    model = _classifier(convkit, dropout=0.5)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))
    assert isinstance(model.layers[4], layers.Dropout)


def _json(obj):
    return json.loads(json.dumps(obj))  # tuples and lists compare equal after this


def test_every_core_layer_config_goes_both_ways_through_keras_files(tmp_path):
    def stack(lib):
        L = lib.layers
        return [L.Dense(4, activation="tanh", kernel_regularizer="l2", input_shape=(3, 5)),
                L.Activation("softplus"), L.Reshape((2, -1)),
                L.Dropout(0.2, noise_shape=(None, 1, None), seed=4),
                L.BatchNormalization(axis=1, center=False, momentum=0.7),
                L.Flatten(data_format="channels_first"), L.Dense(2, use_bias=False)]

    model = models.Sequential(stack(convkit), name="core")
    x = _data(5, seed=5)[0][:, :3, :5, 0]
    model(x, training=True)  # moves the moving statistics off their initial values
    model.save(tmp_path / "ck.keras")
    k_model = keras.models.load_model(tmp_path / "ck.keras")
    assert _json(k_model.get_config()) == _json(model.get_config())
    for a, b in zip(k_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    assert_same_outputs(k_model.predict(x, verbose=0), model.predict(x, verbose=0))
    k_model.save(tmp_path / "k.keras")
    loaded = models.load_model(tmp_path / "k.keras")
    assert _json(loaded.get_config()) == _json(k_model.get_config())
    assert_same_outputs(loaded.predict(x, verbose=0), k_model.predict(x, verbose=0))
