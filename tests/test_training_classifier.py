"""The classifier of issue 14, with pooling: Conv2D, MaxPooling2D, BatchNormalization,
Conv2D, GlobalAveragePooling2D, Dropout, Dense(softmax), fitted by Keras 3 (jax) and by
convkit from the same weights with ``shuffle=False``: the same per-epoch loss and accuracy,
the same final weights, moving statistics included, and the same parameter counts."""

import numpy as np
import pytest

import convkit
from tests.support import training_cases as tc
from tests.support.keras_oracle import keras

SHAPE, CLASSES = (8, 8, 1), 4


def _classifier(lib):
    L = lib.layers
    # no bias before batch normalisation (as usual): its exact gradient is 0, and Adam would
    # turn each library's rounding noise around 0 into a step of ±learning_rate
    stack = [L.Conv2D(6, 3, padding="same", activation="relu", use_bias=False),
             L.MaxPooling2D(2),
             L.BatchNormalization(momentum=0.9), L.Conv2D(8, 3, activation="relu"),
             L.GlobalAveragePooling2D(), L.Dropout(0.0),
             L.Dense(CLASSES, activation="softmax")]
    model = (keras.Sequential if lib is keras else convkit.models.Sequential)(stack)
    model.build((None, *SHAPE))
    return model


def _data(n=20, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *SHAPE), dtype=np.float32)
    return x, rng.integers(0, CLASSES, n)


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_pooling_classifier_fit_matches_keras(opt):
    keras.utils.set_random_seed(0)  # the same starting weights every run, whatever ran before
    x, y = _data()
    ours, theirs = _classifier(convkit), _classifier(keras)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    for model, lib in ((ours, convkit), (theirs, keras)):
        model.compile(tc.optimizer(lib, opt), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    kwargs = dict(batch_size=6, epochs=4, shuffle=False, verbose=0, validation_split=0.2)
    h_ours = ours.fit(x, y, **kwargs).history
    h_keras = theirs.fit(x, y, **kwargs).history
    assert list(h_ours) == sorted(h_keras)
    for key, values in h_keras.items():
        np.testing.assert_allclose(h_ours[key], values, rtol=1e-5, atol=1e-7, err_msg=key)
    for w, a, b in zip(ours.weights, ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6, err_msg=w.path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-6)


def test_pooling_classifier_parameter_counts_match_keras():
    lines = []
    _classifier(convkit).summary(print_fn=lines.append)
    ours = "\n".join(lines)
    theirs = _classifier(keras)
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in theirs.non_trainable_weights)
    assert f"Trainable params: {trainable:,}" in ours
    assert f"Non-trainable params: {frozen:,}" in ours
    assert f"Total params: {trainable + frozen:,}" in ours
