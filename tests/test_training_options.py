"""fit's data options against Keras 3 (jax): ``class_weight``, ``steps_per_epoch`` and
``validation_steps``, ``evaluate(steps=)``, and the shape-chosen "crossentropy" loss."""

import warnings

import numpy as np
import pytest

import convkit
from convkit import layers, models
from convkit.models.epoch_iterator import class_weights_as_sample_weights
from tests.support.keras_oracle import keras


def _classifier(lib, classes):
    activation = "sigmoid" if classes == 1 else "softmax"
    conv = lib.layers.Conv1D(classes, 6, activation=activation, name="head")
    if lib is convkit:
        return models.Sequential([layers.Conv1D(4, 3, padding="same", activation="tanh",
                                                input_shape=(6, 2), name="body"), conv])
    # Keras's class_weight wants one label per sample after the argmax: (n,) or (n, 1)
    # targets; its Flatten drops the length-1 axis convkit's head keeps
    return keras.Sequential([keras.Input((6, 2)),
                             keras.layers.Conv1D(4, 3, padding="same", activation="tanh",
                                                 name="body"), conv, keras.layers.Flatten()])


def _pair(classes, loss, metrics=("accuracy",)):
    ours, theirs = _classifier(convkit, classes), _classifier(keras, classes)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    ours.compile(convkit.optimizers.Adam(0.01), loss, metrics=list(metrics))
    theirs.compile(keras.optimizers.Adam(0.01), loss, metrics=list(metrics))
    return ours, theirs


def _data(n, classes, target):
    """``(x, y for convkit's (n, 1, classes) output, y for Keras's (n, classes) one)``."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 6, 2)).astype("float32")
    labels = rng.integers(0, max(classes, 2), size=(n, 1))
    if target == "sparse":
        return x, labels, labels
    y = labels.astype("float32") if target == "binary" else \
        np.eye(classes, dtype="float32")[labels[:, 0]]
    return x, y[:, None, :], y


def _same(h_ours, h_keras, ours, theirs):
    assert sorted(h_ours) == sorted(h_keras)
    for key, values in h_keras.items():
        np.testing.assert_allclose(h_ours[key], values, rtol=2e-5, atol=1e-7, err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("classes, target", [
    (3, "sparse"), pytest.param(3, "categorical", marks=pytest.mark.slow),
    pytest.param(1, "binary", marks=pytest.mark.slow)])
def test_crossentropy_alias_and_class_weight_match_keras(classes, target):
    x, y, y_keras = _data(13, classes, target)
    for loss in ("crossentropy", "ce"):
        ours, theirs = _pair(classes, loss)
        kwargs = dict(batch_size=4, epochs=3, verbose=0, shuffle=False,
                      class_weight={0: 0.5, 1: 3.0}, validation_split=0.3)
        _same(ours.fit(x, y, **kwargs).history, theirs.fit(x, y_keras, **kwargs).history,
              ours, theirs)
        np.testing.assert_allclose(
            ours.train_on_batch(x[:5], y[:5], class_weight={1: 2.0}),
            theirs.train_on_batch(x[:5], y_keras[:5], class_weight={1: 2.0}), rtol=1e-5)


@pytest.mark.parametrize("steps, epochs", [(2, 4), pytest.param(3, 2, marks=pytest.mark.slow),
                                           pytest.param(6, 2, marks=pytest.mark.slow)])
def test_steps_per_epoch_carries_the_pass_across_epochs_like_keras(steps, epochs):
    # 13 samples in batches of 4 make 4 batches: 2 steps split a pass over two epochs, 3
    # steps leave a one-step epoch, 6 steps run out (Keras warns and ends the epoch)
    x, y, _ = _data(13, 3, "sparse")
    ours, theirs = _pair(3, "sparse_categorical_crossentropy")
    kwargs = dict(batch_size=4, epochs=epochs, verbose=0, shuffle=False,
                  steps_per_epoch=steps, validation_data=(x[:7], y[:7]), validation_steps=1)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        h_ours = ours.fit(x, y, **kwargs).history
    with warnings.catch_warnings(record=True) as keras_warned:
        warnings.simplefilter("always")
        h_keras = theirs.fit(x, y, **kwargs).history
    ran_out = [sum("ran out" in str(w.message) for w in record)
               for record in (ours_warned, keras_warned)]
    assert ran_out[0] == ran_out[1], ran_out  # an epoch cut short, in both or in neither
    _same(h_ours, h_keras, ours, theirs)
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=4, steps=2, verbose=0),
                               theirs.evaluate(x, y, batch_size=4, steps=2, verbose=0),
                               rtol=1e-5)


def test_class_weight_rules():
    one_hot = np.eye(3)[[2, 0, 1]]
    assert class_weights_as_sample_weights(one_hot, {2: 4.0}).tolist() == [4.0, 1.0, 1.0]
    assert class_weights_as_sample_weights(np.array([[0.2], [0.7]]), {1: 2.0}).tolist() == \
        [1.0, 2.0]
    with pytest.raises(ValueError, match="at the same time"):
        class_weights_as_sample_weights(np.zeros(2), {0: 1.0}, np.ones(2))
    with pytest.raises(ValueError, match="must be a dict"):
        class_weights_as_sample_weights(np.zeros(2), [1.0, 2.0])
    with pytest.raises(ValueError, match="one class per sample"):
        class_weights_as_sample_weights(np.zeros((2, 4, 4)), {0: 1.0})
    model = _classifier(convkit, 3)
    model.compile("adam", "ce")
    x, y, _ = _data(4, 3, "sparse")
    with pytest.raises(ValueError, match="at the same time"):
        model.fit(x, y, class_weight={0: 2.0}, sample_weight=np.ones(4), verbose=0)
    with pytest.raises(ValueError, match="steps"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)
